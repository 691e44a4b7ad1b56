"""Statutory windows and periods of objections, challenges and complaints (rules 7-8, 30, 56, 63-67); pure functions.

Rule 30's "answered on the spot" is modelled as the same calendar day (U: our reading, configurable here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from core.calendar import HolidaySnapshot, beijing, calendar_days_between, local_day
from core.errors import InvalidInput
from supervision.cases.errors import IntakeClosed, PrerequisiteMissing, WrongProcedure
from supervision.cases.states import CaseKind, Matter
from supervision.clocks.periods import Period, Unit, last_day, period_end_from_day

TENDERING = "tendering_law"
PROCUREMENT = "procurement_law"

OBJECTION_DOCS_LEAD_DAYS = 10  # rule 7 (V): 条例 Art 22, ≥10 日 before the bid deadline
OBJECTION_ANSWER_DOCS = Period(7, 3, Unit.CALENDAR, "答复招标文件异议 (条例 Art 22)")
OBJECTION_ANSWER_OPENING = Period(30, 0, Unit.CALENDAR, "当场答复开标异议 (条例 Art 44)")
OBJECTION_ANSWER_RESULT = Period(56, 3, Unit.CALENDAR, "答复评标结果异议 (条例 Art 54)")
CHALLENGE_INTAKE = Period(66, 7, Unit.WORKING, "提出质疑 (94号令 Art 11)")
CHALLENGE_ANSWER = Period(66, 7, Unit.WORKING, "答复质疑 (94号令 Art 13)")
INQUIRY_ANSWER = Period(65, 3, Unit.WORKING, "答复询问 (条例(采购) Art 52)")
WORKS_COMPLAINT_INTAKE = Period(63, 10, Unit.CALENDAR, "提出投诉 (条例 Art 60)")
WORKS_ACCEPTANCE = Period(64, 3, Unit.WORKING, "决定是否受理投诉 (条例 Art 61)")
WORKS_DECISION = Period(64, 30, Unit.WORKING, "作出投诉处理决定 (条例 Art 61)")
PROCUREMENT_COMPLAINT_INTAKE = Period(67, 15, Unit.WORKING, "提出投诉 (94号令 Art 17)")
PROCUREMENT_ACCEPTANCE = Period(67, 5, Unit.WORKING, "审查投诉 (94号令 Art 21)")
PROCUREMENT_DECISION = Period(67, 30, Unit.WORKING, "作出投诉处理决定 (94号令 Art 26)")
PROCUREMENT_SUSPENSION_MAX = Period(67, 30, Unit.CALENDAR, "暂停采购活动不超过30日 (94号令 Art 28)")
PROCUREMENT_PAPERS = Period(67, 8, Unit.WORKING, "发送投诉答复通知书及投诉书副本 (94号令)")
PROCUREMENT_REPLY = Period(67, 5, Unit.WORKING, "被投诉人答复投诉 (94号令)")
"""Rule 67 gives the numbers (V) but not the anchors. Our reading, kept here: the papers go out within 8 工作日 of
receiving the complaint (a procurement complaint counts as accepted from receipt, like the decision clock), and the
reply is due 5 工作日 after the papers reach the parties; papers sent through the platform arrive when sent."""

EXCLUDABLE: dict[str, frozenset[str]] = {
    TENDERING: frozenset({"inspection", "testing", "appraisal", "expert_review"}),
    PROCUREMENT: frozenset({"inspection", "testing", "appraisal", "expert_review", "supplement"}),
}
"""Time the decision period does not count. Rule 64 (V) excludes testing and expert review (条例 Art 62: 检验、检测、
鉴定、专家评审); rule 67 cites 94号令 Art 27 without listing it, read here as the same four plus the complainant
supplementing materials (补正材料). The Art 27 list is U in the reference: change it here if the text says otherwise."""

CONTRACT_LOCK_KINDS = frozenset({CaseKind.CHALLENGE})
"""Rule 66: a challenge that may affect the result suspends contract signing. The platform cannot judge "may
affect", so every open challenge holds the contract until answered (our conservative reading; configurable here)."""

OBJECTION_FIRST = frozenset({Matter.DOCUMENTS, Matter.OPENING, Matter.RESULT})
"""条例 Art 60: complaints on matters of Arts 22, 44 and 54 need an objection first (rule 63)."""

OBJECTION_STAGES: dict[Matter, frozenset[str]] = {
    Matter.DOCUMENTS: frozenset({"published"}),
    Matter.OPENING: frozenset({"bidding_closed", "opened"}),
    Matter.RESULT: frozenset({"candidates_publicized"}),
}


def check_procedure(kind: CaseKind, legal_basis: str) -> None:
    """异议 only under 招标投标法; 质疑 and 询问 only under 政府采购法; 投诉 under both."""
    if kind is CaseKind.OBJECTION and legal_basis != TENDERING:
        raise WrongProcedure(66, "a procurement-law tender takes 质疑 (challenge), not 异议 (objection)")
    if kind in (CaseKind.CHALLENGE, CaseKind.INQUIRY) and legal_basis != PROCUREMENT:
        raise WrongProcedure(32, "a tendering-law tender takes 异议 (objection) to the tenderee, not 质疑 or 询问")


