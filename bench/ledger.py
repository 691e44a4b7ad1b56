"""Ledger benchmark: durable single appends vs a plain INSERT+commit, and `audit verify` vs a bare hashlib root.

No arguments. Starts an embedded PostgreSQL in a temporary directory, stops it at the end, prints name=value lines.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from core.database import ensure_database_exists, migrate
from core.db import create_engine, session_factory
from core.embedded import asyncpg_url, start_embedded, stop_embedded
from core.journal import record_event
from signing.checkpoint import format_vkey, make_checkpoint_body, sign_note
from signing.ledger_bundle import write_bundle
from signing.merkle import CompactRange
from sunbid.cli import cli
from supervision.ledger.services import sequence, sequence_committed

APPENDS = 400
ENTRIES = int(os.environ.get("BENCH_ENTRIES", "1000000"))
ORIGIN = "bench.sunbid.example/ledger"


async def append_rates(url: str) -> tuple[float, float, float]:
    """(appends/s with the sequencer catching up after each round, appends/s sequenced in-transaction, inserts/s).

    Each append is one durable transaction recording one journal event; its ledger position is fixed by its
    (xid, seq) and the sequencer turns committed events into entries. The sequencer's time is included in the
    measured time, so the rate is that of events that have become ledger entries. Sequential, one connection.
    """
    engine = create_engine(url, pool_size=1, max_overflow=0)
    factory = session_factory(engine)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "create table bench_rows (seq bigint generated always as identity primary key, id uuid not null,"
                " event_type varchar(80) not null, recorded_at timestamptz not null default sunbid_now(),"
                " payload jsonb not null, payload_canonical bytea not null, payload_sha256 bytea not null)"
            )
        )
    insert = text(
        "insert into bench_rows (id, event_type, payload, payload_canonical, payload_sha256)"
        " values (:id, 'bench.act', cast(:p as jsonb), :c, :h)"
    )
    insert_time = append_time = own_time = 0.0
    per_round = APPENDS // 4
    for round_number in range(4):
        start = time.perf_counter()
        for i in range(per_round):
            body = f'{{"i":{i},"r":{round_number}}}'.encode()
            async with factory() as session, session.begin():
                await session.execute(
                    insert, {"id": uuid.uuid4(), "p": body.decode(), "c": body, "h": hashlib.sha256(body).digest()}
                )
        insert_time += time.perf_counter() - start
        start = time.perf_counter()
        for i in range(per_round):
            async with factory() as session, session.begin():
                await record_event(session, "bench.act", {"i": i, "r": round_number})
        await sequence_committed(factory)
        append_time += time.perf_counter() - start
        start = time.perf_counter()
        for i in range(per_round):
            async with factory() as session, session.begin():
                await record_event(session, "bench.own", {"i": i, "r": round_number})
                await sequence(session, own=True)
        own_time += time.perf_counter() - start
    async with factory() as session:
        size = (await session.execute(text("select size from ledger_state"))).scalar_one()
    await engine.dispose()
    if size != 2 * APPENDS:
        raise RuntimeError(f"ledger has {size} entries, expected {2 * APPENDS}")
    return APPENDS / append_time, APPENDS / own_time, APPENDS / insert_time


def make_entries(n: int) -> list[bytes]:
    """Event-shaped canonical entries (keys already in RFC 8785 order), without paying for a JCS encoder."""
    actor = str(uuid.uuid4())
    return [
        (
            f'{{"actor":"{actor}","event":"{uuid.UUID(int=i)}","index":{i},"kind":"event","organization":null,'
            f'"payload_sha256":"{i:064x}","recorded_at":"2026-11-23T03:00:00.000000Z","subject":null,'
            '"type":"bench.act"}'
        ).encode()
        for i in range(n)
    ]


def bare_root(entries: list[bytes]) -> float:
    """Seconds for a plain hashlib loop computing the RFC 9162 root (leaf hashes, then a compact-range fold)."""
    sha = hashlib.sha256
    start = time.perf_counter()
    stack: list[tuple[int, bytes]] = []
    for entry in entries:
        node, height = sha(b"\x00" + entry).digest(), 0
        while stack and stack[-1][0] == height:
            node = sha(b"\x01" + stack.pop()[1] + node).digest()
            height += 1
        stack.append((height, node))
    head = stack[-1][1]
    for _, node in reversed(stack[:-1]):
        head = sha(b"\x01" + node + head).digest()
    return time.perf_counter() - start


def build_bundle(directory: Path, entries: list[bytes]) -> str:
    """A signed 1M-entry bundle with checkpoints at each quarter, written with the library directly."""
    key = Ed25519PrivateKey.generate()
    compact = CompactRange()
    notes = []
    quarter = len(entries) // 4
    for q in range(4):
        chunk = entries[q * quarter : (q + 1) * quarter if q < 3 else len(entries)]
        compact.extend([hashlib.sha256(b"\x00" + e).digest() for e in chunk])
        notes.append(sign_note(make_checkpoint_body(ORIGIN, compact.size, compact.root()), ORIGIN, key))
    vkey = format_vkey(ORIGIN, key.public_key())
    write_bundle(directory, entries, notes, vkey, ORIGIN)
    return vkey


def main() -> None:
    """Run both measurements and print name=value lines, ratios last."""
    root = Path(tempfile.mkdtemp(prefix="sunbid-bench-"))
    pgdata = root / "pgdata"
    try:
        url = asyncpg_url(start_embedded(pgdata), "bench")
        asyncio.run(ensure_database_exists(url))
        migrate(url)
        append_rate, own_rate, insert_rate = asyncio.run(append_rates(url))
        stop_embedded(pgdata)
        entries = make_entries(ENTRIES)
        vkey = build_bundle(root / "bundle", entries)
        bare = min(bare_root(entries) for _ in range(2))
        del entries
        runner = CliRunner()
        times = []
        for _ in range(2):
            start = time.perf_counter()
            result = runner.invoke(cli, ["audit", "verify", str(root / "bundle"), "--key", vkey])
            times.append(time.perf_counter() - start)
            if result.exit_code != 0:
                raise RuntimeError(result.output)
        verify = min(times)
        start = time.perf_counter()
        command = [sys.executable, "-c", "from sunbid.cli import main; main()", "audit", "verify", str(root / "bundle")]
        subprocess.run([*command, "--key", vkey], check=True, capture_output=True)
        process = time.perf_counter() - start
        print(f"append_rate_per_s={append_rate:.1f}")
        print(f"append_in_transaction_rate_per_s={own_rate:.1f}")
        print(f"insert_commit_rate_per_s={insert_rate:.1f}")
        print(f"entries={ENTRIES}")
        print(f"bare_hashlib_root_s={bare:.3f}")
        print(f"audit_verify_s={verify:.3f}")
        print(f"audit_verify_subprocess_s={process:.3f}")
        print(f"append_in_transaction_ratio={own_rate / insert_rate:.3f}")
        print(f"verify_in_process_ratio={bare / verify:.3f}")
        print(f"append_ratio={append_rate / insert_rate:.3f}")
        print(f"verify_ratio={bare / process:.3f}")
    finally:
        stop_embedded(pgdata)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
