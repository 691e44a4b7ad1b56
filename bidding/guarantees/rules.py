"""Statutory rules on bid bonds and their return (rows 13-17 and 27 of statutory-rules.md); pure, no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bidding.guarantees.errors import BondFormNotAllowed, CashBondRefused
from core.calendar import DayResult, HolidaySnapshot, add_calendar_days, add_working_days, local_day
from trading.tenders.rules import BondForm, LegalBasis


class ReleaseReason(StrEnum):
    """Why a guarantee is returned (rule 17)."""

    WITHDRAWN = "withdrawn"  # bid withdrawn (撤回) before the deadline
    UNSUCCESSFUL = "unsuccessful"  # bidder not awarded
    WINNER_CONTRACT = "winner_contract"  # the winner signed the contract


class ClaimReason(StrEnum):
    """Why the beneficiary claims on a guarantee."""

    REVOKED = "revoked"  # bid revoked (撤销) after the deadline, e.g. decryption failed by the bidder's fault (rule 27)
    CONTRACT_REFUSED = "contract_refused"  # the winner refuses to sign the contract


class DayKind(StrEnum):
    """Which counter a period uses: 日 or 工作日."""

    CALENDAR = "calendar"
    WORKING = "working"


@dataclass(frozen=True)
class BondRules:
    """Numbers of rules 17 and claims; V = primary text read, U = unverified and so configurable."""

    withdrawal_days_tendering: int = 5  # rule 17 (V): 条例 Art 35, 5 日
    withdrawal_days_procurement: int = 5  # rule 17 (V): 87号令 Art 38, 5 工作日
    unsuccessful_days_tendering: int = 5  # rule 17 (V): 条例 Art 57, 5 日 after the contract
    unsuccessful_days_procurement: int = 5  # rule 17 (V): 87号令 Art 38, 5 工作日 after the award notice
    winner_days_tendering: int = 5  # rule 17 (V): 条例 Art 57, 5 日 after the contract
    winner_days_procurement: int = 5  # rule 17 (V): 87号令 Art 38, 5 工作日 after the contract
    claim_payment_working_days: int = 5  # U: guarantee practice, no statute; the guarantor's payment term


def _period(basis: LegalBasis, reason: ReleaseReason, rules: BondRules) -> tuple[int, DayKind]:
    tendering = basis is LegalBasis.TENDERING_LAW
    if reason is ReleaseReason.WITHDRAWN:
        return (
            (rules.withdrawal_days_tendering, DayKind.CALENDAR)
            if tendering
            else (rules.withdrawal_days_procurement, DayKind.WORKING)
        )
    if reason is ReleaseReason.UNSUCCESSFUL:
        return (
            (rules.unsuccessful_days_tendering, DayKind.CALENDAR)
            if tendering
            else (rules.unsuccessful_days_procurement, DayKind.WORKING)
        )
    return (
        (rules.winner_days_tendering, DayKind.CALENDAR)
        if tendering
        else (rules.winner_days_procurement, DayKind.WORKING)
    )


def release_trigger(basis: LegalBasis, reason: ReleaseReason) -> str:
    """The event that starts the release clock: 工程 losers wait for the contract, 采购 losers for the award notice."""
    if reason is ReleaseReason.WITHDRAWN:
        return "withdrawal"
    if reason is ReleaseReason.UNSUCCESSFUL and basis is LegalBasis.PROCUREMENT_LAW:
        return "award_notice"
    return "contract"


def _add(start: dt.date, days: int, kind: DayKind, snapshot: HolidaySnapshot) -> DayResult:
    if kind is DayKind.CALENDAR:
        return add_calendar_days(start, days, snapshot)
    return add_working_days(start, days, snapshot)


def release_due(
    basis: LegalBasis, reason: ReleaseReason, event_time: datetime, snapshot: HolidaySnapshot, rules: BondRules
) -> DayResult:
    """Rule 17: the last day to return the bond, counted from the triggering event (its day not counted)."""
    days, kind = _period(basis, reason, rules)
    return _add(local_day(event_time), days, kind, snapshot)


def claim_due(event_time: datetime, snapshot: HolidaySnapshot, rules: BondRules) -> DayResult:
    """The guarantor's payment term on a claim (U: practice, configurable)."""
    return add_working_days(local_day(event_time), rules.claim_payment_working_days, snapshot)


def check_bond_form(basis: LegalBasis, form: BondForm, accepted: frozenset[BondForm]) -> None:
    """Rule 15: no cash bond under 政府采购法; otherwise the tender decides which forms it takes."""
    if basis is LegalBasis.PROCUREMENT_LAW and form is BondForm.CASH:
        raise CashBondRefused(15, "government procurement bid bonds must be non-cash (条例(采购) Art 33)")
    if form not in accepted:
        raise BondFormNotAllowed(
            f"this tender accepts bid bonds as {', '.join(sorted(f.value for f in accepted)) or 'nothing'}, "
            f"not {form.value}"
        )


def bid_validity_end(deadline: datetime, bid_validity_days: int) -> dt.date:
    """Rule 13: the bond must stay valid as long as the bid, i.e. bid_validity_days 日 from the deadline's day."""
    return local_day(deadline) + dt.timedelta(days=bid_validity_days)
