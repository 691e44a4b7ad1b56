"""Strict msgspec shapes of the opening API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from core.schemas import NOT_BLANK

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=NOT_BLANK)]


class ReleaseIn(msgspec.Struct, forbid_unknown_fields=True):
    """A bidder's per-tender age identity, released in the decryption window."""

    identity: Annotated[str, msgspec.Meta(min_length=10, max_length=200)]


class TextIn(msgspec.Struct, forbid_unknown_fields=True):
    """An announcement, an objection or an answer."""

    text: Text


class CauseIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why a bid was not decrypted (rule 27), with the evidence."""

    cause: Literal["bidder", "platform", "ca"]
    evidence: Text


class ShareIn(msgspec.Struct, forbid_unknown_fields=True):
    """A custodian's opened share and its signed release statement."""

    share: Annotated[str, msgspec.Meta(min_length=10, max_length=4000)]
    statement: Annotated[str, msgspec.Meta(min_length=10, max_length=20000)]


class StatementIn(msgspec.Struct, forbid_unknown_fields=True):
    """A signed statement (confirmation or dispute of the record)."""

    statement: Annotated[str, msgspec.Meta(min_length=10, max_length=20000)]


class OpenedBidOut(msgspec.Struct):
    """A bid in the hall: the sheet only after the reading (or to its own bidder)."""

    bid: uuid.UUID
    lot: int
    bidder: uuid.UUID
    bidder_name: str
    status: str
    price: str | None = None
    duration_days: int | None = None
    quality: str | None = None
    guarantee: str | None = None
    cause: str | None = None


class OpeningOut(msgspec.Struct):
    """The opening's state, and the reading once made."""

    tender_id: uuid.UUID
    status: str
    started_at: datetime
    window_closes_at: datetime
    escrow_closes_at: datetime | None
    announced_at: datetime | None
    published_at: datetime | None
    failed_lots: list[int]
    bids: list[OpenedBidOut]


class ReleaseOut(msgspec.Struct):
    """Which bids the released identity opened."""

    bids: list[dict[str, Any]]
    announced: bool


class SeqOut(msgspec.Struct):
    """The hall message a request produced."""

    seq: int


class IdOut(msgspec.Struct):
    """The id of what was created."""

    id: uuid.UUID


class PendingShareOut(msgspec.Struct):
    """A custodian's sealed share of an undecrypted bid."""

    bid: uuid.UUID
    lot: int
    bidder_name: str
    sealed: str
    released: bool


class ShareOut(msgspec.Struct):
    """Where the quorum stands for a bid."""

    released: int
    quorum: int
    opened: bool
    announced: bool


class MessageOut(msgspec.Struct):
    """A hall message, as the websocket carries it."""

    seq: int
    kind: str
    audience: str
    at: datetime
    data: dict[str, Any]
