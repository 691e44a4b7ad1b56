"""Table-driven tests per statutory rule of tender publication (rows of statutory-rules.md), no database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.calendar import SHANGHAI, HolidaySnapshot
from core.errors import InvalidInput, RuleViolation
from core.holidays import library_years
from trading.tenders.rules import (
    BondForm,
    Category,
    LegalBasis,
    LotTerms,
    TenderRules,
    TenderTerms,
    check_amendment_deadline,
    check_bid_period,
    check_terms,
    proposed_amendment_deadline,
    refuse_floor_price,
)
from trading.tenders.states import TenderStatus, can_transition, resume, transition

RULES = TenderRules()
_DATA = library_years()
SNAP = HolidaySnapshot.of(
    holidays=[d for y in _DATA for d in y.holidays],
    workdays=[d for y in _DATA for d in y.workdays],
    known_years=[y.year for y in _DATA],
)
ISSUE = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


def terms(**changes: object) -> TenderTerms:
    base = TenderTerms(
        category=Category.WORKS,
        legal_basis=LegalBasis.TENDERING_LAW,
        lots=[LotTerms(1, Decimal(10_000_000), Decimal(200_000))],
        bond_forms=[BondForm.GUARANTEE],
        ceiling_price=None,
        committee_size=5,
        decryption_window_minutes=30,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def lot(estimate: int, bond: int) -> list[LotTerms]:
    return [LotTerms(1, Decimal(estimate), Decimal(bond))]


@pytest.mark.parametrize(
    ("deadline", "ok"),
    [
        pytest.param(ISSUE + timedelta(days=19), False, id="rule-1-19-days-refused"),
        pytest.param(ISSUE + timedelta(days=20), True, id="rule-1-20-days-passes"),
        pytest.param(datetime(2026, 11, 22, 0, 1, tzinfo=SHANGHAI), True, id="rule-1-day-20-just-after-midnight"),
        pytest.param(datetime(2026, 11, 21, 23, 59, tzinfo=SHANGHAI), False, id="rule-1-day-19-late-evening"),
        pytest.param(datetime(2026, 11, 21, 16, 30, tzinfo=UTC), True, id="rule-1-utc-input-read-in-shanghai"),
    ],
)
def test_rule_01_bid_period_at_least_20_days(deadline: datetime, ok: bool) -> None:
    if ok:
        check_bid_period(ISSUE, deadline, RULES)
    else:
        with pytest.raises(RuleViolation, match=r"^rule 1: ") as caught:
            check_bid_period(ISSUE, deadline, RULES)
        assert caught.value.rule == 1


@pytest.mark.parametrize(
    ("days", "said"), [(-3, "3 days before"), (-1, "1 day before"), (1, "1 day after"), (19, "19 days after")]
)
def test_rule_01_says_how_far_the_deadline_is_from_the_issue(days: int, said: str) -> None:
    with pytest.raises(RuleViolation, match=f"the bid deadline is {said} the documents are issued"):
        check_bid_period(ISSUE, ISSUE + timedelta(days=days), RULES)


DEADLINE = datetime(2026, 12, 1, 9, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("amended_at", "new_deadline", "outcome"),
    [
        pytest.param(datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI), None, DEADLINE, id="rule-6-15-days-before-ok"),
        pytest.param(datetime(2026, 11, 17, 9, 0, tzinfo=SHANGHAI), None, "rule 6", id="rule-6-14-days-no-deadline"),
        pytest.param(
            datetime(2026, 11, 17, 9, 0, tzinfo=SHANGHAI), DEADLINE, "rule 6", id="rule-6-14-days-unchanged-refused"
        ),
        pytest.param(
            datetime(2026, 11, 17, 9, 0, tzinfo=SHANGHAI),
            datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI),
            "rule 6",
            id="rule-6-moved-but-still-too-close",
        ),
        pytest.param(
            datetime(2026, 11, 17, 9, 0, tzinfo=SHANGHAI),
            datetime(2026, 12, 2, 9, 30, tzinfo=SHANGHAI),
            datetime(2026, 12, 2, 9, 30, tzinfo=SHANGHAI),
            id="rule-6-moved-15-days-ok",
        ),
    ],
)
def test_rule_06_amendment_postpones_deadline(
    amended_at: datetime, new_deadline: datetime | None, outcome: object
) -> None:
    if isinstance(outcome, datetime):
        assert check_amendment_deadline(amended_at, DEADLINE, new_deadline, SNAP, RULES) == outcome
    else:
        with pytest.raises(RuleViolation, match=r"^rule 6: ") as caught:
            check_amendment_deadline(amended_at, DEADLINE, new_deadline, SNAP, RULES)
        assert caught.value.extra["proposed_deadline"]


def test_rule_06_proposal_keeps_time_of_day_and_skips_holidays() -> None:
    proposal, warnings = proposed_amendment_deadline(
        datetime(2026, 9, 16, 15, 0, tzinfo=SHANGHAI), datetime(2026, 9, 25, 9, 30, tzinfo=SHANGHAI), SNAP, RULES
    )
    assert proposal == datetime(2026, 10, 8, 9, 30, tzinfo=SHANGHAI)
    assert warnings == ()


def test_rule_06_advancing_the_deadline_is_refused() -> None:
    with pytest.raises(InvalidInput, match="postpone"):
        check_amendment_deadline(ISSUE, DEADLINE, DEADLINE - timedelta(days=1), SNAP, RULES)


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        pytest.param({"floor_price": "1"}, True, id="rule-10-floor-price-refused"),
        pytest.param({"lots": [{"minimum_price": 5}]}, True, id="rule-10-nested-floor-refused"),
        pytest.param({"ceiling_price": "100"}, False, id="rule-10-ceiling-allowed"),
        pytest.param({"title": "floor_price"}, False, id="rule-10-value-not-key-allowed"),
    ],
)
def test_rule_10_no_floor_price(body: object, refused: bool) -> None:
    if refused:
        with pytest.raises(RuleViolation, match=r"^rule 10: "):
            refuse_floor_price(body)
    else:
        refuse_floor_price(body)


@pytest.mark.parametrize(
    ("ceiling", "ok"),
    [
        pytest.param(None, True, id="rule-10-no-ceiling-ok"),
        pytest.param(Decimal(9_000_000), True, id="rule-10-positive-ceiling-ok"),
        pytest.param(Decimal(0), False, id="rule-10-zero-ceiling-refused"),
    ],
)
def test_rule_10_ceiling_optional_and_positive(ceiling: Decimal | None, ok: bool) -> None:
    if ok:
        check_terms(terms(ceiling_price=ceiling), RULES)
    else:
        with pytest.raises(RuleViolation, match=r"^rule 10: "):
            check_terms(terms(ceiling_price=ceiling), RULES)


@pytest.mark.parametrize(
    ("estimate", "bond", "rule"),
    [
        pytest.param(10_000_000, 200_000, None, id="rule-13-exactly-2-percent-ok"),
        pytest.param(10_000_000, 200_001, 13, id="rule-13-over-2-percent-refused"),
        pytest.param(50_000_000, 800_000, None, id="rule-14-exactly-800k-ok"),
        pytest.param(50_000_000, 800_001, 14, id="rule-14-over-800k-refused"),
    ],
)
def test_rule_13_14_tendering_bond_caps(estimate: int, bond: int, rule: int | None) -> None:
    subject = terms(lots=lot(estimate, bond))
    if rule is None:
        check_terms(subject, RULES)
    else:
        with pytest.raises(RuleViolation, match=rf"^rule {rule}: "):
            check_terms(subject, RULES)


def test_rule_14_cap_is_configurable() -> None:
    subject = terms(lots=lot(50_000_000, 900_000))
    check_terms(subject, dataclasses.replace(RULES, bond_cap_tendering_yuan=Decimal(1_000_000)))


@pytest.mark.parametrize(
    ("budget", "bond", "forms", "refused"),
    [
        pytest.param(5_000_000, 100_000, [BondForm.GUARANTEE], False, id="rule-15-2-percent-guarantee-ok"),
        pytest.param(5_000_000, 100_001, [BondForm.GUARANTEE], True, id="rule-15-over-2-percent-refused"),
        pytest.param(5_000_000, 50_000, [BondForm.GUARANTEE, BondForm.CASH], True, id="rule-15-cash-refused"),
        pytest.param(50_000_000, 1_000_000, [BondForm.CHEQUE], False, id="rule-15-no-absolute-cap"),
    ],
)
def test_rule_15_procurement_bond(budget: int, bond: int, forms: list[BondForm], refused: bool) -> None:
    subject = terms(
        category=Category.GOODS,
        legal_basis=LegalBasis.PROCUREMENT_LAW,
        lots=lot(budget, bond),
        bond_forms=forms,
        committee_size=7,
    )
    if refused:
        with pytest.raises(RuleViolation, match=r"^rule 15: "):
            check_terms(subject, RULES)
    else:
        check_terms(subject, RULES)


@pytest.mark.parametrize(
    ("basis", "budget", "size", "ok"),
    [
        pytest.param(LegalBasis.TENDERING_LAW, 10_000_000, 5, True, id="rule-33-works-5-ok"),
        pytest.param(LegalBasis.TENDERING_LAW, 10_000_000, 4, False, id="rule-33-works-4-refused"),
        pytest.param(LegalBasis.TENDERING_LAW, 10_000_000, 6, False, id="rule-33-even-refused"),
        pytest.param(LegalBasis.PROCUREMENT_LAW, 9_999_999, 5, True, id="rule-33-procurement-small-5-ok"),
        pytest.param(LegalBasis.PROCUREMENT_LAW, 10_000_000, 5, False, id="rule-33-procurement-10m-5-refused"),
        pytest.param(LegalBasis.PROCUREMENT_LAW, 10_000_000, 7, True, id="rule-33-procurement-10m-7-ok"),
    ],
)
def test_rule_33_committee_size(basis: LegalBasis, budget: int, size: int, ok: bool) -> None:
    category = Category.WORKS if basis is LegalBasis.TENDERING_LAW else Category.SERVICES
    subject = terms(legal_basis=basis, category=category, lots=lot(budget, 0), committee_size=size)
    if ok:
        check_terms(subject, RULES)
    else:
        with pytest.raises(RuleViolation, match=r"^rule 33: "):
            check_terms(subject, RULES)


@pytest.mark.parametrize(
    ("minutes", "ok"),
    [
        pytest.param(30, True, id="rule-28-default-30"),
        pytest.param(0, False, id="rule-28-zero-refused"),
        pytest.param(24 * 60 + 1, False, id="rule-28-over-a-day-refused"),
    ],
)
def test_rule_28_decryption_window(minutes: int, ok: bool) -> None:
    if ok:
        check_terms(terms(decryption_window_minutes=minutes), RULES)
    else:
        with pytest.raises(RuleViolation, match=r"^rule 28: "):
            check_terms(terms(decryption_window_minutes=minutes), RULES)


def test_procured_works_follow_tendering_law() -> None:
    with pytest.raises(InvalidInput, match="Art 7"):
        check_terms(terms(legal_basis=LegalBasis.PROCUREMENT_LAW, committee_size=7), RULES)


S = TenderStatus


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (S.DRAFT, S.PUBLISHED, True),
        (S.DRAFT, S.OPENED, False),
        (S.PUBLISHED, S.BIDDING_CLOSED, True),
        (S.PUBLISHED, S.DRAFT, False),
        (S.BIDDING_CLOSED, S.OPENED, True),
        (S.OPENED, S.EVALUATING, True),
        (S.EVALUATING, S.CANDIDATES_PUBLICIZED, True),
        (S.CANDIDATES_PUBLICIZED, S.AWARDED, True),
        (S.AWARDED, S.CONTRACTED, True),
        (S.CONTRACTED, S.COMPLETED, True),
        (S.COMPLETED, S.CANCELLED, False),
        (S.CANCELLED, S.PUBLISHED, False),
        (S.PUBLISHED, S.SUSPENDED, True),
        (S.CONTRACTED, S.SUSPENDED, False),
    ],
    ids=lambda v: v.value if isinstance(v, TenderStatus) else str(v),
)
def test_state_transitions(current: TenderStatus, target: TenderStatus, allowed: bool) -> None:
    assert can_transition(current, target) is allowed
    if allowed:
        assert transition(current, target) is target
    else:
        with pytest.raises(Exception, match="cannot become"):
            transition(current, target)


def test_suspension_resumes_where_it_left_off() -> None:
    assert resume(S.SUSPENDED, S.EVALUATING) is S.EVALUATING
    with pytest.raises(Exception, match="no suspension"):
        resume(S.PUBLISHED, None)
