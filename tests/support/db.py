"""One embedded PostgreSQL per test session; a migrated template database cloned for each test."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from core.database import migrate
from core.embedded import asyncpg_url, start_embedded, stop_embedded

T = TypeVar("T")

TEMPLATE = "sunbid_template"
SEEDED_TEMPLATE = "sunbid_seeded_template"


def run_blocking(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even when this thread already runs an event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _admin_dsn(libpq_uri: str) -> str:
    return libpq_uri.replace("postgresql://", "postgres://", 1)


class EmbeddedCluster:
    """The session's server and its template database."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.pgdata = root / "pgdata"
        self.libpq_uri = start_embedded(self.pgdata)
        self._ready = False
        run_blocking(self._execute("postgres", "alter system set fsync = off"))
        run_blocking(self._execute("postgres", "alter system set synchronous_commit = off"))
        run_blocking(self._execute("postgres", "select pg_reload_conf()"))

    def stop(self) -> None:
        """Stop the server (the data dir is removed by the caller)."""
        stop_embedded(self.pgdata)

    def url(self, database: str) -> str:
        """SQLAlchemy asyncpg URL of a database on this server."""
        return asyncpg_url(self.libpq_uri, database)

    def prepare_template(self) -> None:
        """Build the template by running every migration (upgrade to head), in test clock mode."""
        if self._ready:
            return
        run_blocking(self._recreate(TEMPLATE))
        migrate(self.url(TEMPLATE))
        run_blocking(self._execute(TEMPLATE, "select sunbid_set_clock_mode('test')"))
        run_blocking(self._recreate(SEEDED_TEMPLATE, TEMPLATE))
        run_blocking(self._seed(SEEDED_TEMPLATE))
        self._ready = True

    async def _seed(self, database: str) -> None:
        from core.db import create_engine, session_factory
        from sunbid.seed import seed_demo

        engine = create_engine(self.url(database), pool_size=1, max_overflow=0)
        try:
            async with session_factory(engine)() as session, session.begin():
                await seed_demo(session)
        finally:
            await engine.dispose()

    async def _execute(self, database: str, sql: str) -> None:
        conn = await asyncpg.connect(_admin_dsn(self.libpq_uri).replace("/postgres?", f"/{database}?"))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def _recreate(self, name: str, template: str | None = None) -> None:
        conn = await asyncpg.connect(_admin_dsn(self.libpq_uri))
        try:
            await conn.execute(f'drop database if exists "{name}" with (force)')
            suffix = f' template "{template}"' if template else ""
            await conn.execute(f'create database "{name}"{suffix}')
        finally:
            await conn.close()

    async def clone(self, *, seeded: bool = False) -> str:
        """A fresh database copied from the migrated (and optionally demo-seeded) template; returns its name."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        await self._recreate(name, SEEDED_TEMPLATE if seeded else TEMPLATE)
        return name

    async def empty(self) -> str:
        """A fresh empty database (for migration tests); returns its name."""
        name = f"e_{uuid.uuid4().hex[:16]}"
        await self._recreate(name)
        return name

    async def drop(self, name: str) -> None:
        """Drop a test database."""
        conn = await asyncpg.connect(_admin_dsn(self.libpq_uri))
        try:
            await conn.execute(f'drop database if exists "{name}" with (force)')
        finally:
            await conn.close()
