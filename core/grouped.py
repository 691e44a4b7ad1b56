"""Grouped reads: concurrent lookups of one kind share one set-based statement, as concurrent bids share a commit.

In a deadline rush every request authenticates and every upload pre-checks its bid at about the same moment; one
statement per request costs each of them a pooled connection, a round trip and a PostgreSQL executor run
(docs/adr/0004-ingest-latency.md). A `GroupedLookup` sends the first key at once and gathers the keys that arrive
while it is under way into the next statement, so a lone request never waits for company.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Generic, TypeVar

import asyncpg

from core.db import driver_connection

K = TypeVar("K")
V = TypeVar("V")

BATCH_LIMIT = 256
CONCURRENT_BATCHES = 2
"""Statements in flight at once: the second starts while the first waits on the database."""


class Flushers:
    """Up to `limit` tasks draining one queue (a grouped lookup's, the bid committer's). A task leaves the set in
    the step its drain returns, which is the step that saw the queue empty: with a done-callback it would leave a
    step later, and a key queued in between would find the set full and no task to take it."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._tasks: set[asyncio.Task[None]] = set()

    def ensure(self, drain: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Start another drain if fewer than `limit` run (call it after queueing)."""
        if len(self._tasks) < self._limit:
            self._tasks.add(asyncio.create_task(self._run(drain)))

    async def _run(self, drain: Callable[[], Coroutine[Any, Any, None]]) -> None:
        try:
            await drain()
        finally:
            current = asyncio.current_task()
            if current is not None:
                self._tasks.discard(current)

    async def wait(self) -> None:
        """Let the running drains finish (at shutdown)."""
        await asyncio.gather(*self._tasks, return_exceptions=True)


class GroupedLookup(Generic[K, V]):
    """`get(key)` answers with `fetch([... key ...])`'s value for that key; keys queued together are fetched together.

    `fetch` must return one value per key, in the keys' order. When a batch's statement fails, each of its keys is
    fetched again alone, so a key the statement cannot take (or a passing fault) fails only its own caller; a caller
    that is cancelled simply stops waiting.
    """

    def __init__(
        self,
        fetch: Callable[[Sequence[K]], Awaitable[Sequence[V]]],
        *,
        batch_limit: int = BATCH_LIMIT,
        concurrency: int = CONCURRENT_BATCHES,
    ) -> None:
        self._fetch = fetch
        self._batch_limit = batch_limit
        self._queue: list[tuple[K, asyncio.Future[V]]] = []
        self._flushers = Flushers(concurrency)
        self.fetches = 0
        """Statements run so far (each serving one batch of keys)."""

    async def get(self, key: K) -> V:
        """The value for this key, fetched alone or with whatever other keys are queued meanwhile."""
        answer: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._queue.append((key, answer))
        self._flushers.ensure(self._flush)
        return await answer

    async def _flush(self) -> None:
        """Fetch batches until the queue is empty; a batch cut short (cancelled) fails its unanswered keys."""
        batch: list[tuple[K, asyncio.Future[V]]] = []
        try:
            while self._queue:
                batch = [(key, answer) for key, answer in self._queue[: self._batch_limit] if not answer.done()]
                del self._queue[: self._batch_limit]
                if len(batch) == 1 or not await self._answer(batch, alone=False):
                    for one in batch:
                        await self._answer([one], alone=True)
        finally:
            for _, answer in batch:
                if not answer.done():
                    answer.set_exception(RuntimeError("the lookup stopped before answering"))

    async def _answer(self, batch: list[tuple[K, asyncio.Future[V]]], *, alone: bool) -> bool:
        """Fetch and resolve the batch; False when its statement failed and the batch is not a lone key (then
        nothing is resolved and the caller retries key by key)."""
        live = [(key, answer) for key, answer in batch if not answer.done()]
        if not live:
            return True
        self.fetches += 1
        try:
            values = await self._fetch([key for key, _ in live])
            _check_count(values, live)
        except Exception as exc:
            if not alone:
                return False
            for _, answer in live:
                if not answer.done():
                    answer.set_exception(exc)
            return True
        for (_, answer), value in zip(live, values, strict=True):
            if not answer.done():
                answer.set_result(value)
        return True


def grouped_on_driver(
    pool: asyncpg.Pool, read: Callable[[asyncpg.Connection, Sequence[K]], Awaitable[Sequence[V]]]
) -> GroupedLookup[K, V]:
    """A grouped lookup whose statement runs on a pooled driver-lane connection in autocommit."""

    async def fetch(keys: Sequence[K]) -> Sequence[V]:
        async with driver_connection(pool) as connection:
            return await read(connection, keys)

    return GroupedLookup(fetch)


def _check_count(values: Sequence[object], keys: Sequence[object]) -> None:
    if len(values) != len(keys):
        raise RuntimeError(f"a grouped fetch answered {len(values)} values for {len(keys)} keys")
