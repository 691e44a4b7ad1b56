"""API shapes for cases."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from core.schemas import NOT_BLANK, Out, Strict
from supervision.cases.states import CaseKind, Matter, Outcome

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300, pattern=NOT_BLANK)]
Body = Annotated[str, msgspec.Meta(min_length=1, max_length=20000, pattern=NOT_BLANK)]


class CaseIn(Strict):
    """A filing: complaints name the regulator; `known_on` is the day the party learned of the matter."""

    kind: CaseKind
    tender_id: uuid.UUID
    matter: Matter
    title: Title
    grounds: Body
    known_on: date | None = None
    regulator_id: uuid.UUID | None = None
    prior_case_id: uuid.UUID | None = None


class AnswerIn(Strict):
    """The tenderee's, agency's or purchaser's answer."""

    answer: Body


class ReasonIn(Strict):
    """A reason (rejection, suspension, lifting)."""

    reason: Body


class ReplyIn(Strict):
    """The respondent's written reply to a complaint's papers (rule 67)."""

    reply: Body


class PauseIn(Strict):
    """Excluded time starting: its kind (inspection, testing, appraisal, expert_review, supplement) and why."""

    kind: Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
    reason: Body


class PauseOut(Out):
    """A recorded pause of a case's clock and what it did to the due time."""

    id: uuid.UUID
    clock_id: uuid.UUID
    kind: str
    reason: str
    started_at: datetime
    ended_at: datetime | None
    excluded_days: int | None
    due_before: datetime
    due_after: datetime | None


class DecisionIn(Strict):
    """The regulator's decision on a complaint."""

    outcome: Outcome
    decision: Body


class CaseOut(Out):
    """A case as its parties and the regulators see it."""

    id: uuid.UUID
    kind: str
    matter: str
    tender_id: uuid.UUID
    complainant_org_id: uuid.UUID
    respondent_org_id: uuid.UUID
    prior_case_id: uuid.UUID | None
    title: str
    grounds: str
    known_on: date
    filed_at: datetime
    status: str
    answer_due_at: datetime | None
    answer: str | None
    answered_at: datetime | None
    acceptance_due_at: datetime | None
    accepted_at: datetime | None
    rejection_reason: str | None
    decision_due_at: datetime | None
    outcome: str | None
    decision: str | None
    decided_at: datetime | None
    published_at: datetime | None
    holds_suspension: bool
    holds_contract_lock: bool
    papers_due_at: datetime | None
    papers_sent_at: datetime | None
    reply_due_at: datetime | None
    reply: str | None
    replied_at: datetime | None


class DecisionOut(Out):
    """A published complaint decision, as the public reads it."""

    id: uuid.UUID
    tender_id: uuid.UUID
    complainant_org_id: uuid.UUID | None
    """None while the tender's bid deadline is ahead: naming who complains would name a potential bidder."""
    regulator_org_id: uuid.UUID
    matter: str
    title: str
    outcome: str
    decision: str
    decided_at: datetime
    published_at: datetime
