"""Prepare a database for the app or a CLI command: embedded server if needed, database, migrations, clock mode."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.embedded import asyncpg_url, start_embedded
from core.settings import PROJECT_ROOT, Mode, Settings

logger = logging.getLogger(__name__)

EMBEDDED_DATABASE = "sunbid"


def alembic_config(url: str) -> Config:
    """Alembic configured from the repository's migrations folder, pointed at url."""
    cfg = Config()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def migrate(url: str, revision: str = "heads") -> None:
    """Apply migrations up to revision (all heads by default)."""
    command.upgrade(alembic_config(url), revision)


async def ensure_database_exists(url: str) -> None:
    """Create the target database on its server when it is missing (the embedded server starts empty)."""
    import asyncpg

    target = make_url(url)
    name = target.database
    if not name:
        raise ValueError("the database URL must name a database")
    admin = target.set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False).replace("postgresql://", "postgres://"))
    try:
        exists = await conn.fetchval("select 1 from pg_database where datname = $1", name)
        if not exists:
            await conn.execute(f'create database "{name}"')
    finally:
        await conn.close()


async def set_clock_mode(url: str, mode: Mode) -> None:
    """Record the mode in the database; production mode zeroes the clock offset and locks it."""
    from core.db import create_engine

    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("select sunbid_set_clock_mode(:m)"), {"m": mode.value})
    finally:
        await engine.dispose()


def resolve_database_url(settings: Settings, *, keep_running: bool = False) -> str:
    """SUNBID_DATABASE_URL when given, otherwise the embedded server under the data dir (started now)."""
    if settings.database_url:
        url = settings.database_url
        if url.startswith(("postgresql://", "postgres://")):
            url = "postgresql+asyncpg://" + url.split("://", 1)[1]
        return url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    libpq = start_embedded(Path(settings.pgdata), stop_at_exit=not keep_running)
    return asyncpg_url(libpq, EMBEDDED_DATABASE)


def prepare_database(settings: Settings, before_migrating: Callable[[str], object] | None = None) -> str:
    """Everything a command needs before it touches data: server, database, migrations, clock mode
    (`before_migrating(url)` may refuse first, leaving the schema and data as they were)."""
    url = resolve_database_url(settings)
    asyncio.run(ensure_database_exists(url))
    if before_migrating is not None:
        before_migrating(url)
    migrate(url)
    asyncio.run(set_clock_mode(url, settings.mode))
    return url
