"""The operation log's group commit: a burst of requests shares transactions, a bad row loses only itself."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from core.db import create_driver_pool
from core.oplog import OperationLogWriter


def _row(n: int, *, method: str = "POST", refusal: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "method": method,
        "route": "/api/tenders/{tender_id:uuid}/questions",
        "path": f"/api/tenders/{uuid.uuid4()}/questions",
        "status": 201 if refusal is None else 422,
        "user_id": None,
        "organization_id": None,
        "ip": f"10.0.0.{n % 250}",
        "user_agent": "test",
        "sealed": False,
        "tender_id": None,
        "subject_id": None,
        "refusal": refusal,
    }


async def test_a_burst_is_stored_in_shared_transactions(database_url: str) -> None:
    pool: asyncpg.Pool = await create_driver_pool(database_url)
    try:
        writer = OperationLogWriter(pool)
        refusal = {"rule": 1, "code": "tender-period-too-short", "detail": "19 days; rule 1 needs 20"}
        await asyncio.gather(*(writer.write(_row(n, refusal=refusal if n % 10 == 0 else None)) for n in range(60)))
        async with pool.acquire() as connection:
            entries = await connection.fetchval("select count(*) from operation_log")
            alerts = await connection.fetchval("select count(*) from rule_alerts where rule = 1")
            transactions = await connection.fetchval("select count(distinct xmin::text) from operation_log")
        assert (entries, alerts) == (60, 6)
        assert transactions < 60 / 2, f"{transactions} transactions for 60 rows: no batching"
    finally:
        await pool.close()


async def test_a_bad_row_loses_only_itself_and_never_raises(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    pool: asyncpg.Pool = await create_driver_pool(database_url)
    try:
        writer = OperationLogWriter(pool)
        rows = [_row(n) for n in range(8)]
        rows[3]["ip"] = "9" * 100
        await asyncio.gather(*(writer.write(row) for row in rows))
        async with pool.acquire() as connection:
            stored = await connection.fetch("select path from operation_log")
        assert sorted(r["path"] for r in stored) == sorted(r["path"] for i, r in enumerate(rows) if i != 3)
        assert "operation log write failed for POST" in caplog.text
        await writer.close()
    finally:
        await pool.close()
