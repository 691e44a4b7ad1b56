"""Opening tests share the session's platform keys and serve the real app over real websockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar

from core.settings import Settings
from tests.support.bids import install_platform_keys, prepare_platform_keys
from tests.support.live import Launch, LiveServer
from tests.support.opening import served


@pytest.fixture(scope="session")
def platform_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's CA, TSA and receipt keys."""
    return prepare_platform_keys(tmp_path_factory.mktemp("platform-keys"))


@pytest.fixture
def settings(settings: Settings, platform_keys: Path) -> Settings:
    """Test settings with the cached platform keys in place before the app starts."""
    install_platform_keys(platform_keys, settings.platform_key_dir)
    return settings


@pytest.fixture
async def base(app: Litestar) -> AsyncIterator[str]:
    """The app served by uvicorn on the test's event loop."""
    async with served(app) as url:
        yield url


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
