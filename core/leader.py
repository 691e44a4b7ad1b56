"""One process of many runs the timed background loops (chronograph ticks, ledger slot ticks and checkpoints).

`sunbid serve --workers N` starts N copies of the app, and a deployment may run several hosts; each copy used to tick
the chronograph and sign checkpoints on its own timer, multiplying that work (a tick is about 18 ms of CPU) and the
checkpoints in the ledger. The leader is whoever holds PostgreSQL's session advisory lock on LEADER_LOCK, on a
connection of its own: when that process exits or loses its connection the server releases the lock, and another
process takes it on its next try.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from core.background import BackgroundLoop
from core.db import driver_dsn

logger = logging.getLogger("sunbid.leader")

LEADER_LOCK = "sunbid/background-loops"
RETRY_SECONDS = 5.0
"""How often a follower tries for the lock, and how often the leader checks that its connection still holds it."""

TRY_LOCK_SQL = "select pg_try_advisory_lock(hashtextextended($1, 0))"


class Leadership:
    """Tries for the leader lock until it holds it, then keeps its connection alive; `is_leader` says which."""

    def __init__(self, url: str, name: str = LEADER_LOCK, retry_seconds: float = RETRY_SECONDS) -> None:
        self._dsn = driver_dsn(url)
        self._name = name
        self._retry = retry_seconds
        self._connection: asyncpg.Connection | None = None
        self._loop = BackgroundLoop("sunbid-leadership")
        self._changed = asyncio.Event()
        self.is_leader = False

    def start(self) -> None:
        """Start trying, as a task of the running event loop."""
        self._loop.start(self._run())

    async def stop(self) -> None:
        """Stop trying and release the lock (closing the connection releases it at once)."""
        await self._loop.stop()
        await self._drop()

    async def wait_until_leader(self) -> None:
        """Return once this process leads."""
        while not self.is_leader:
            self._changed.clear()
            await self._changed.wait()

    async def _run(self) -> None:
        while True:
            try:
                await self._attempt()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                if self.is_leader:
                    logger.warning("lost the background-loop leadership: %s", exc)
                await self._drop()
            await asyncio.sleep(self._retry)

    async def _attempt(self) -> None:
        if self._connection is None or self._connection.is_closed():
            self._set(leader=False)
            self._connection = await asyncpg.connect(self._dsn)
        if self.is_leader:
            await self._connection.fetchval("select 1")
            return
        if await self._connection.fetchval(TRY_LOCK_SQL, self._name):
            self._set(leader=True)

    async def _drop(self) -> None:
        self._set(leader=False)
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)

    def _set(self, *, leader: bool) -> None:
        if leader != self.is_leader:
            self.is_leader = leader
            self._changed.set()
