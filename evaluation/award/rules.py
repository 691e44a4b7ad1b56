"""The award clocks (rules 55, 58, 59, 61, 62) as pure date arithmetic over core.calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.calendar import HolidaySnapshot, add_calendar_days, add_working_days, local_day
from core.errors import RuleViolation


@dataclass(frozen=True)
class AwardRules:
    """Statutory numbers of the award stage (all V)."""

    publicity_days: int = 3  # rule 55: 条例 Art 54, at least 3 日
    decision_working_days: int = 5  # rule 58: 87号令 Art 68
    contract_days: int = 30  # rule 61: 法 Art 46
    regulator_report_days: int = 15  # rule 62: 法 Art 47


def publicity_end(start: datetime, snapshot: HolidaySnapshot, rules: AwardRules) -> datetime:
    """Rule 55: the publicity runs at least 3 日 from the day after it starts."""
    return add_calendar_days(local_day(start), rules.publicity_days, snapshot).ends_at


def decision_due(received: datetime, snapshot: HolidaySnapshot, rules: AwardRules) -> datetime:
    """Rule 58: the purchaser decides within 5 工作日 of receiving the report."""
    return add_working_days(local_day(received), rules.decision_working_days, snapshot).ends_at


def contract_due(notified: datetime, snapshot: HolidaySnapshot, rules: AwardRules) -> datetime:
    """Rule 61: the contract within 30 日 of the award notice."""
    return add_calendar_days(local_day(notified), rules.contract_days, snapshot).ends_at


def regulator_report_due(decided: datetime, snapshot: HolidaySnapshot, rules: AwardRules) -> datetime:
    """Rule 62: the written report to the regulator within 15 日 of determining the winner."""
    return add_calendar_days(local_day(decided), rules.regulator_report_days, snapshot).ends_at


def check_choice(rank: int, candidates: int, reason: str | None, legal_basis: str) -> None:
    """Rules 57/58: the winner is rank 1 unless a recorded reason moves the choice down the ranking."""
    if not 1 <= rank <= candidates:
        raise RuleViolation(57, f"rank {rank} is not among the {candidates} candidates")
    if rank != 1 and not (reason and reason.strip()):
        rule = 58 if legal_basis == "procurement_law" else 57
        raise RuleViolation(rule, "choosing a candidate other than rank 1 needs a recorded reason")
