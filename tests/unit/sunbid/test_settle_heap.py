"""A server process settles its heap once started: startup objects frozen, young collections less often."""

from __future__ import annotations

import gc
import platform
import subprocess
import sys
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


CHURN = """
import resource, sys
if sys.argv[1] == "keep":
    from sunbid.app import keep_freed_memory
    assert keep_freed_memory()
def churn():
    blocks = [bytes(range(256)) * 2400 for _ in range(40)]  # 40 blocks of 600 KiB written, as request bodies are
    del blocks
churn(); churn()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(8):
    churn()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", CHURN, mode], capture_output=True, text=True, check=True)
    return int(done.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's settings are glibc's")
def test_kept_memory_is_reused_without_faulting_it_in_again() -> None:
    """glibc's defaults hand a freed rush's heap back to the kernel and fault every page in again next time."""
    default, kept = _faults("default"), _faults("keep")
    assert default > 8 * 40 * 100, f"the churn should fault with glibc's defaults (it faulted {default} pages)"
    assert kept < default / 10, f"kept memory faulted {kept} pages against {default} with the defaults"
