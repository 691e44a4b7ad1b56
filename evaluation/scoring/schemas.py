"""API shapes of the remote evaluation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

from core.schemas import NOT_BLANK, LotNumber, Out, Strict
from evaluation.scoring.rules import ChangeReason, RejectionGround

Reason = Annotated[str, msgspec.Meta(max_length=4000)]


class EntryIn(Strict):
    """The entry declaration (rule 37): no conflict, or a conflict that recuses the member."""

    no_conflict: bool
    declaration: Reason = ""


class ReviewIn(Strict):
    """A pass/fail verdict on one bid with rule-50 grounds when failed."""

    lot: LotNumber
    bidder: uuid.UUID
    passed: bool
    grounds: list[RejectionGround] = msgspec.field(default_factory=list)
    note: Reason = ""


class ScoreIn(Strict):
    """A signed statement {type: sunbid.evaluation.score, tender, lot, bidder, criteria} from the member's wallet."""

    statement: Annotated[str, msgspec.Meta(min_length=2, max_length=64000)]


class RevisionIn(Strict):
    """A changed score and its rule-53 reason."""

    statement: Annotated[str, msgspec.Meta(min_length=2, max_length=64000)]
    reason: ChangeReason


class VoteIn(Strict):
    """Why the time is insufficient (rule 41)."""

    reason: Reason = ""


class ChairVoteIn(Strict):
    """The seat this member elects as chair (rule 38)."""

    seat: Annotated[int, msgspec.Meta(ge=1, le=49)]


class RejectionVoteIn(Strict):
    """A signed statement {type: sunbid.evaluation.reject_all_vote, tender, lot, reject_all} (rule 52)."""

    statement: Annotated[str, msgspec.Meta(min_length=2, max_length=64000)]


class ClarificationIn(Strict):
    """Ask an abnormally low bid to explain itself (rule 49)."""

    lot: LotNumber
    bidder: uuid.UUID
    question: Annotated[str, msgspec.Meta(min_length=1, max_length=4000, pattern=NOT_BLANK)]
    hours: Annotated[int, msgspec.Meta(ge=1, le=240)] = 24


class ReplyIn(Strict):
    """The bidder's signed reply {type: sunbid.evaluation.clarification_reply, clarification, text}."""

    statement: Annotated[str, msgspec.Meta(min_length=2, max_length=64000)]


class SignatureIn(Strict):
    """The report with this member's PAdES signature appended, and any dissent."""

    pdf_base64: Annotated[str, msgspec.Meta(min_length=4, max_length=40_000_000)]
    dissent: Reason | None = None


class RefusalIn(Strict):
    """Refusing to sign: a reason records dissent; none counts as agreement (rule 54)."""

    reason: Reason | None = None


class BidOut(Out):
    """An opened bid as the committee sees it."""

    lot: int
    bidder: uuid.UUID
    bidder_name: str
    price: str
    files: list[dict[str, Any]]


class ClarificationOut(Out):
    """A clarification request and its state."""

    id: uuid.UUID
    tender_id: uuid.UUID
    lot: int
    bidder: uuid.UUID
    question: str
    deadline: datetime
    status: str


class ReportOut(Out):
    """The report's state and results (the PDF is at .../report/pdf)."""

    id: uuid.UUID
    tender_id: uuid.UUID
    status: str
    pdf_sha256: str
    results: dict[str, Any]


class EvaluationOut(Out):
    """The evaluation's state: status, extension, the elected chair's seat and rule-52 decisions by lot."""

    tender_id: uuid.UUID
    status: str
    extended: bool
    chair_seat: int | None
    decisions: dict[str, Any]
