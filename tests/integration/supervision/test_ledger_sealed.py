"""Sealed-period acts enter the ledger only as fixed-rate blinded slots, and verify in full after the reveal."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.confidential import commit_confidential, open_stream
from core.errors import Conflict
from core.journal import Actor, record_event
from signing.ledger_bundle import ENTRIES_FILE
from sunbid.cli import cli
from supervision.ledger.checks import check_ledger
from supervision.ledger.entries import check_reveals
from supervision.ledger.sealed import reveal_tender, tick_slots
from supervision.ledger.services import sequence_committed
from tests.integration.supervision.ledger_support import all_entries, export_and_verify, new_key

Sessions = async_sessionmaker[AsyncSession]
Shift = Callable[[timedelta], Awaitable[None]]
SLOT = 60


async def _setup(sessions: Sessions, counts: list[int]) -> tuple[list[uuid.UUID], list[str]]:
    """Open one stream per count, queue that many bid commitments; return tenders and secrets that must not leak."""
    tenders = [uuid.uuid4() for _ in counts]
    secrets: list[str] = []
    async with sessions() as session, session.begin():
        for tender in tenders:
            await open_stream(session, tender, slot_seconds=SLOT)
    for tender, count in zip(tenders, counts, strict=True):
        for i in range(count):
            bidder = Actor(uuid.uuid4(), uuid.uuid4())
            async with sessions() as session, session.begin():
                receipt = await commit_confidential(
                    session,
                    tender,
                    "bid.submitted",
                    {"price": 1000 + i, "name": "秘密投标人"},
                    actor=bidder,
                    subject_id=tender,
                )
            secrets += [str(bidder.user_id), str(bidder.organization_id), str(receipt.event_id), "bid.submitted"]
            secrets.append(receipt.commitment.hex())
    return tenders, secrets


async def test_slots_hide_bids_and_their_number(sessions: Sessions, shift_clock: Shift) -> None:
    tenders, secrets = await _setup(sessions, [0, 1, 5])
    async with sessions() as session, session.begin():
        await record_event(session, "test.public", {"x": 1})
    await shift_clock(timedelta(seconds=3 * SLOT + 5))
    async with sessions() as session, session.begin():
        assert await tick_slots(session) == 9
    await sequence_committed(sessions)
    entries = await all_entries(sessions)
    blob = b"\n".join(e.entry for e in entries).decode()
    for secret in secrets:
        assert secret not in blob
    slots = [json.loads(e.entry) for e in entries if e.kind == "slot"]
    per_tender = {t: [s for s in slots if s["tender"] == str(t)] for t in tenders}
    assert [len(v) for v in per_tender.values()] == [3, 3, 3]
    assert len({len(e.entry) for e in entries if e.kind == "slot"}) == 1
    assert all(e.kind != "event" or b"bid." not in e.entry for e in entries)


async def test_after_reveal_the_full_history_verifies(sessions: Sessions, shift_clock: Shift, tmp_path: Path) -> None:
    key = new_key()
    tenders, _ = await _setup(sessions, [0, 1, 5])
    await shift_clock(timedelta(seconds=2 * SLOT + 1))
    async with sessions() as session, session.begin():
        await tick_slots(session)
    sealed = await export_and_verify(sessions, key, tmp_path / "sealed")
    assert sealed.ok, sealed.summary()
    before = check_reveals(tmp_path / "sealed" / ENTRIES_FILE)
    assert before.slots == 6
    assert before.revealed_slots == 0
    assert not before.problems
    for tender in tenders:
        async with sessions() as session, session.begin():
            assert await reveal_tender(session, tender) is not None
    async with sessions() as session, session.begin():
        assert await reveal_tender(session, tenders[0]) is None
    await sequence_committed(sessions)
    report = await export_and_verify(sessions, key, tmp_path / "open")
    assert report.ok, report.summary()
    after = check_reveals(tmp_path / "open" / ENTRIES_FILE)
    assert not after.problems, after.problems
    assert after.slots == after.revealed_slots == 9
    assert after.reveals == 3
    assert after.commitments == 6
    entries = await all_entries(sessions)
    assert sum(1 for e in entries if b'"type":"bid.submitted"' in e.entry and e.kind == "event") == 6
    async with sessions() as session:
        assert await check_ledger(session) == []
    with pytest.raises(Conflict):
        async with sessions() as session, session.begin():
            await commit_confidential(session, tenders[1], "bid.submitted", {"late": True})


async def test_a_changed_slot_salt_is_caught_after_reveal(sessions: Sessions, tmp_path: Path) -> None:
    key = new_key()
    tenders, _ = await _setup(sessions, [2])
    async with sessions() as session, session.begin():
        await session.execute(text("select 1"))
    async with sessions() as session, session.begin():
        await tick_slots(session, final=True)
        await session.execute(text("update ledger_slots set salt = '\\x00'::bytea || substring(salt from 2)"))
        await reveal_tender(session, tenders[0])
    report = await export_and_verify(sessions, key, tmp_path / "bundle")
    assert report.ok
    reveals = check_reveals(tmp_path / "bundle" / ENTRIES_FILE)
    assert reveals.problems
    assert "does not recompute" in reveals.problems[0]


async def test_audit_verify_finds_a_bid_receipt_through_its_tenders_reveal(
    sessions: Sessions, shift_clock: Shift, tmp_path: Path
) -> None:
    key = new_key()
    tender = uuid.uuid4()
    async with sessions() as session, session.begin():
        await open_stream(session, tender, slot_seconds=SLOT)
    async with sessions() as session, session.begin():
        sealed = await commit_confidential(session, tender, "bid.submitted", {"price": 1}, actor=Actor(uuid.uuid4()))
    payload = {"type": "sunbid.bid-receipt/v1", "tender": str(tender), "ledger_commitment": sealed.commitment.hex()}
    receipt = tmp_path / "receipt.json"
    receipt.write_text(json.dumps({"payload": base64.b64encode(json.dumps(payload).encode()).decode()}))
    await shift_clock(timedelta(seconds=SLOT + 1))
    async with sessions() as session, session.begin():
        await tick_slots(session)
    assert (await export_and_verify(sessions, key, tmp_path / "sealed")).ok

    before = CliRunner().invoke(cli, ["audit", "verify", str(tmp_path / "sealed"), "--receipt", str(receipt)])
    assert before.exit_code == 1, before.output
    assert "is not revealed in this bundle" in before.output
    assert "not in entries" not in before.output

    async with sessions() as session, session.begin():
        await reveal_tender(session, tender)
    await sequence_committed(sessions)
    assert (await export_and_verify(sessions, key, tmp_path / "open")).ok
    after = CliRunner().invoke(cli, ["audit", "verify", str(tmp_path / "open"), "--receipt", str(receipt)])
    assert after.exit_code == 0, after.output
    assert f"commitment {sealed.commitment.hex()} was sealed in slot" in after.output
    assert f"of tender {tender}" in after.output

    payload["ledger_commitment"] = "00" * 32
    receipt.write_text(json.dumps({"payload": base64.b64encode(json.dumps(payload).encode()).decode()}))
    forged = CliRunner().invoke(cli, ["audit", "verify", str(tmp_path / "open"), "--receipt", str(receipt)])
    assert forged.exit_code == 1, forged.output
    assert f"FAILED: receipt (sunbid.bid-receipt/v1): tender {tender} was revealed on line" in forged.output
