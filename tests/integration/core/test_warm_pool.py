"""A server warms its driver pool before the first request: every connection open, the hot statements prepared."""

from __future__ import annotations

import asyncpg

from bidding.bids.sql import warm_submission
from core.db import create_driver_pool, warm_driver_pool
from core.identity.services import warm_authentication
from core.oplog import warm_operation_log

TABLES = ("bids", "bid_escrow_shares", "journal_events", "confidential_commitments", "operation_log", "auth_tokens")


async def _counts(pool: asyncpg.Pool) -> dict[str, int]:
    async with pool.acquire() as connection:
        return {table: await connection.fetchval(f"select count(*) from {table}") for table in TABLES}  # noqa: S608 (fixed names)


async def test_warming_opens_every_connection_prepares_the_hot_statements_and_writes_nothing(
    database_url: str,
) -> None:
    pool: asyncpg.Pool = await create_driver_pool(database_url, max_size=4)
    try:
        before = await _counts(pool)
        await warm_driver_pool(pool, [warm_authentication, warm_operation_log, warm_submission])
        assert pool.get_size() == 4
        assert await _counts(pool) == before
        async with pool.acquire() as connection:
            prepared = await connection.fetch("select statement from pg_prepared_statements")
        texts = " ".join(row["statement"] for row in prepared)
        for marker in ("sunbid_commit_bids", "insert into operation_log", "join auth_tokens", "custodian_recipients"):
            assert marker in texts, f"{marker!r} was not prepared on a warmed connection"
    finally:
        await pool.close()
