"""Sealed-period acts: a confidential journal event plus a salted commitment that the ledger publishes blinded.

Bidding records acts that would reveal a bid, a bidder or the number of bids through `commit_confidential`, never
through `record_event` directly. The supervision ledger later folds the queued commitments into fixed-rate slot
entries per tender and reveals salts and records when the tender's opening starts (see docs/ledger.md).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import NOW_SQL, Base, random_id
from core.errors import Conflict
from core.journal import SYSTEM, Actor, canonical_json, event_values, record_event, subscribers

COMMITMENT_DOMAIN = b"sunbid/commitment/v1\n"
DEFAULT_SLOT_SECONDS = 300


class ConfidentialStream(Base):
    """One tender's sealed period: slots of fixed length from `opened_at` until the reveal."""

    __tablename__ = "confidential_streams"

    tender_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    slot_seconds: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
    revealed_at: Mapped[datetime | None] = mapped_column()


class PendingCommitment(Base):
    """A salted commitment to one confidential event; `slot` is set when the ledger folds it into a slot entry."""

    __tablename__ = "confidential_commitments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=random_id)
    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("confidential_streams.tender_id"), index=True)
    event_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    record: Mapped[bytes] = mapped_column(LargeBinary)
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    commitment: Mapped[bytes] = mapped_column(LargeBinary(32))
    queued_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
    slot: Mapped[int | None] = mapped_column(Integer)


@dataclass(frozen=True)
class ConfidentialCommitment:
    """What a receipt may show before the opening: the commitment hash (the salt stays server-side)."""

    event_id: uuid.UUID
    tender_id: uuid.UUID
    commitment: bytes
    queued_at: datetime


