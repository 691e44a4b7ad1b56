"""Fixtures several test folders share; a folder's conftest imports the ones it wants (pytest then owns them there)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar

from core.settings import Settings
from tests.support.bids import install_platform_keys, prepare_platform_keys
from tests.support.opening import served


@pytest.fixture(scope="session")
def platform_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's CA, TSA and receipt keys, made once (a fresh CA per test would cost a key pair each)."""
    return prepare_platform_keys(tmp_path_factory.mktemp("platform-keys"))


@pytest.fixture
def settings(settings: Settings, platform_keys: Path) -> Settings:
    """The usual test settings, with the cached platform keys in place before the app starts."""
    install_platform_keys(platform_keys, settings.platform_key_dir)
    return settings


@pytest.fixture
async def base(app: Litestar) -> AsyncIterator[str]:
    """The app served by uvicorn on the test's event loop (websockets for the hall, HTTP for the CLI)."""
    async with served(app) as url:
        yield url
