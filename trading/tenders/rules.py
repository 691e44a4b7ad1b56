"""Statutory checks on a tender (rows of statutory-rules.md); pure functions over plain values, no database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from core.calendar import (
    SHANGHAI,
    HolidaySnapshot,
    add_calendar_days,
    at_local_time,
    calendar_days_between,
    local_day,
)
from core.errors import InvalidInput, RuleViolation


class Category(StrEnum):
    """What is bought: 工程 works, 货物 goods, 服务 services (OCDS mainProcurementCategory)."""

    WORKS = "works"
    GOODS = "goods"
    SERVICES = "services"


class LegalBasis(StrEnum):
    """招标投标法 (tendering law) or 政府采购法 (government procurement law)."""

    TENDERING_LAW = "tendering_law"
    PROCUREMENT_LAW = "procurement_law"


class Method(StrEnum):
    """公开招标 open or 邀请招标 invited (OCDS open / selective)."""

    OPEN = "open"
    INVITED = "invited"


class BondForm(StrEnum):
    """How a bid bond may be given; 采购 refuses cash (rule 15)."""

    GUARANTEE = "guarantee"
    CHEQUE = "cheque"
    DRAFT = "draft"
    PROMISSORY_NOTE = "promissory_note"
    CASH = "cash"


@dataclass(frozen=True)
class TenderRules:
    """The statutory numbers; V = read in a primary text, S/U = configurable because less certain."""

    min_bid_period_days: int = 20  # rule 1 (V): 招标投标法 Art 24, 政府采购法 Art 35
    amendment_notice_days: int = 15  # rule 6 (V): 法 Art 23, 87号令 Art 27
    bond_rate_tendering: Decimal = Decimal("0.02")  # rule 13 (V): 条例 Art 26
    bond_cap_tendering_yuan: Decimal = Decimal(800_000)  # rule 14 (S): 施工招标办法 Art 37, primary text not read
    bond_rate_procurement: Decimal = Decimal("0.02")  # rule 15 (V): 条例(采购) Art 33
    committee_min: int = 5  # rule 33 (V): 法 Art 37
    committee_min_large_procurement: int = 7  # rule 33 (V): 87号令 Art 47
    large_procurement_budget_yuan: Decimal = Decimal(10_000_000)  # rule 33 (V): 1000万
    decryption_window_default_minutes: int = 30  # rule 28 (S): tender-document practice, no statute
    decryption_window_max_minutes: int = 24 * 60  # U: an upper bound of our own


FLOOR_PRICE_KEYS = frozenset({"floor_price", "minimum_price", "min_price", "lowest_price", "bottom_price"})


@dataclass(frozen=True)
class LotTerms:
    """A lot as the rules see it."""

    number: int
    estimated_value: Decimal
    bid_bond_amount: Decimal


@dataclass(frozen=True)
class TenderTerms:
    """The parts of a tender the publication rules judge."""

    category: Category
    legal_basis: LegalBasis
    lots: Sequence[LotTerms]
    bond_forms: Iterable[BondForm]
    ceiling_price: Decimal | None
    committee_size: int
    decryption_window_minutes: int

    @property
    def total_estimate(self) -> Decimal:
        """The whole tender's estimate (工程) or budget (采购)."""
        return sum((lot.estimated_value for lot in self.lots), Decimal(0))


def check_bid_period(issued_at: datetime, deadline: datetime, rules: TenderRules) -> None:
    """Rule 1: from issuing the documents to the bid deadline, at least 20 日 (first day not counted)."""
    days = calendar_days_between(issued_at, deadline)
    if days < rules.min_bid_period_days:
        when = f"{abs(days)} day{'' if abs(days) == 1 else 's'} {'after' if days >= 0 else 'before'}"
        raise RuleViolation(
            1,
            f"the bid deadline is {when} the documents are issued ({local_day(issued_at).isoformat()}); "
            f"at least {rules.min_bid_period_days} days are required (招标投标法 Art 24; 政府采购法 Art 35)",
            days=days,
            required_days=rules.min_bid_period_days,
        )


