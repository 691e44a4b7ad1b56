"""Sealed-period streams: one blinded slot entry per open tender per slot, and the reveal at the opening.

Every open tender gets exactly one slot entry per elapsed slot whatever was queued, each a salted hash over the
commitments folded into it (or over the salt alone), so the ledger shows neither bids, bidders nor their number.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.confidential import ConfidentialStream, PendingCommitment, open_stream
from core.db import db_now
from core.journal import JournalEvent
from supervision.ledger.entries import batch_of, reveal_entry, slot_entry
from supervision.ledger.models import LedgerSlot
from supervision.ledger.services import Appender, add_events, lock_state
from trading.tenders.models import Tender
from trading.tenders.states import TenderStatus

MAX_SLOTS_PER_TICK = 10_000


def slots_elapsed(stream: ConfidentialStream, now: datetime) -> int:
    """How many whole slots of the stream have ended by `now`."""
    return max(int((now - stream.opened_at).total_seconds() // stream.slot_seconds), 0)


def _slot_builder(tender: str, slot: int, batch: bytes) -> Callable[[int], bytes]:
    return lambda index: slot_entry(index, tender, slot, batch)


async def _append_slots(
    session: AsyncSession, appender: Appender, stream: ConfidentialStream, now: datetime, final: bool
) -> int:
    last = await session.scalar(select(func.max(LedgerSlot.slot)).where(LedgerSlot.tender_id == stream.tender_id))
    first = 0 if last is None else last + 1
    until = min(slots_elapsed(stream, now) + (1 if final else 0), first + MAX_SLOTS_PER_TICK)
    if until <= first:
        return 0
    pending = list(
        (
            await session.scalars(
                select(PendingCommitment)
                .where(PendingCommitment.tender_id == stream.tender_id, PendingCommitment.slot.is_(None))
                .order_by(PendingCommitment.queued_at)
            )
        ).all()
    )
    tender = str(stream.tender_id)
    for slot in range(first, until):
        end = stream.opened_at + timedelta(seconds=stream.slot_seconds * (slot + 1))
        last_slot = final and slot == until - 1
        taken = [p for p in pending if last_slot or p.queued_at < end]
        pending = [p for p in pending if p not in taken]
        salt = secrets.token_bytes(32)
        batch = batch_of(salt, [p.commitment for p in taken])
        index = appender.add("slot", _slot_builder(tender, slot, batch))
        session.add(LedgerSlot(tender_id=stream.tender_id, slot=slot, salt=salt, batch=batch, ledger_index=index))
        if taken:
            await session.execute(
                update(PendingCommitment).where(PendingCommitment.id.in_([p.id for p in taken])).values(slot=slot)
            )
    return until - first


async def tick_slots(session: AsyncSession, tender_id: uuid.UUID | None = None, *, final: bool = False) -> int:
    """Append every due slot entry of every open tender (or one); `final` also closes the current slot.

    A cancelled tender's stream had its final slot at the cancellation (`close_cancelled`) and gets no more.
    """
    state = await lock_state(session)
    now = await db_now(session)
    query = select(ConfidentialStream).where(ConfidentialStream.revealed_at.is_(None))
    if tender_id is not None:
        query = query.where(ConfidentialStream.tender_id == tender_id)
    if not final:
        cancelled = exists().where(Tender.id == ConfidentialStream.tender_id, Tender.status == TenderStatus.CANCELLED)
        query = query.where(~cancelled)
    streams = (await session.scalars(query.order_by(ConfidentialStream.tender_id))).all()
    appender = Appender(state)
    count = 0
    for stream in streams:
        count += await _append_slots(session, appender, stream, now, final)
    await appender.save(session)
    await session.flush()
    return count


async def _reveal_slots(session: AsyncSession, tender_id: uuid.UUID) -> tuple[list[dict[str, Any]], list[int]]:
    slots = (
        await session.scalars(select(LedgerSlot).where(LedgerSlot.tender_id == tender_id).order_by(LedgerSlot.slot))
    ).all()
    commitments = (
        await session.scalars(
            select(PendingCommitment)
            .where(PendingCommitment.tender_id == tender_id)
            .order_by(PendingCommitment.commitment)
        )
    ).all()
    by_slot: dict[int, list[dict[str, Any]]] = {}
    for c in commitments:
        by_slot.setdefault(c.slot if c.slot is not None else -1, []).append(
            {"salt": c.salt.hex(), "record": json.loads(c.record)}
        )
    if -1 in by_slot:
        raise RuntimeError(f"tender {tender_id} has commitments outside any slot after its final tick")
    revealed = [
        {"slot": s.slot, "index": s.ledger_index, "salt": s.salt.hex(), "commitments": by_slot.get(s.slot, [])}
        for s in slots
    ]
    return revealed, [c.event_seq for c in commitments]


async def reveal_tender(session: AsyncSession, tender_id: uuid.UUID) -> int | None:
    """At the opening: close the stream, append the reveal entry, then the sealed events in the clear.

    Returns the reveal's ledger index, or None if the tender was already revealed. Runs in the caller's
    transaction; the stream row lock waits for in-flight commitments and refuses any later one.
    """
    await open_stream(session, tender_id)
    stream = await session.scalar(
        select(ConfidentialStream)
        .where(ConfidentialStream.tender_id == tender_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if stream is None:
        raise LookupError(f"stream of tender {tender_id} vanished while locked")
    if stream.revealed_at is not None:
        return None
    await tick_slots(session, tender_id, final=True)
    slots, seqs = await _reveal_slots(session, tender_id)
    appender = Appender(await lock_state(session))
    index = appender.add("reveal", lambda i: reveal_entry(i, str(tender_id), slots))
    if seqs:
        events = await session.scalars(
            select(JournalEvent).where(JournalEvent.seq.in_(seqs)).order_by(JournalEvent.ledger_xid, JournalEvent.seq)
        )
        add_events(appender, events.all())
    await appender.save(session)
    stream.revealed_at = await db_now(session)
    await session.flush()
    return index


async def on_tender_published(session: AsyncSession, event: JournalEvent) -> None:
    """Journal subscriber: a published tender starts its fixed-rate stream before any bid can exist."""
    if event.subject_id is not None:
        await open_stream(session, event.subject_id)


async def close_cancelled(session: AsyncSession, tender_id: uuid.UUID) -> int:
    """A cancelled tender's stream ends: what is queued is folded into a final slot and nothing follows. Its
    commitments stay blinded, since no opening will come (条例 Art 31: the bids go back unopened); the salts stay in
    the database for a regulator. Returns the slots appended."""
    return await tick_slots(session, tender_id, final=True)


async def on_tender_cancelled(session: AsyncSession, event: JournalEvent) -> None:
    """Journal subscriber: the cancellation closes the tender's stream in the same transaction."""
    if event.subject_id is not None:
        await close_cancelled(session, event.subject_id)


async def on_sealed_period_over(session: AsyncSession, event: JournalEvent) -> None:
    """Journal subscriber for the opening: reveal the tender's stream."""
    if event.subject_id is not None:
        await reveal_tender(session, event.subject_id)
