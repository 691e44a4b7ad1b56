"""API shapes of the regulator workbench."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from core.schemas import NOT_BLANK, Out, Strict


class TenderRowOut(Out):
    """A tender on the workbench."""

    id: uuid.UUID
    title: str
    status: str
    legal_basis: str
    bid_deadline: datetime
    open_cases: int
    cards: int
    signals: int
    contract_holds: int


class EventOut(Out):
    """One journal event of a trail."""

    id: uuid.UUID
    event_type: str
    recorded_at: datetime
    actor_user_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    subject_id: uuid.UUID | None
    payload: dict[str, Any]
    payload_sha256: str


class TrailOut(Out):
    """A tender's audit trail; `sealed` while the bid deadline has not passed (no bid activity shown)."""

    tender_id: uuid.UUID
    status: str
    bid_deadline: datetime
    sealed: bool
    events: list[EventOut]


class LogEntryOut(Out):
    """An operation-log entry or a rule alert."""

    id: uuid.UUID
    occurred_at: datetime
    method: str
    route: str
    path: str
    status: int
    user_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    ip: str | None
    user_agent: str | None
    tender_id: uuid.UUID | None
    subject_id: uuid.UUID | None
    rule: int | None
    code: str | None = None
    detail: str | None = None


class SignalOut(Out):
    """A rule-51 risk signal with its evidence."""

    id: uuid.UUID
    tender_id: uuid.UUID
    lot: int | None
    kind: str
    rule: int
    bidder_org_ids: list[uuid.UUID]
    evidence: dict[str, Any]
    raised_at: datetime


class AccountabilityIn(Strict):
    """A sanction: expert suspensions name the expert; suspensions and debarments need `until`."""

    kind: Literal["warning", "expert_suspension", "debarment"]
    target_org_id: uuid.UUID
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=20000, pattern=NOT_BLANK)]
    target_user_id: uuid.UUID | None = None
    tender_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    rule: Annotated[int, msgspec.Meta(ge=1, le=200)] | None = None
    until: datetime | None = None


class AccountabilityOut(Out):
    """A stored sanction and the journal event that records it."""

    id: uuid.UUID
    kind: str
    target_org_id: uuid.UUID
    target_user_id: uuid.UUID | None
    tender_id: uuid.UUID | None
    case_id: uuid.UUID | None
    rule: int | None
    reason: str
    until: datetime | None
    issued_by: uuid.UUID
    issuer_org_id: uuid.UUID
    issued_at: datetime
    event_id: uuid.UUID | None
    event_sha256: str | None
