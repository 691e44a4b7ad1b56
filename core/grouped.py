"""Grouped reads: concurrent lookups of one kind share one set-based statement, as concurrent bids share a commit.

In a deadline rush every request authenticates and every upload pre-checks its bid at about the same moment; one
statement per request costs each of them a pooled connection, a round trip and a PostgreSQL executor run
(docs/adr/0004-ingest-latency.md). A `GroupedLookup` sends the first key at once and gathers the keys that arrive
while it is under way into the next statement, so a lone request never waits for company.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

BATCH_LIMIT = 256
CONCURRENT_BATCHES = 2
"""Statements in flight at once: the second starts while the first waits on the database."""


class GroupedLookup(Generic[K, V]):
    """`get(key)` answers with `fetch([... key ...])`'s value for that key; keys queued together are fetched together.

    `fetch` must return one value per key, in the keys' order. Its failure fails every lookup of its batch (and no
    other); a caller that is cancelled simply stops waiting.
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
        self._concurrency = concurrency
        self._queue: list[tuple[K, asyncio.Future[V]]] = []
        self._flushers: set[asyncio.Task[None]] = set()
        self.fetches = 0
        """Statements run so far (each serving one batch of keys)."""

    async def get(self, key: K) -> V:
        """The value for this key, fetched alone or with whatever other keys are queued meanwhile."""
        answer: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._queue.append((key, answer))
        if len(self._flushers) < self._concurrency:
            flusher = asyncio.create_task(self._flush())
            self._flushers.add(flusher)
            flusher.add_done_callback(self._flushers.discard)
        return await answer

    async def _flush(self) -> None:
        while self._queue:
            batch = [(key, answer) for key, answer in self._queue[: self._batch_limit] if not answer.done()]
            del self._queue[: self._batch_limit]
            if not batch:
                continue
            self.fetches += 1
            try:
                values = await self._fetch([key for key, _ in batch])
                _check_count(values, batch)
            except Exception as exc:
                for _, answer in batch:
                    if not answer.done():
                        answer.set_exception(exc)
                continue
            for (_, answer), value in zip(batch, values, strict=True):
                if not answer.done():
                    answer.set_result(value)


def _check_count(values: Sequence[object], keys: Sequence[object]) -> None:
    if len(values) != len(keys):
        raise RuntimeError(f"a grouped fetch answered {len(values)} values for {len(keys)} keys")
