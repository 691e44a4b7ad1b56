"""Case windows and periods (rules 7, 63, 66, 67) on the statutory calendar, without a database."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core.calendar import SHANGHAI, HolidaySnapshot
from core.errors import RuleViolation
from supervision.cases import rules
from supervision.cases.states import CaseKind, CaseStatus, Matter, transition

SNAP = HolidaySnapshot.of(holidays=[date(2025, 4, 4)], workdays=[], known_years=[2025])
MONDAY = datetime(2025, 3, 3, 10, tzinfo=SHANGHAI)


def test_document_objections_close_ten_days_before_the_deadline() -> None:
    rules.check_objection_intake(Matter.DOCUMENTS, MONDAY, "published", datetime(2025, 3, 13, 9, tzinfo=SHANGHAI))
    with pytest.raises(RuleViolation) as refused:
        rules.check_objection_intake(Matter.DOCUMENTS, MONDAY, "published", datetime(2025, 3, 12, 9, tzinfo=SHANGHAI))
    assert refused.value.rule == 7


def test_works_complaint_window_excludes_the_objection_pending_time() -> None:
    prior = rules.PriorCase(datetime(2025, 3, 20, 15, tzinfo=SHANGHAI), datetime(2025, 3, 21, tzinfo=SHANGHAI))
    end = rules.works_complaint_end(date(2025, 3, 3), Matter.DOCUMENTS, prior, MONDAY, SNAP)
    assert end == datetime(2025, 4, 1, tzinfo=SHANGHAI)  # 10 日 from 20 March: Sunday 30 March moves to Monday 31
    with pytest.raises(RuleViolation):
        rules.works_complaint_end(date(2025, 3, 3), Matter.RESULT, None, MONDAY, SNAP)


def test_procurement_complaint_runs_fifteen_working_days_after_the_answer_period() -> None:
    prior = rules.PriorCase(None, datetime(2025, 3, 13, tzinfo=SHANGHAI))
    later = datetime(2025, 3, 20, tzinfo=SHANGHAI)
    assert rules.procurement_complaint_end(prior, later, SNAP) == datetime(2025, 4, 3, tzinfo=SHANGHAI)


def test_complaints_are_accepted_then_decided_never_answered() -> None:
    assert transition(CaseKind.COMPLAINT, CaseStatus.FILED, CaseStatus.ACCEPTED) is CaseStatus.ACCEPTED
    with pytest.raises(RuleViolation.__mro__[1]):
        transition(CaseKind.COMPLAINT, CaseStatus.FILED, CaseStatus.ANSWERED)
