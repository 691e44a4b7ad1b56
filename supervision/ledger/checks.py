"""Server-side consistency check: the journal, the stored entries, nodes and the signed checkpoints agree."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.confidential import event_record
from core.journal import JournalEvent
from signing.merkle import CompactRange, leaf_hash
from supervision.ledger.entries import event_entry
from supervision.ledger.models import STATE_ID, LedgerCheckpoint, LedgerEntry, LedgerState


async def check_ledger(session: AsyncSession) -> list[str]:
    """Problems found, each naming the entry, event or checkpoint; empty means consistent (reads everything)."""
    problems: list[str] = []
    state = await session.get(LedgerState, STATE_ID)
    checkpoints = {c.size: c.root for c in (await session.scalars(select(LedgerCheckpoint))).all()}
    entries = (await session.scalars(select(LedgerEntry).order_by(LedgerEntry.index))).all()
    events = {
        e.seq: e
        for e in (
            await session.scalars(select(JournalEvent).where(JournalEvent.seq.in_([x.event_seq for x in entries])))
        ).all()
    }
    compact = CompactRange()
    for position, entry in enumerate(entries):
        if entry.index != position:
            problems.append(f"ledger entry {position} is missing (next stored index is {entry.index})")
            break
        if leaf_hash(entry.entry) != entry.leaf_hash:
            problems.append(f"ledger entry {position}: bytes do not match the stored leaf hash")
        compact.append(leaf_hash(entry.entry))
        if compact.size in checkpoints and compact.root() != checkpoints[compact.size]:
            problems.append(f"ledger entries up to {compact.size} do not match the signed checkpoint of that size")
        if entry.event_seq is None:
            continue
        event = events.get(entry.event_seq)
        if event is None:
            problems.append(f"ledger entry {position}: journal event seq {entry.event_seq} was deleted")
        elif hashlib.sha256(event.payload_canonical).digest() != event.payload_sha256:
            problems.append(f"journal event {event.id} (ledger entry {position}): payload does not match its hash")
        elif event_entry(position, event_record(event)) != entry.entry:
            problems.append(f"journal event {event.id} (ledger entry {position}) differs from its ledger entry")
    if state is not None and state.size != len(entries):
        problems.append(f"ledger state says {state.size} entries, {len(entries)} are stored")
    return problems
