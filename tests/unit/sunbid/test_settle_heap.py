"""A server process settles its heap once started: startup objects frozen, young collections less often."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from sunbid.app import YOUNG_GENERATION_THRESHOLD, settle_heap


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_settle_heap_freezes_what_exists_and_raises_the_young_threshold(restored_collector: None) -> None:
    survivor = [object() for _ in range(10)]
    settle_heap()
    assert gc.get_freeze_count() >= len(survivor)
    assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD
