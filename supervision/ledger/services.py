"""Sequencing committed journal events into the ledger, signed checkpoints, proofs and export.

Order: events enter by (ledger_xid, seq), and only once their xid is below the snapshot xmin, i.e. every
transaction that could still add an event before them has ended (the transactional outbox rule). Appends are
serialized by the row lock on ledger_state, which also holds the compact range, so an append costs O(log n).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import and_, func, literal_column, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.confidential import EventFacts, event_record
from core.errors import NotFound
from core.journal import JournalEvent
from signing.checkpoint import make_checkpoint_body, sign_note
from signing.ledger_bundle import write_bundle
from signing.merkle import CompactRange, leaf_hash, verify_consistency
from supervision.ledger.entries import event_entry
from supervision.ledger.errors import LedgerCorrupt, ProofOutOfRange
from supervision.ledger.keys import LedgerKey
from supervision.ledger.models import STATE_ID, LedgerCheckpoint, LedgerEntry, LedgerNode, LedgerState
from supervision.ledger.tree import NodeKey, append_leaf, compact_from, consistency_ranges, fold, inclusion_ranges
from supervision.ledger.tree import range_nodes as _range_nodes

SEQUENCE_BATCH = 5000
MAX_ENTRIES_PER_PAGE = 1000
EXPORT_CHUNK = 50_000
_XMIN_SQL = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
_EVENT_COLUMNS = (
    JournalEvent.seq,
    JournalEvent.id,
    JournalEvent.event_type,
    JournalEvent.actor_user_id,
    JournalEvent.organization_id,
    JournalEvent.subject_id,
    JournalEvent.recorded_at,
    JournalEvent.payload_sha256,
    JournalEvent.confidential_until_opening,
    JournalEvent.ledger_xid,
)


@dataclass(frozen=True)
class State:
    """The sequencer row as read under its lock."""

    size: int
    compact: bytes
    watermark_xid: int
    watermark_seq: int


_LOCK_SQL = text(
    "select size, compact, watermark_xid, watermark_seq,"
    " set_config('synchronous_commit', case when :relaxed then 'off' else current_setting('synchronous_commit') end,"
    " true) from ledger_state where id = 1 for update"
)
_TRY_LOCK_SQL = text(_LOCK_SQL.text + " skip locked")
_OWN_XID_SQL = "(pg_current_xact_id_if_assigned())::text::bigint = " + _XMIN_SQL
_SAVE_SQL = text(
    "with e as (insert into ledger_entries (index, kind, event_seq, entry, leaf_hash)"
    " select * from unnest(cast(:i as bigint[]), cast(:k as varchar[]), cast(:s as bigint[]), cast(:e as bytea[]),"
    " cast(:h as bytea[]))),"
    " n as (insert into ledger_nodes (level, index, hash)"
    " select * from unnest(cast(:nl as integer[]), cast(:ni as bigint[]), cast(:nh as bytea[])))"
    " update ledger_state set size = :size, compact = :compact,"
    " watermark_xid = coalesce(cast(:wx as bigint), watermark_xid),"
    " watermark_seq = coalesce(cast(:ws as bigint), watermark_seq) where id = 1"
)


async def lock_state(session: AsyncSession, *, relaxed_commit: bool = False) -> State:
    """Take the sequencer lock (the state row, FOR UPDATE) and read the state as it is after the lock.

    `relaxed_commit` turns synchronous commit off for this transaction in the same round trip.
    """
    row = (await session.execute(_LOCK_SQL, {"relaxed": relaxed_commit})).first()
    if row is None:
        await session.execute(pg_insert(LedgerState).values(id=STATE_ID).on_conflict_do_nothing())
        row = (await session.execute(_LOCK_SQL, {"relaxed": relaxed_commit})).first()
    if row is None:
        raise LedgerCorrupt("the ledger_state row cannot be created")
    return State(int(row[0]), bytes(row[1]), int(row[2]), int(row[3]))


class Appender:
    """Appends entries under the sequencer lock; `save` writes entries, new nodes and the compact range at once."""

    def __init__(self, state: State) -> None:
        self.compact = compact_from(state.size, state.compact)
        self.entries: list[tuple[int, str, int | None, bytes, bytes]] = []
        self.nodes: list[tuple[int, int, bytes]] = []

    def add(self, kind: str, build: Callable[[int], bytes], event_seq: int | None = None) -> int:
        """Append one entry whose bytes may state their own index; returns that index."""
        index = self.compact.size
        data = build(index)
        leaf = leaf_hash(data)
        append_leaf(self.compact, leaf, self.nodes)
        self.entries.append((index, kind, event_seq, data, leaf))
        return index

    async def save(self, session: AsyncSession, watermark: tuple[int, int] | None = None) -> None:
        """Persist entries, new nodes, the compact range and the watermark in one statement."""
        if not self.entries and watermark is None:
            return
        columns: list[tuple[object, ...]] = list(zip(*self.entries, strict=True)) or [(), (), (), (), ()]
        nodes: list[tuple[object, ...]] = list(zip(*self.nodes, strict=True)) or [(), (), ()]
        params: dict[str, object] = {
            "i": list(columns[0]),
            "k": list(columns[1]),
            "s": list(columns[2]),
            "e": list(columns[3]),
            "h": list(columns[4]),
            "nl": list(nodes[0]),
            "ni": list(nodes[1]),
            "nh": list(nodes[2]),
            "size": self.compact.size,
            "compact": b"".join(self.compact.nodes),
            "wx": watermark[0] if watermark else None,
            "ws": watermark[1] if watermark else None,
        }
        await session.execute(_SAVE_SQL, params)
        self.entries, self.nodes = [], []


class SequencedFacts(EventFacts, Protocol):
    """An event as the sequencer reads it."""

    @property
    def seq(self) -> int: ...


def _event_builder(record: dict[str, Any]) -> Callable[[int], bytes]:
    return lambda index: event_entry(index, record)


def add_events(appender: Appender, events: Iterable[SequencedFacts]) -> None:
    """Append journal events as event entries, in the order given."""
    for event in events:
        appender.add("event", _event_builder(event_record(event)), event.seq)


async def sequence(
    session: AsyncSession, limit: int = SEQUENCE_BATCH, *, relaxed_commit: bool = False, own: bool = False
) -> int:
    """Append committed, not yet sequenced, non-confidential events; returns how many rows the watermark passed.

    With `own`, the caller's own uncommitted events are included too, but only if no older transaction is running
    (its xid is the snapshot xmin), so they still come after every event ordered before them; if another
    transaction holds the sequencer lock, nothing is done and the post-commit pass will sequence them.
    """
    if own:
        row = (await session.execute(_TRY_LOCK_SQL, {"relaxed": False})).first()
        if row is None:
            return 0
        state = State(int(row[0]), bytes(row[1]), int(row[2]), int(row[3]))
    else:
        state = await lock_state(session, relaxed_commit=relaxed_commit)
    visible = JournalEvent.ledger_xid < literal_column(_XMIN_SQL)
    if own:
        visible = or_(visible, and_(JournalEvent.ledger_xid == literal_column(_XMIN_SQL), literal_column(_OWN_XID_SQL)))
    rows = (
        await session.execute(
            select(*_EVENT_COLUMNS)
            .where(tuple_(JournalEvent.ledger_xid, JournalEvent.seq) > (state.watermark_xid, state.watermark_seq))
            .where(visible)
            .order_by(JournalEvent.ledger_xid, JournalEvent.seq)
            .limit(limit)
        )
    ).all()
    if not rows:
        return 0
    appender = Appender(state)
    add_events(appender, (e for e in rows if not e.confidential_until_opening))
    await appender.save(session, watermark=(rows[-1].ledger_xid, rows[-1].seq))
    return len(rows)


async def sequence_committed(factory: async_sessionmaker[AsyncSession]) -> int:
    """Catch the ledger up with everything committed, in its own transactions; safe to call at any time.

    Asynchronous commit is enough here: the entries are a deterministic function of the durable journal, and any
    later synchronous commit (a checkpoint, a reveal) flushes them first.
    """
    total = 0
    while True:
        async with factory() as session, session.begin():
            count = await sequence(session, relaxed_commit=True)
        total += count
        if count < SEQUENCE_BATCH:
            return total


async def sequence_after_commit(session: AsyncSession) -> int:
    """Right after the caller committed, sequence on the same connection (no pool checkout, relaxed commit)."""
    async with session.begin():
        return await sequence(session, relaxed_commit=True)


async def fetch_nodes(session: AsyncSession, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
    """Stored hashes for perfect nodes: level 0 from the entries' leaf hashes, higher levels from ledger_nodes."""
    wanted = set(keys)
    leaves = [i for level, i in wanted if level == 0]
    inner = [(level, i) for level, i in wanted if level > 0]
    found: dict[NodeKey, bytes] = {}
    if leaves:
        rows = await session.execute(
            select(LedgerEntry.index, LedgerEntry.leaf_hash).where(LedgerEntry.index.in_(leaves))
        )
        found.update({(0, i): h for i, h in rows.all()})
    if inner:
        inner_rows = await session.execute(
            select(LedgerNode.level, LedgerNode.index, LedgerNode.hash).where(
                tuple_(LedgerNode.level, LedgerNode.index).in_(inner)
            )
        )
        found.update({(int(r[0]), int(r[1])): bytes(r[2]) for r in inner_rows.all()})
    if missing := wanted - found.keys():
        raise LedgerCorrupt(f"ledger nodes are missing: {sorted(missing)[:5]}")
    return found