def _uuid(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def format_time(value: datetime) -> str:
    """UTC with microseconds and a Z, so the same instant always gives the same ledger bytes."""
    return value.astimezone(UTC).isoformat(timespec="microseconds").removesuffix("+00:00") + "Z"


class EventFacts(Protocol):
    """What the ledger states about an event (a JournalEvent or a row selected with those columns)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def event_type(self) -> str: ...
    @property
    def recorded_at(self) -> datetime: ...
    @property
    def actor_user_id(self) -> uuid.UUID | None: ...
    @property
    def organization_id(self) -> uuid.UUID | None: ...
    @property
    def subject_id(self) -> uuid.UUID | None: ...
    @property
    def payload_sha256(self) -> bytes: ...


def event_record(event: EventFacts) -> dict[str, Any]:
    """The public facts of an event as the ledger states them (the payload only by its hash)."""
    return {
        "event": str(event.id),
        "type": event.event_type,
        "recorded_at": format_time(event.recorded_at),
        "actor": _uuid(event.actor_user_id),
        "organization": _uuid(event.organization_id),
        "subject": _uuid(event.subject_id),
        "payload_sha256": event.payload_sha256.hex(),
    }


def commitment_hash(salt: bytes, record: bytes) -> bytes:
    """Hiding and binding: without the 32-byte salt nothing about the record can be tested."""
    return hashlib.sha256(COMMITMENT_DOMAIN + salt + record).digest()


async def open_stream(
    session: AsyncSession, tender_id: uuid.UUID, slot_seconds: int = DEFAULT_SLOT_SECONDS
) -> ConfidentialStream:
    """Start a tender's fixed-rate stream (at publication, so its existence says nothing about bids)."""
    if slot_seconds < 1:
        raise ValueError("slot_seconds must be positive")
    await session.execute(
        insert(ConfidentialStream)
        .values(tender_id=tender_id, slot_seconds=slot_seconds)
        .on_conflict_do_nothing(index_elements=["tender_id"])
    )
    stream = await session.scalar(
        select(ConfidentialStream)
        .where(ConfidentialStream.tender_id == tender_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    if stream is None:
        raise LookupError(f"stream of tender {tender_id} vanished while locked")
    return stream


async def commit_confidential(
    session: AsyncSession,
    tender_id: uuid.UUID,
    event_type: str,
    payload: Mapping[str, Any],
    *,
    actor: Actor = SYSTEM,
    subject_id: uuid.UUID | None = None,
) -> ConfidentialCommitment:
    """Record a sealed-period act: a confidential event and its salted commitment, in the caller's transaction.

    The share lock on the tender's stream makes a concurrent reveal wait for this transaction, so no commitment
    can slip in after the reveal.
    """
    stream = await open_stream(session, tender_id)
    if stream.revealed_at is not None:
        raise Conflict(f"tender {tender_id} is past its sealed period; no confidential act can be added")
    event = await record_event(session, event_type, payload, actor=actor, subject_id=subject_id, confidential=True)
    record = canonical_json(event_record(event))
    salt = secrets.token_bytes(32)
    pending = PendingCommitment(
        tender_id=tender_id,
        event_seq=event.seq,
        record=record,
        salt=salt,
        commitment=commitment_hash(salt, record),
    )
    session.add(pending)
    await session.flush()
    await session.refresh(pending, ["queued_at"])
    return ConfidentialCommitment(event.id, tender_id, pending.commitment, pending.queued_at)


@dataclass(frozen=True)
class _NewEvent:
    """An event about to be inserted, as the ledger will state it."""

    id: uuid.UUID
    event_type: str
    recorded_at: datetime
    actor_user_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    subject_id: uuid.UUID | None
    payload_sha256: bytes


@dataclass(frozen=True)
class ConfidentialAct:
    """One sealed-period act for `prepare_confidential`; recorded_at is the database time the caller's
    transaction read (the act's time), so the commitment can be computed before the insert."""

    tender_id: uuid.UUID
    event_type: str
    payload: Mapping[str, Any]
    recorded_at: datetime
    actor: Actor = SYSTEM
    subject_id: uuid.UUID | None = None


@dataclass(frozen=True)
class PreparedConfidential:
    """A batch of sealed-period acts as the columns a plain-SQL writer inserts (events, then their commitments, in
    the acts' order), with each act's commitment for its receipt."""

    event_columns: tuple[list[Any], ...]
    """id, event_type, actor_user_id, organization_id, subject_id, recorded_at, payload (JSON text),
    payload_canonical, payload_sha256."""
    commitment_columns: tuple[list[Any], ...]
    """id, tender_id, record, salt, commitment (the event is the event column's id at the same index)."""
    commitments: list[bytes]

    def select(self, indices: Sequence[int]) -> PreparedConfidential:
        """Only the acts at these positions (a batch that drops a member keeps the others' commitments)."""
        return PreparedConfidential(
            tuple([column[i] for i in indices] for column in self.event_columns),
            tuple([column[i] for i in indices] for column in self.commitment_columns),
            [self.commitments[i] for i in indices],
        )

    @staticmethod
    def merge(parts: Sequence[PreparedConfidential]) -> PreparedConfidential:
        """Several prepared batches as one insert, in their order."""
        return PreparedConfidential(
            tuple([v for part in parts for v in part.event_columns[n]] for n in range(len(parts[0].event_columns))),
            tuple(
                [v for part in parts for v in part.commitment_columns[n]]
                for n in range(len(parts[0].commitment_columns))
            ),
            [c for part in parts for c in part.commitments],
        )


def prepare_confidential(acts: Sequence[ConfidentialAct]) -> PreparedConfidential:
    """`commit_confidential` for many acts, computed in Python for one plain insert (the bid ingest path's group
    commit, through `sunbid_commit_bids`): every value, the salted commitments included, is fixed before the
    statement, so the receipts that state them can be signed first."""
    events: list[list[Any]] = [[] for _ in range(9)]
    commitment_columns: list[list[Any]] = [[] for _ in range(5)]
    commitments: list[bytes] = []
    for act in acts:
        if subscribers(act.event_type) or subscribers("*"):
            raise RuntimeError(f"{act.event_type} has journal subscribers; record it through commit_confidential")
        values = event_values(
            act.event_type, act.payload, actor=act.actor, subject_id=act.subject_id, confidential=True
        )
        new_event = _NewEvent(
            values["id"],
            act.event_type,
            act.recorded_at,
            act.actor.user_id,
            act.actor.organization_id,
            act.subject_id,
            values["payload_sha256"],
        )
        record = canonical_json(event_record(new_event))
        salt = secrets.token_bytes(32)
        commitment = commitment_hash(salt, record)
        row = (
            values["id"],
            act.event_type,
            act.actor.user_id,
            act.actor.organization_id,
            act.subject_id,
            act.recorded_at,
            values["payload_canonical"].decode(),
            values["payload_canonical"],
            values["payload_sha256"],
        )
        for column, value in zip(events, row, strict=True):
            column.append(value)
        for column, value in zip(
            commitment_columns, (random_id(), act.tender_id, record, salt, commitment), strict=True
        ):
            column.append(value)
        commitments.append(commitment)
    return PreparedConfidential(tuple(events), tuple(commitment_columns), commitments)
