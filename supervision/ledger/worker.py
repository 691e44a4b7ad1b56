"""The ledger's background loop: sequence soon after commits, tick sealed slots and sign checkpoints on a timer.

Only a convenience: every reader that needs completeness (export, on-demand checkpoints) catches up itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.background import BackgroundLoop
from supervision.ledger.keys import LedgerKey
from supervision.ledger.models import LedgerCheckpoint
from supervision.ledger.sealed import tick_slots
from supervision.ledger.services import make_checkpoint, sequence_committed

logger = logging.getLogger("sunbid.ledger")

POLL_SECONDS = 2.0
PASS_GAP_SECONDS = 0.25
"""Least time between passes: every response wakes the loop, and in a rush the wakes that come meanwhile share one."""


async def checkpoint_now(factory: async_sessionmaker[AsyncSession], key: LedgerKey) -> LedgerCheckpoint:
    """Catch up (events, due slots, events again) and sign the resulting tree head."""
    await sequence_committed(factory)
    async with factory() as session, session.begin():
        await tick_slots(session)
    await sequence_committed(factory)
    async with factory() as session, session.begin():
        return await make_checkpoint(session, key)


class LedgerWorker:
    """Runs in the app's lifespan; `wake()` after a request asks for a prompt sequencing pass. Every process
    sequences what it committed; only the one that `leads()` (core.leader) ticks slots and signs timed checkpoints."""

    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        key: LedgerKey,
        interval_seconds: int,
        leads: Callable[[], bool] = lambda: True,
    ) -> None:
        self.factory = factory
        self.key = key
        self.interval = max(interval_seconds, 1)
        self.leads = leads
        self._wake = asyncio.Event()
        self._loop = BackgroundLoop("sunbid-ledger")

    def wake(self) -> None:
        """Cheap, never blocks: the loop sequences on its next turn."""
        self._wake.set()

    async def checkpoint(self) -> LedgerCheckpoint:
        """An on-demand checkpoint (operator endpoint)."""
        return await checkpoint_now(self.factory, self.key)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_checkpoint = loop.time() + self.interval
        while True:
            timeout = max(min(POLL_SECONDS, next_checkpoint - loop.time()), 0)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            self._wake.clear()
            try:
                due = loop.time() >= next_checkpoint
                if due:
                    next_checkpoint = loop.time() + self.interval
                if due and self.leads():
                    await checkpoint_now(self.factory, self.key)
                else:
                    await sequence_committed(self.factory)
            except Exception:
                logger.exception("ledger background pass failed; the next pass retries")
            await asyncio.sleep(PASS_GAP_SECONDS)

    def start(self) -> None:
        """Start the loop as a task of the running event loop."""
        self._loop.start(self._run())

    async def stop(self) -> None:
        """Cancel the loop and wait for it to end."""
        await self._loop.stop()
