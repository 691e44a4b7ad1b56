"""Time-driven steps: the chronograph applies due handlers; procrastinate runs them from a real worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import chronograph
from core.jobs import job_app
from core.journal import JournalEvent, record_event
from sunbid.cli.worker import run_worker


@pytest.fixture
def probe_handler() -> Iterator[str]:
    async def probe(session: AsyncSession) -> int:
        await record_event(session, "test.chronograph_probe", {"ran": True})
        return 1

    chronograph.register("test-probe", probe)
    yield "test-probe"
    chronograph._handlers.pop("test-probe", None)


async def _probes(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        query = (
            select(func.count()).select_from(JournalEvent).where(JournalEvent.event_type == "test.chronograph_probe")
        )
        return int(await session.scalar(query) or 0)


async def test_tick_runs_each_handler_in_its_own_transaction(
    sessions: async_sessionmaker[AsyncSession], probe_handler: str
) -> None:
    async def broken(session: AsyncSession) -> int:
        raise RuntimeError("boom")

    chronograph.register("test-broken", broken)
    try:
        applied = await chronograph.tick(sessions)
    finally:
        chronograph._handlers.pop("test-broken", None)
    assert applied[probe_handler] == 1
    assert applied["test-broken"] == -1
    assert await _probes(sessions) == 1


async def test_worker_runs_a_deferred_chronograph_tick(
    database_url: str, sessions: async_sessionmaker[AsyncSession], probe_handler: str
) -> None:
    with job_app(database_url) as app:
        async with app.open_async():
            await app.configure_task("sunbid:chronograph_tick").defer_async(timestamp=0)
    assert await _probes(sessions) == 0
    await run_worker(database_url, concurrency=1, wait=False, poll=0.1)
    assert await _probes(sessions) >= 1
    async with sessions() as session:
        statuses = (
            (
                await session.execute(
                    text("select status::text from procrastinate_jobs where task_name = 'sunbid:chronograph_tick'")
                )
            )
            .scalars()
            .all()
        )
    assert statuses, "the deferred tick was not stored as a job"
    assert set(statuses) == {"succeeded"}, statuses