def proposed_amendment_deadline(
    amended_at: datetime, deadline: datetime, snapshot: HolidaySnapshot, rules: TenderRules
) -> tuple[datetime | None, tuple[str, ...]]:
    """Rule 6: the deadline an amendment needs (same time of day, 15 日 later, off holidays), or None if it is fine."""
    if calendar_days_between(amended_at, deadline) >= rules.amendment_notice_days:
        return None, ()
    last = add_calendar_days(local_day(amended_at), rules.amendment_notice_days, snapshot)
    return at_local_time(last.day, deadline.astimezone(SHANGHAI).time()), last.warnings


def check_amendment_deadline(
    amended_at: datetime,
    deadline: datetime,
    new_deadline: datetime | None,
    snapshot: HolidaySnapshot,
    rules: TenderRules,
) -> datetime:
    """Rule 6: an amendment under 15 日 before the deadline must move it; returns the deadline to keep."""
    proposal, warnings = proposed_amendment_deadline(amended_at, deadline, snapshot, rules)
    if new_deadline is None or new_deadline == deadline:
        if proposal is None:
            return deadline
        raise RuleViolation(
            6,
            f"an amendment less than {rules.amendment_notice_days} days before the bid deadline must postpone it; "
            f"proposed new deadline {proposal.isoformat()}",
            proposed_deadline=proposal.isoformat(),
            warnings=list(warnings) or None,
        )
    if new_deadline < deadline:
        raise InvalidInput("new_bid_deadline: an amendment may postpone the bid deadline, not advance it")
    if calendar_days_between(amended_at, new_deadline) < rules.amendment_notice_days:
        raise RuleViolation(
            6,
            f"the new bid deadline must be at least {rules.amendment_notice_days} days after the amendment"
            + (f"; proposed {proposal.isoformat()}" if proposal else ""),
            proposed_deadline=proposal.isoformat() if proposal else None,
        )
    return new_deadline


def refuse_floor_price(body: Any) -> None:
    """Rule 10: a floor price is forbidden (条例 Art 27; 87号令 Art 12); no field may carry one, at any depth."""
    if isinstance(body, Mapping):
        for key, value in body.items():
            if str(key).lower() in FLOOR_PRICE_KEYS:
                raise RuleViolation(10, f"a floor price is forbidden (field {key!r}); only a ceiling price may be set")
            refuse_floor_price(value)
    elif isinstance(body, list):
        for item in body:
            refuse_floor_price(item)


AMOUNT_LIMIT = Decimal(10) ** 16
"""Amounts are stored as NUMERIC(18, 2): below 10^16 yuan, in fen."""
FEN = Decimal("0.01")


def check_amount(value: Decimal, field: str) -> None:
    """An amount in yuan as the platform stores and publishes it: finite, at most 2 decimals, within NUMERIC(18, 2).

    Checked before any comparison: NaN would fail every rule with an error, and 0.001 would be stored as 0.00."""
    if not value.is_finite() or not -AMOUNT_LIMIT < value < AMOUNT_LIMIT or value != value.quantize(FEN):
        raise InvalidInput(
            f"{field}: {value} is not an amount in yuan with at most 2 decimals and below 10^16", field=field
        )


def check_amounts(terms: TenderTerms) -> None:
    """Every amount of the terms passes check_amount."""
    if terms.ceiling_price is not None:
        check_amount(terms.ceiling_price, "ceiling_price")
    for index, lot in enumerate(terms.lots):
        check_amount(lot.estimated_value, f"lots[{index}].estimated_value")
        check_amount(lot.bid_bond_amount, f"lots[{index}].bid_bond_amount")


def check_ceiling(terms: TenderTerms) -> None:
    """Rule 10: the ceiling price is optional; when given it is a positive amount."""
    if terms.ceiling_price is not None and terms.ceiling_price <= 0:
        raise RuleViolation(10, "the ceiling price, when published, must be a positive amount")


def check_scope(terms: TenderTerms) -> None:
    """Government-procured works that are tendered follow 招标投标法 (政府采购法实施条例 Art 7)."""
    if terms.legal_basis is LegalBasis.PROCUREMENT_LAW and terms.category is Category.WORKS:
        raise InvalidInput(
            "legal_basis: tendered works follow 招标投标法 even when government-procured (政府采购法实施条例 Art 7)",
            field="legal_basis",
        )


