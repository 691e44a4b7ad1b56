"""Every committed journal event enters the ledger exactly once, in (xid, seq) order, and proofs verify."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from pathlib import Path

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.journal import JournalEvent, record_event
from signing.checkpoint import parse_vkey
from signing.merkle import leaf_hash, verify_consistency, verify_inclusion
from supervision.ledger.services import sequence, sequence_committed
from supervision.ledger.worker import checkpoint_now
from tests.integration.supervision.ledger_support import all_entries, export_and_verify, new_key
from tests.support.api import auth

PROPERTY_KEY = new_key()


async def _journal(sessions: async_sessionmaker[AsyncSession]) -> list[JournalEvent]:
    async with sessions() as session:
        rows = await session.scalars(select(JournalEvent).order_by(JournalEvent.ledger_xid, JournalEvent.seq))
        return list(rows.all())


async def test_each_event_once_in_order_with_its_index(sessions: async_sessionmaker[AsyncSession]) -> None:
    for i in range(5):
        async with sessions() as session, session.begin():
            await record_event(session, "test.act", {"i": i})
    await sequence_committed(sessions)
    await sequence_committed(sessions)
    entries = await all_entries(sessions)
    events = await _journal(sessions)
    assert [e.event_seq for e in entries] == [e.seq for e in events]
    for position, (entry, event) in enumerate(zip(entries, events, strict=True)):
        body = json.loads(entry.entry)
        assert body["index"] == entry.index == position
        assert body["event"] == str(event.id)
        assert body["payload_sha256"] == event.payload_sha256.hex()
        assert entry.leaf_hash == leaf_hash(entry.entry)


async def test_an_uncommitted_older_transaction_holds_back_later_events(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as slow:
        await slow.begin()
        early = await record_event(slow, "test.slow", {})
        async with sessions() as session, session.begin():
            late = await record_event(session, "test.fast", {})
        await sequence_committed(sessions)
        assert late.seq > early.seq
        assert [e.event_seq for e in await all_entries(sessions)] == []
        await slow.commit()
    await sequence_committed(sessions)
    assert [e.event_seq for e in await all_entries(sessions)] == [early.seq, late.seq]


async def test_concurrent_writers_and_sequencers_exactly_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    async def writer(w: int) -> None:
        for i in range(10):
            async with sessions() as session, session.begin():
                await record_event(session, "test.concurrent", {"w": w, "i": i})
                await asyncio.sleep(0)

    async def sequencer() -> None:
        for _ in range(15):
            await sequence_committed(sessions)
            await asyncio.sleep(0.005)

    await asyncio.gather(*(writer(w) for w in range(4)), sequencer(), sequencer())
    await sequence_committed(sessions)
    entries = await all_entries(sessions)
    events = await _journal(sessions)
    assert len(events) == 40
    assert [e.event_seq for e in entries] == [e.seq for e in events]
    assert [e.index for e in entries] == list(range(40))


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(batches=st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=6))
async def test_random_append_sequences_always_verify(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path, batches: list[int]
) -> None:
    key = PROPERTY_KEY
    for number, count in enumerate(batches):
        async with sessions() as session, session.begin():
            for i in range(count):
                await record_event(session, "test.property", {"b": number, "i": i})
            await sequence(session)
        if number % 2:
            await checkpoint_now(sessions, key)
    report = await export_and_verify(sessions, key, tmp_path / f"bundle-{uuid.uuid4().hex}")
    assert report.ok, report.summary()


async def test_proofs_over_http_verify_against_the_checkpoint(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await auth(client, "operator")
    first = await client.post("/api/ledger/checkpoint", headers=headers)
    assert first.status_code == 201, first.text
    for i in range(7):
        async with sessions() as session, session.begin():
            await record_event(session, "test.more", {"i": i})
    second = await client.post("/api/ledger/checkpoint", headers=headers)
    note = (await client.get("/api/ledger/checkpoint")).text
    vkey = parse_vkey((await client.get("/api/ledger/vkey")).text)
    checkpoint = vkey.verify(note)
    size = checkpoint.size
    assert size == second.json()["size"] > first.json()["size"] >= 1
    entries = (await client.get("/api/ledger/entries", params={"start": 0, "end": size})).json()["entries"]
    assert len(entries) == size
    for index in range(size):
        proof = (await client.get("/api/ledger/proof/inclusion", params={"index": index, "size": size})).json()
        hashes = [base64.b64decode(h) for h in proof["proof"]]
        leaf = leaf_hash(entries[index]["entry"].encode())
        assert verify_inclusion(leaf, index, size, hashes, checkpoint.root)
    old_size, old_root = first.json()["size"], base64.b64decode(first.json()["root"])
    consistency = await client.get("/api/ledger/proof/consistency", params={"first": old_size, "second": size})
    hashes = [base64.b64decode(h) for h in consistency.json()["proof"]]
    assert verify_consistency(old_size, size, old_root, checkpoint.root, hashes)
    beyond = await client.get("/api/ledger/proof/inclusion", params={"index": 0, "size": size + 100})
    assert beyond.status_code == 422
    assert beyond.headers["content-type"].startswith("application/problem+json")


async def test_own_events_sequence_in_transaction_only_when_oldest(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        mine = await record_event(session, "test.own", {})
        assert await sequence(session, own=True) == 1
    assert [e.event_seq for e in await all_entries(sessions)] == [mine.seq]
    async with sessions() as older:
        await older.begin()
        first = await record_event(older, "test.older", {})
        async with sessions() as session, session.begin():
            second = await record_event(session, "test.newer", {})
            assert await sequence(session, own=True) == 0
        await older.commit()
    await sequence_committed(sessions)
    assert [e.event_seq for e in await all_entries(sessions)] == [mine.seq, first.seq, second.seq]
