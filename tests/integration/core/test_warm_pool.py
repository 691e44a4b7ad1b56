"""A server's driver pool is warm before the first request and stays so: every connection open and kept, the hot
statements prepared on each as it connects, a replaced connection included."""

from __future__ import annotations

import asyncpg

from bidding.bids.sql import warm_submission
from core.db import create_driver_pool
from core.identity.services import warm_authentication
from core.oplog import warm_operation_log

TABLES = ("bids", "bid_escrow_shares", "journal_events", "confidential_commitments", "operation_log", "auth_tokens")
MARKERS = ("sunbid_commit_bids", "insert into operation_log", "join auth_tokens", "custodian_recipients")


async def _counts(pool: asyncpg.Pool) -> dict[str, int]:
    async with pool.acquire() as connection:
        return {table: await connection.fetchval(f"select count(*) from {table}") for table in TABLES}  # noqa: S608 (fixed names)


async def _prepared(pool: asyncpg.Pool) -> tuple[set[int], list[str]]:
    """Every connection of the pool at once: the backends and each one's prepared statements."""
    connections = [await pool.acquire() for _ in range(pool.get_max_size())]
    try:
        pids = {await c.fetchval("select pg_backend_pid()") for c in connections}
        query = "select statement from pg_prepared_statements"
        texts = [" ".join(r["statement"] for r in await c.fetch(query)) for c in connections]
        return pids, texts
    finally:
        for connection in connections:
            await pool.release(connection)


async def test_a_warmed_pool_opens_every_connection_prepares_the_hot_statements_and_writes_nothing(
    database_url: str,
) -> None:
    cold: asyncpg.Pool = await create_driver_pool(database_url, max_size=4)
    try:
        before = await _counts(cold)
        assert cold.get_size() <= 1
    finally:
        await cold.close()
    pool: asyncpg.Pool = await create_driver_pool(
        database_url, max_size=4, warmers=[warm_authentication, warm_operation_log, warm_submission]
    )
    try:
        assert pool.get_size() == 4
        assert await _counts(pool) == before
        first, texts = await _prepared(pool)
        assert all(marker in text for marker in MARKERS for text in texts), texts
        await pool.expire_connections()
        second, texts = await _prepared(pool)
        assert not first & second, "expired connections were not replaced"
        assert all(marker in text for marker in MARKERS for text in texts), texts
    finally:
        await pool.close()