def check_bonds(terms: TenderTerms, rules: TenderRules) -> None:
    """Rules 13-15: bond caps per lot, and no cash under 政府采购法."""
    for lot in terms.lots:
        if lot.estimated_value <= 0:
            raise InvalidInput(f"lot {lot.number}: the estimated price or budget must be positive")
        if lot.bid_bond_amount < 0:
            raise InvalidInput(f"lot {lot.number}: the bid bond cannot be negative")
        if terms.legal_basis is LegalBasis.TENDERING_LAW:
            cap = (lot.estimated_value * rules.bond_rate_tendering).quantize(Decimal("0.01"))
            if lot.bid_bond_amount > cap:
                raise RuleViolation(
                    13,
                    f"lot {lot.number}: the bid bond {lot.bid_bond_amount} exceeds {rules.bond_rate_tendering:%} "
                    f"of the estimated price ({cap}) (条例 Art 26)",
                    lot=lot.number,
                    cap=str(cap),
                )
            if lot.bid_bond_amount > rules.bond_cap_tendering_yuan:
                raise RuleViolation(
                    14,
                    f"lot {lot.number}: the bid bond {lot.bid_bond_amount} exceeds the absolute cap of "
                    f"{rules.bond_cap_tendering_yuan} yuan",
                    lot=lot.number,
                    cap=str(rules.bond_cap_tendering_yuan),
                )
        else:
            cap = (lot.estimated_value * rules.bond_rate_procurement).quantize(Decimal("0.01"))
            if lot.bid_bond_amount > cap:
                raise RuleViolation(
                    15,
                    f"lot {lot.number}: the bid bond {lot.bid_bond_amount} exceeds {rules.bond_rate_procurement:%} "
                    f"of the budget ({cap}) (条例(采购) Art 33)",
                    lot=lot.number,
                    cap=str(cap),
                )
    if terms.legal_basis is LegalBasis.PROCUREMENT_LAW and BondForm.CASH in set(terms.bond_forms):
        raise RuleViolation(15, "government procurement bid bonds must be non-cash (条例(采购) Art 33)")


def check_committee(terms: TenderTerms, rules: TenderRules) -> None:
    """Rule 33: the evaluation committee is odd and at least 5; 采购 with a budget of 1000万 or more needs 7."""
    size = terms.committee_size
    minimum = rules.committee_min
    if terms.legal_basis is LegalBasis.PROCUREMENT_LAW and terms.total_estimate >= rules.large_procurement_budget_yuan:
        minimum = rules.committee_min_large_procurement
    if size < minimum or size % 2 == 0:
        raise RuleViolation(
            33,
            f"the evaluation committee must have an odd number of members, at least {minimum}; got {size} "
            "(招标投标法 Art 37; 87号令 Art 47)",
            minimum=minimum,
        )


def check_decryption_window(terms: TenderTerms, rules: TenderRules) -> None:
    """Rule 28: the decryption window is set per tender within sane bounds."""
    if not 1 <= terms.decryption_window_minutes <= rules.decryption_window_max_minutes:
        raise RuleViolation(28, f"the decryption window must be 1 to {rules.decryption_window_max_minutes} minutes")


def check_terms(terms: TenderTerms, rules: TenderRules) -> None:
    """Every rule that judges a tender's terms alone (not its dates)."""
    if not terms.lots:
        raise InvalidInput("lots: a tender has at least one lot", field="lots")
    check_amounts(terms)
    check_scope(terms)
    check_ceiling(terms)
    check_bonds(terms, rules)
    check_committee(terms, rules)
    check_decryption_window(terms, rules)


def rules_from_settings(bond_cap_tendering_yuan: int) -> TenderRules:
    """The rules with the operator's values for the S-marked numbers."""
    return TenderRules(bond_cap_tendering_yuan=Decimal(bond_cap_tendering_yuan))


def bidders_sealed(bid_deadline: datetime, cancelled_at: datetime | None, now: datetime) -> bool:
    """Who bid stays secret until the deadline (招标投标法 Art 22), and for good when the tender was cancelled before
    it: its bids are never opened, and the ledger keeps their commitments blinded."""
    return now < bid_deadline or (cancelled_at is not None and cancelled_at < bid_deadline)
