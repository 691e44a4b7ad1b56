"""Grouped reads: keys queued while a fetch is under way go together, a lone key goes at once, a failure stays in
its batch, and a caller that gives up does not disturb the others."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from core.grouped import GroupedLookup


class Recorder:
    """A fetch that doubles its keys and remembers each batch; `gate` holds the first fetch until released."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_on: int | None = None

    async def fetch(self, keys: Sequence[int]) -> list[int]:
        self.batches.append(list(keys))
        await self.gate.wait()
        if self.fail_on is not None and self.fail_on in keys:
            raise ValueError(f"cannot read {self.fail_on}")
        return [k * 2 for k in keys]


async def test_a_lone_key_is_fetched_at_once_and_alone() -> None:
    recorder = Recorder()
    lookup = GroupedLookup(recorder.fetch)
    assert await lookup.get(21) == 42
    assert recorder.batches == [[21]]


async def test_keys_arriving_during_a_fetch_share_the_next_statement() -> None:
    recorder = Recorder()
    recorder.gate.clear()
    lookup = GroupedLookup(recorder.fetch, concurrency=1)
    first = asyncio.ensure_future(lookup.get(1))
    await asyncio.sleep(0)
    rest = [asyncio.ensure_future(lookup.get(k)) for k in range(2, 12)]
    await asyncio.sleep(0)
    recorder.gate.set()
    assert await first == 2
    assert await asyncio.gather(*rest) == [k * 2 for k in range(2, 12)]
    assert recorder.batches == [[1], list(range(2, 12))]


async def test_batches_respect_their_limit() -> None:
    recorder = Recorder()
    recorder.gate.clear()
    lookup = GroupedLookup(recorder.fetch, batch_limit=4, concurrency=1)
    waiting = [asyncio.ensure_future(lookup.get(k)) for k in range(10)]
    await asyncio.sleep(0)
    recorder.gate.set()
    assert await asyncio.gather(*waiting) == [k * 2 for k in range(10)]
    assert recorder.batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


async def test_a_key_that_breaks_its_batch_fails_alone_and_the_rest_are_answered() -> None:
    recorder = Recorder()
    recorder.gate.clear()
    recorder.fail_on = 3
    lookup = GroupedLookup(recorder.fetch, concurrency=1)
    blocker = asyncio.ensure_future(lookup.get(0))
    await asyncio.sleep(0)
    waiting = [asyncio.ensure_future(lookup.get(k)) for k in (1, 3, 5, 7)]
    await asyncio.sleep(0)
    recorder.gate.set()
    assert await blocker == 0
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)
    assert outcomes[0] == 2
    assert isinstance(outcomes[1], ValueError)
    assert outcomes[2:] == [10, 14]
    assert recorder.batches == [[0], [1, 3, 5, 7], [1], [3], [5], [7]]


async def test_a_key_queued_as_the_flushers_finish_is_still_fetched() -> None:
    recorder = Recorder()
    lookup = GroupedLookup(recorder.fetch, concurrency=2)
    first = await asyncio.gather(lookup.get(1), lookup.get(2))
    assert first == [2, 4]
    assert await asyncio.wait_for(lookup.get(3), timeout=5) == 6


async def test_a_cancelled_caller_leaves_the_others_their_answers() -> None:
    recorder = Recorder()
    recorder.gate.clear()
    lookup = GroupedLookup(recorder.fetch, concurrency=1)
    blocker = asyncio.ensure_future(lookup.get(0))
    await asyncio.sleep(0)
    quitter = asyncio.ensure_future(lookup.get(1))
    stayer = asyncio.ensure_future(lookup.get(2))
    await asyncio.sleep(0)
    quitter.cancel()
    recorder.gate.set()
    assert await blocker == 0
    assert await stayer == 4
    with pytest.raises(asyncio.CancelledError):
        await quitter
    assert recorder.batches == [[0], [2]]


async def test_a_fetch_answering_the_wrong_number_of_values_fails_its_callers() -> None:
    async def short(keys: Sequence[int]) -> list[int]:
        return list(keys)[:-1]

    lookup = GroupedLookup(short)
    with pytest.raises(RuntimeError, match="answered 0 values for 1 keys"):
        await lookup.get(1)