def answer_period(kind: CaseKind, matter: Matter) -> Period:
    """The period the tenderee, agency or purchaser has to answer."""
    if kind is CaseKind.CHALLENGE:
        return CHALLENGE_ANSWER
    if kind is CaseKind.INQUIRY:
        return INQUIRY_ANSWER
    if matter is Matter.OPENING:
        return OBJECTION_ANSWER_OPENING
    if matter is Matter.RESULT:
        return OBJECTION_ANSWER_RESULT
    return OBJECTION_ANSWER_DOCS


def suspends_on_filing(kind: CaseKind, matter: Matter) -> bool:
    """条例 Arts 22 and 54: tendering activity stops until an objection to the documents or result is answered."""
    return kind is CaseKind.OBJECTION and matter in (Matter.DOCUMENTS, Matter.RESULT)


def check_objection_intake(matter: Matter, now: datetime, stage: str, bid_deadline: datetime) -> None:
    """Rules 7, 30, 56: each objection at its own stage; documents ≥10 日 before the deadline."""
    if matter not in OBJECTION_STAGES:
        raise WrongProcedure(
            32, "an objection concerns the documents, the opening or the result (条例 Arts 22, 44, 54)"
        )
    rule = {Matter.DOCUMENTS: 7, Matter.OPENING: 30, Matter.RESULT: 56}[matter]
    if stage not in OBJECTION_STAGES[matter]:
        raise IntakeClosed(rule, f"an objection on the {matter.value} is not open while the tender is {stage}")
    if matter is Matter.DOCUMENTS and calendar_days_between(now, bid_deadline) < OBJECTION_DOCS_LEAD_DAYS:
        raise IntakeClosed(
            7,
            f"objections to the tender documents close {OBJECTION_DOCS_LEAD_DAYS} 日 before the bid deadline "
            f"({beijing(bid_deadline)})",
        )


def check_known_on(known_on: date, now: datetime) -> None:
    """The day the party learned of the matter cannot lie in the future."""
    if known_on > local_day(now):
        raise IntakeClosed(63, "known_on cannot be later than today")


def challenge_intake_end(known_on: date, snapshot: HolidaySnapshot) -> datetime:
    """Rules 8 and 66: 7 工作日 from knowing (from obtaining the documents or the end of the notice period)."""
    return period_end_from_day(known_on, CHALLENGE_INTAKE, snapshot)


def check_before(now: datetime, end: datetime, rule: int, what: str) -> None:
    """Refuse a filing after its window's last 24:00."""
    if now >= end:
        raise IntakeClosed(rule, f"{what} closed at {beijing(end)}")


@dataclass(frozen=True)
class PriorCase:
    """The objection or challenge a complaint rests on, as the rules see it."""

    answered_at: datetime | None
    answer_due_at: datetime


def works_complaint_end(
    known_on: date, matter: Matter, prior: PriorCase | None, now: datetime, snapshot: HolidaySnapshot
) -> datetime:
    """Rule 63: 10 日 from knowing; for Art 22/44/54 matters an objection first, its pending time excluded."""
    if matter not in OBJECTION_FIRST:
        return period_end_from_day(known_on, WORKS_COMPLAINT_INTAKE, snapshot)
    if prior is None:
        raise PrerequisiteMissing(
            63, f"a complaint on the {matter.value} needs your objection to the tenderee first (条例 Art 60)"
        )
    if prior.answered_at is None and now < prior.answer_due_at:
        raise PrerequisiteMissing(63, f"your objection is still within its answer period ({prior.answer_due_at})")
    resumed = local_day(prior.answered_at) if prior.answered_at else last_day(prior.answer_due_at)
    return period_end_from_day(max(known_on, resumed), WORKS_COMPLAINT_INTAKE, snapshot)


def procurement_complaint_end(prior: PriorCase | None, now: datetime, snapshot: HolidaySnapshot) -> datetime:
    """Rule 67: only on a matter already challenged; 15 工作日 after the answer period ends."""
    if prior is None:
        raise PrerequisiteMissing(67, "a procurement complaint may only concern a matter you have challenged (质疑)")
    if prior.answered_at is None and now < prior.answer_due_at:
        raise PrerequisiteMissing(67, f"your challenge is still within its answer period ({prior.answer_due_at})")
    return period_end_from_day(last_day(prior.answer_due_at), PROCUREMENT_COMPLAINT_INTAKE, snapshot)


def locks_contract_on_filing(kind: CaseKind) -> bool:
    """Rule 66: filing this kind of case suspends contract signing until it is answered or decided."""
    return kind in CONTRACT_LOCK_KINDS


def check_excludable(legal_basis: str, kind: str) -> int:
    """The rule row that lets this kind of time be excluded from the decision period, or InvalidInput."""
    allowed = EXCLUDABLE[legal_basis]
    if kind not in allowed:
        raise InvalidInput(f"kind: {kind!r} is not excluded time; one of {', '.join(sorted(allowed))}", field="kind")
    return 64 if legal_basis == TENDERING else 67


def acceptance_period(legal_basis: str) -> Period:
    """Rule 64 (3 工作日) or rule 67 (5 工作日)."""
    return WORKS_ACCEPTANCE if legal_basis == TENDERING else PROCUREMENT_ACCEPTANCE


def decision_period(legal_basis: str) -> Period:
    """30 工作日: from acceptance under 条例 Art 61, from receipt under 94号令 Art 26."""
    return WORKS_DECISION if legal_basis == TENDERING else PROCUREMENT_DECISION
