"""Fixtures: a real embedded PostgreSQL, a database per test cloned from the migrated template, the real app."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.db import create_engine, session_factory, set_clock_offset
from core.settings import Mode, Settings, load_settings
from sunbid.app import create_app
from tests.support.api import running
from tests.support.db import EmbeddedCluster

os.environ.setdefault("SUNBID_MODE", "test")


@pytest.fixture(scope="session")
def cluster() -> Iterator[EmbeddedCluster]:
    """The session's embedded PostgreSQL with the migrated template ready (outside pytest's pruned temp dirs)."""
    given = os.environ.get("SUNBID_TEST_PG_ROOT")
    root = Path(given) if given else Path(tempfile.mkdtemp(prefix="sunbid-test-pg-"))
    cluster = EmbeddedCluster(root)
    cluster.prepare_template()
    yield cluster
    cluster.stop()
    if not given:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Test-mode settings with a private data dir."""
    return dataclasses.replace(load_settings(), mode=Mode.TEST, data_dir=tmp_path / "var", database_url=None)


@pytest.fixture
async def database_url(cluster: EmbeddedCluster, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A fresh migrated database for this test only, demo-seeded when the test asks for `seeded`."""
    name = await cluster.clone(seeded="seeded" in request.fixturenames)
    yield cluster.url(name)
    await cluster.drop(name)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the test's database."""
    eng = create_engine(database_url, pool_size=2, max_overflow=2)
    yield eng
    await eng.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Session factory on the test's database."""
    return session_factory(engine)


@pytest.fixture
def seeded() -> None:
    """Marker: the test's database is cloned from the demo-seeded template (see database_url)."""


@pytest.fixture
async def app(settings: Settings, database_url: str) -> AsyncIterator[Litestar]:
    """The real application, started through its lifespan on the test's event loop."""
    application = create_app(settings, database_url)
    async with running(application):
        yield application


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP client speaking to the app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sunbid.test") as http:
        yield http


@pytest.fixture
def shift_clock(sessions: async_sessionmaker[AsyncSession]) -> object:
    """Move the database clock by a timedelta (tests never sleep through a statutory period)."""

    async def shift(offset: timedelta) -> None:
        async with sessions() as session, session.begin():
            await set_clock_offset(session, offset)

    return shift
