"""Excluded time counted in the clock's unit (rules 64, 67), and which exclusions and kinds each law allows."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core.calendar import SHANGHAI, HolidaySnapshot
from core.errors import InvalidInput
from supervision.cases import rules
from supervision.cases.states import CaseKind
from supervision.clocks.pauses import excluded_days, shifted_due
from supervision.clocks.periods import Unit

SNAP = HolidaySnapshot.of(holidays=[date(2025, 4, 4)], workdays=[date(2025, 4, 27)], known_years=[2025])


def _at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=SHANGHAI)


def test_a_pause_counts_the_days_after_its_first_in_the_clocks_unit() -> None:
    assert excluded_days(_at(4, 1), _at(4, 1, 18), Unit.WORKING, SNAP) == 0  # same day: nothing excluded
    assert excluded_days(_at(4, 1), _at(4, 10), Unit.WORKING, SNAP) == 6  # 2, 3, 7-10 April; 4 April is 清明
    assert excluded_days(_at(4, 1), _at(4, 10), Unit.CALENDAR, SNAP) == 9
    assert excluded_days(_at(4, 25), _at(4, 28), Unit.WORKING, SNAP) == 2  # Sunday 27 April is a make-up workday


def test_the_due_time_moves_on_and_still_ends_at_midnight() -> None:
    due = datetime(2025, 4, 16, tzinfo=SHANGHAI)  # end of 15 April
    assert shifted_due(due, 0, Unit.WORKING, 67, SNAP) == due
    assert shifted_due(due, 6, Unit.WORKING, 67, SNAP) == datetime(2025, 4, 24, tzinfo=SHANGHAI)
    friday = datetime(2025, 4, 5, tzinfo=SHANGHAI)  # end of Friday 4 April
    # 2 日 land on Sunday 6 April, not a working day, so the period runs to Monday 7 April (民法典 Art 203)
    assert shifted_due(friday, 2, Unit.CALENDAR, 64, SNAP) == datetime(2025, 4, 8, tzinfo=SHANGHAI)


def test_each_law_excludes_only_its_listed_time() -> None:
    assert rules.check_excludable(rules.TENDERING, "expert_review") == 64
    assert rules.check_excludable(rules.PROCUREMENT, "supplement") == 67
    with pytest.raises(InvalidInput):
        rules.check_excludable(rules.TENDERING, "supplement")
    with pytest.raises(InvalidInput):
        rules.check_excludable(rules.PROCUREMENT, "holiday")


def test_only_challenges_hold_the_contract_on_filing() -> None:
    assert rules.locks_contract_on_filing(CaseKind.CHALLENGE)
    assert not any(
        rules.locks_contract_on_filing(k) for k in (CaseKind.INQUIRY, CaseKind.OBJECTION, CaseKind.COMPLAINT)
    )
