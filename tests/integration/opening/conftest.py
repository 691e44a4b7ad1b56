"""Opening tests share the session's platform keys and serve the real app over real websockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.bids import install_platform_keys
from tests.support.fixtures import base, platform_keys, settings
from tests.support.live import Launch, LiveServer

__all__ = ["base", "launch", "platform_keys", "settings"]


@pytest.fixture
async def launch(database_url: str, seeded: None, tmp_path: Path, platform_keys: Path) -> AsyncIterator[Launch]:
    """Start `sunbid serve` subprocesses sharing the test's database and data dir; all are stopped afterwards."""
    data_dir = tmp_path / "var"
    install_platform_keys(platform_keys, data_dir / "platform")
    started: list[LiveServer] = []

    def start(**env: str) -> asyncio.Future[LiveServer]:
        server = LiveServer(database_url, data_dir, **env)
        started.append(server)
        return asyncio.ensure_future(asyncio.to_thread(server.start))

    yield start
    for server in started:
        await asyncio.to_thread(server.stop)
