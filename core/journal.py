"""The journal: every state change records an event in the same transaction, canonical payload and its SHA-256."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, Index, LargeBinary, String, insert, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import NOW_SQL, Base, random_id
from signing import jcs

LEDGER_XID_SQL = "(pg_current_xact_id())::text::bigint"
"""The recording transaction's id: the ledger sequences an event only once every older transaction has ended."""


class JournalEvent(Base):
    """One recorded act. `seq` orders the ledger internally; `id` is what the outside sees."""

    __tablename__ = "journal_events"
    __table_args__ = (Index("ix_journal_events_ledger_order", "ledger_xid", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(unique=True, default=random_id)
    event_type: Mapped[str] = mapped_column(String(80), index=True)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column()
    organization_id: Mapped[uuid.UUID | None] = mapped_column()
    subject_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    recorded_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    payload_canonical: Mapped[bytes] = mapped_column(LargeBinary)
    payload_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    confidential_until_opening: Mapped[bool] = mapped_column(server_default=text("false"))
    ledger_xid: Mapped[int] = mapped_column(BigInteger, server_default=text(LEDGER_XID_SQL))


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical bytes of a JSON value (signing.jcs: the standard library's encoder for plain values)."""
    return jcs.dumps(value)


@dataclass(frozen=True)
class Actor:
    """Who did it: a user acting for an organization, or the platform itself (both None)."""

    user_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None


SYSTEM = Actor()

EventHandler = Callable[[AsyncSession, JournalEvent], Awaitable[None]]
_subscribers: dict[str, list[EventHandler]] = {}


def subscribe(event_type: str, handler: EventHandler) -> None:
    """Let a higher layer act on an event type in the same transaction (wired in sunbid/, never imported upward)."""
    _subscribers.setdefault(event_type, []).append(handler)


def subscribers(event_type: str) -> tuple[EventHandler, ...]:
    """The handlers subscribed to one event type (so wiring can stay idempotent)."""
    return tuple(_subscribers.get(event_type, ()))


def clear_subscribers() -> None:
    """Forget all subscriptions (the assembly rewires them on start)."""
    _subscribers.clear()


def event_values(
    event_type: str,
    payload: Mapping[str, Any],
    *,
    actor: Actor,
    subject_id: uuid.UUID | None,
    confidential: bool,
) -> dict[str, Any]:
    """The columns of a new event that Python fixes (the database adds seq, recorded_at and ledger_xid)."""
    body = dict(payload)
    canonical = canonical_json(body)
    return {
        "id": random_id(),
        "event_type": event_type,
        "actor_user_id": actor.user_id,
        "organization_id": actor.organization_id,
        "subject_id": subject_id,
        "payload": body,
        "payload_canonical": canonical,
        "payload_sha256": hashlib.sha256(canonical).digest(),
        "confidential_until_opening": confidential,
    }


async def record_event(
    session: AsyncSession,
    event_type: str,
    payload: Mapping[str, Any],
    *,
    actor: Actor = SYSTEM,
    subject_id: uuid.UUID | None = None,
    confidential: bool = False,
) -> JournalEvent:
    """Append an event inside the caller's transaction (one INSERT ... RETURNING); it commits or vanishes with it."""
    values = event_values(event_type, payload, actor=actor, subject_id=subject_id, confidential=confidential)
    inserted = await session.execute(
        insert(JournalEvent)
        .values(**values)
        .returning(JournalEvent.seq, JournalEvent.recorded_at, JournalEvent.ledger_xid)
    )
    seq, recorded_at, ledger_xid = inserted.one()
    event = JournalEvent(**values, seq=seq, recorded_at=recorded_at, ledger_xid=ledger_xid)
    for handler in _subscribers.get(event_type, []) + _subscribers.get("*", []):
        await handler(session, event)
    return event
