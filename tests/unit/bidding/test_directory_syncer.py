"""Group directory fsync: concurrent callers share passes, every caller's directories are synced by a pass that
started after its call, and a failing pass fails exactly its own callers."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from bidding.bids.storage import DirectorySyncer


async def test_concurrent_callers_share_passes_and_each_directory_is_synced(tmp_path: Path) -> None:
    passes: list[list[Path]] = []

    async def run(function: object, directories: list[Path]) -> None:
        passes.append(list(directories))
        for directory in directories:
            fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        await asyncio.sleep(0)

    syncer = DirectorySyncer(run)  # type: ignore[arg-type]
    directories = [tmp_path / f"d{n}" for n in range(40)]
    for directory in directories:
        directory.mkdir()
    await asyncio.gather(*(syncer.sync([d, tmp_path]) for d in directories))
    assert len(passes) < len(directories) / 4, f"{len(passes)} passes for {len(directories)} callers"
    assert {d for one in passes for d in one} == {*directories, tmp_path}


async def test_a_failed_pass_fails_its_callers_and_the_next_pass_runs(tmp_path: Path) -> None:
    async def run(function: object, directories: list[Path]) -> None:
        for directory in directories:
            os.close(os.open(directory, os.O_RDONLY))

    syncer = DirectorySyncer(run)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        await syncer.sync([tmp_path / "missing"])
    await syncer.sync([tmp_path])