async def _hashes_for(session: AsyncSession, ranges: list[tuple[int, int]]) -> list[bytes]:
    plans = [_range_nodes(a, b) for a, b in ranges]
    nodes = await fetch_nodes(session, (k for plan in plans for k in plan))
    return [fold(plan, nodes) for plan in plans]


async def current_size(session: AsyncSession) -> int:
    """The number of entries appended so far (not necessarily signed yet)."""
    return int(await session.scalar(select(LedgerState.size).where(LedgerState.id == STATE_ID)) or 0)


async def inclusion_proof(session: AsyncSession, index: int, size: int) -> list[bytes]:
    """RFC 9162 PATH(index, D[size]) from O(log n) stored nodes."""
    if not 0 <= index < size <= await current_size(session):
        raise ProofOutOfRange(f"need 0 <= index < size <= ledger size; got index {index}, size {size}")
    return await _hashes_for(session, inclusion_ranges(index, size))


async def consistency_proof(session: AsyncSession, first: int, second: int) -> list[bytes]:
    """RFC 9162 PROOF(first, D[second]) from O(log n) stored nodes."""
    if not 0 < first <= second <= await current_size(session):
        raise ProofOutOfRange(f"need 0 < first <= second <= ledger size; got first {first}, second {second}")
    return await _hashes_for(session, consistency_ranges(first, second))


