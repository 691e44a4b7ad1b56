# ruff: noqa: S608 (tamper SQL is built from integers the test chooses)
"""Tampering with ledger or journal rows in SQL is caught: offline by `audit verify`, on the server by the check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.journal import record_event
from signing.ledger_bundle import ENTRIES_FILE, ProblemKind
from sunbid.cli import cli
from supervision.ledger.checks import check_ledger
from supervision.ledger.keys import LedgerKey
from supervision.ledger.worker import checkpoint_now
from tests.integration.supervision.ledger_support import export_and_verify, new_key

Sessions = async_sessionmaker[AsyncSession]


async def _three_checkpoints(sessions: Sessions, key: LedgerKey) -> list[int]:
    """The seeded ledger plus two batches of 10 events, a checkpoint after each: sizes s, s+10, s+20."""
    sizes = [(await checkpoint_now(sessions, key)).size]
    for batch in range(2):
        async with sessions() as session, session.begin():
            for i in range(10):
                await record_event(session, "test.tamper", {"batch": batch, "i": i})
        sizes.append((await checkpoint_now(sessions, key)).size)
    return sizes


async def _sql(sessions: Sessions, *statements: str) -> None:
    async with sessions() as session, session.begin():
        for statement in statements:
            await session.execute(text(statement))


async def test_seeded_ledger_exports_and_verifies(seeded: None, sessions: Sessions, tmp_path: Path) -> None:
    key = new_key()
    sizes = await _three_checkpoints(sessions, key)
    report = await export_and_verify(sessions, key, tmp_path / "bundle")
    assert report.ok, report.summary()
    assert report.entries == report.verified_size == sizes[-1]
    assert report.checkpoints == 3
    async with sessions() as session:
        assert await check_ledger(session) == []


TAMPERS: dict[str, Callable[[int], list[str]]] = {
    "edit": lambda k: [
        (
            "update ledger_entries set entry = convert_to(replace(convert_from(entry, 'UTF8'), '\"kind\"', '\"KIND\"'),"
            f" 'UTF8') where index = {k}"
        )
    ],
    "delete": lambda k: [f"delete from ledger_entries where index = {k}"],
    "insert": lambda k: [
        "update ledger_entries set index = -index - 1 where index >= " + str(k),
        "update ledger_entries set index = -index where index < 0",
        f"insert into ledger_entries (index, kind, entry, leaf_hash) values ({k}, 'event', '{{}}', '\\x00')",
    ],
    "reorder": lambda k: [
        f"update ledger_entries set index = -1 where index = {k}",
        f"update ledger_entries set index = {k} where index = {k + 1}",
        f"update ledger_entries set index = {k + 1} where index = -1",
    ],
}


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
async def test_ledger_row_tampering_names_the_smallest_interval(
    tamper: str, seeded: None, sessions: Sessions, tmp_path: Path
) -> None:
    key = new_key()
    sizes = await _three_checkpoints(sessions, key)
    target = sizes[0] + 4
    await _sql(sessions, *TAMPERS[tamper](target))
    report = await export_and_verify(sessions, key, tmp_path / "bundle", checkpoint=False)
    assert report.exit_code != 0
    assert report.problem is not None
    problem = report.problem
    assert problem.kind in {ProblemKind.ROOT_MISMATCH, ProblemKind.NON_CANONICAL_ENTRY, ProblemKind.TRUNCATED}
    if problem.kind is ProblemKind.NON_CANONICAL_ENTRY:
        assert problem.line == target + 1, report.summary()
    if problem.interval is not None:
        assert problem.interval == (sizes[0], sizes[1]), report.summary()
    async with sessions() as session:
        assert await check_ledger(session), "the server-side check must see it too"


JOURNAL_TAMPERS = {
    "payload": "update journal_events set payload_canonical = payload_canonical || '\\x20'::bytea where seq = {seq}",
    "type": "update journal_events set event_type = 'test.forged' where seq = {seq}",
    "delete": "delete from journal_events where seq = {seq}",
}


@pytest.mark.parametrize("tamper", sorted(JOURNAL_TAMPERS))
async def test_journal_row_tampering_is_named_by_the_server_check(
    tamper: str, seeded: None, sessions: Sessions
) -> None:
    key = new_key()
    await _three_checkpoints(sessions, key)
    async with sessions() as session:
        seq = (await session.execute(text("select event_seq from ledger_entries where index = 30"))).scalar_one()
    await _sql(sessions, JOURNAL_TAMPERS[tamper].replace("{seq}", str(seq)))
    async with sessions() as session:
        problems = await check_ledger(session)
    assert problems
    assert "ledger entry 30" in problems[0], problems


async def _bundle(sessions: Sessions, tmp_path: Path) -> tuple[Path, LedgerKey]:
    key = new_key()
    await _three_checkpoints(sessions, key)
    report = await export_and_verify(sessions, key, tmp_path / "bundle")
    assert report.ok
    return tmp_path / "bundle", key


async def test_cli_verify_passes_then_fails_after_one_flipped_byte(
    seeded: None, sessions: Sessions, tmp_path: Path
) -> None:
    bundle, key = await _bundle(sessions, tmp_path)
    runner = CliRunner()
    receipt = tmp_path / "receipt.json"
    receipt.write_bytes((bundle / ENTRIES_FILE).read_bytes().split(b"\n")[7])
    good = runner.invoke(cli, ["audit", "verify", str(bundle), "--key", key.vkey, "--receipt", str(receipt)])
    assert good.exit_code == 0, good.output
    assert "OK" in good.output
    assert "receipt: entry 7" in good.output
    data = bytearray((bundle / ENTRIES_FILE).read_bytes())
    data[len(data) // 2] ^= 0x01
    (bundle / ENTRIES_FILE).write_bytes(bytes(data))
    bad = runner.invoke(cli, ["audit", "verify", str(bundle), "--key", key.vkey])
    assert bad.exit_code == 1, bad.output
    assert "FAILED" in bad.output
    assert "line" in bad.output


async def test_cli_verify_refuses_another_pinned_key(seeded: None, sessions: Sessions, tmp_path: Path) -> None:
    bundle, _ = await _bundle(sessions, tmp_path)
    result = CliRunner().invoke(cli, ["audit", "verify", str(bundle), "--key", new_key().vkey])
    assert result.exit_code == 1
    assert "FAILED" in result.output
