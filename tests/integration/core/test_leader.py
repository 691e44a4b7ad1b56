"""Of several server processes exactly one runs the timed loops, and another takes over when it goes."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import chronograph
from core.background import BackgroundLoop
from core.db import driver_dsn
from core.leader import Leadership

RETRY = 0.05


async def _settled() -> None:
    """Long enough for every contender to have tried a few times."""
    await asyncio.sleep(RETRY * 6)


async def test_exactly_one_leads_and_another_takes_over(database_url: str) -> None:
    first, second = Leadership(database_url, retry_seconds=RETRY), Leadership(database_url, retry_seconds=RETRY)
    first.start()
    await asyncio.wait_for(first.wait_until_leader(), timeout=5)
    second.start()
    try:
        await _settled()
        assert (first.is_leader, second.is_leader) == (True, False)
        await first.stop()
        await asyncio.wait_for(second.wait_until_leader(), timeout=5)
        assert not first.is_leader
    finally:
        await first.stop()
        await second.stop()


HOLDERS_SQL = (
    "select coalesce(array_agg(l.pid), '{}') from pg_locks l join pg_database d on d.oid = l.database "
    "where l.locktype = 'advisory' and l.granted and d.datname = current_database()"
)


async def test_a_leader_whose_connection_dies_leads_again_only_by_retaking_the_lock(database_url: str) -> None:
    leader = Leadership(database_url, retry_seconds=RETRY)
    leader.start()
    await asyncio.wait_for(leader.wait_until_leader(), timeout=5)
    admin = await asyncpg.connect(driver_dsn(database_url))
    try:
        [holder] = await admin.fetchval(HOLDERS_SQL)
        assert await admin.fetchval("select pg_terminate_backend($1)", holder)
        for _ in range(100):
            holders = await admin.fetchval(HOLDERS_SQL)
            if holders and holders != [holder]:
                break
            await asyncio.sleep(RETRY)
        assert len(holders) == 1
        assert holders != [holder]
        assert leader.is_leader
    finally:
        await admin.close()
        await leader.stop()
    assert not leader.is_leader


async def test_the_chronograph_ticks_only_while_leading(sessions: async_sessionmaker[AsyncSession]) -> None:
    ticks: list[int] = []

    async def count(_: AsyncSession) -> int:
        ticks.append(1)
        return 0

    saved = dict(chronograph._handlers)
    chronograph._handlers.clear()
    chronograph.register("test.count", count)
    leading = {"now": False}
    ticker = BackgroundLoop("test-chronograph")
    ticker.start(chronograph.run_forever(sessions, 0.01, lambda: leading["now"]))
    try:
        await asyncio.sleep(0.1)
        assert ticks == []
        leading["now"] = True
        await asyncio.sleep(0.1)
        assert len(ticks) >= 2
    finally:
        await ticker.stop()
        chronograph._handlers.clear()
        chronograph._handlers.update(saved)