async def entries(session: AsyncSession, start: int, end: int) -> list[LedgerEntry]:
    """Entries [start, end), at most MAX_ENTRIES_PER_PAGE of them."""
    if not 0 <= start < end or end - start > MAX_ENTRIES_PER_PAGE:
        raise ProofOutOfRange(f"need 0 <= start < end and at most {MAX_ENTRIES_PER_PAGE} entries per request")
    rows = await session.scalars(
        select(LedgerEntry).where(LedgerEntry.index >= start, LedgerEntry.index < end).order_by(LedgerEntry.index)
    )
    return list(rows.all())


async def entry_for_event(session: AsyncSession, event_id: uuid.UUID) -> LedgerEntry:
    """The entry of a journal event; a sealed or unknown event is simply not found."""
    entry = await session.scalar(
        select(LedgerEntry)
        .join(JournalEvent, JournalEvent.seq == LedgerEntry.event_seq)
        .where(JournalEvent.id == event_id)
    )
    if entry is None:
        raise NotFound(f"event {event_id} has no ledger entry (unknown, not yet sequenced, or sealed until opening)")
    return entry


async def latest_checkpoint(session: AsyncSession) -> LedgerCheckpoint:
    """The newest signed checkpoint."""
    checkpoint = await session.scalar(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1))
    if checkpoint is None:
        raise NotFound("no checkpoint has been signed yet")
    return checkpoint


async def make_checkpoint(session: AsyncSession, key: LedgerKey) -> LedgerCheckpoint:
    """Sign the current tree head, after checking it extends the last signed one; reuses a checkpoint of that size."""
    state = await lock_state(session)
    previous = await session.scalar(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1))
    if previous is not None and previous.size == state.size:
        return previous
    root = compact_from(state.size, state.compact).root()
    if previous is not None and previous.size > state.size:
        raise LedgerCorrupt(f"the ledger has {state.size} entries but a checkpoint signed {previous.size}")
    if previous is not None and previous.size > 0:
        proof = await _hashes_for(session, consistency_ranges(previous.size, state.size))
        if not verify_consistency(previous.size, state.size, previous.root, root, proof):
            raise LedgerCorrupt(f"the tree of size {state.size} does not extend the checkpoint of size {previous.size}")
    note = sign_note(make_checkpoint_body(key.name, state.size, root), key.name, key.private_key)
    checkpoint = LedgerCheckpoint(size=state.size, root=root, note=note)
    session.add(checkpoint)
    await session.flush()
    return checkpoint


async def export_bundle(session: AsyncSession, directory: Path, key: LedgerKey) -> int:
    """Write entries up to the latest checkpoint, every checkpoint and the verifier key as an offline bundle."""
    checkpoints = list((await session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size))).all())
    if not checkpoints:
        raise NotFound("no checkpoint has been signed yet; run `sunbid audit checkpoint` first")
    size = checkpoints[-1].size
    data: list[bytes] = []
    for start in range(0, size, EXPORT_CHUNK):
        chunk = await session.scalars(
            select(LedgerEntry.entry)
            .where(LedgerEntry.index >= start, LedgerEntry.index < min(start + EXPORT_CHUNK, size))
            .order_by(LedgerEntry.index)
        )
        data.extend(chunk.all())
    return write_bundle(directory, data, [c.note for c in checkpoints], key.vkey, key.name)


async def count_entries(session: AsyncSession) -> int:
    """Rows in ledger_entries (for checks and tests)."""
    return int(await session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


def compact_root(size: int, packed: bytes) -> bytes:
    """Root of a stored compact range."""
    compact: CompactRange = compact_from(size, packed)
    return compact.root()
