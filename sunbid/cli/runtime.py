"""What every data-touching command does first: settings, embedded database, migrations, demo seed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from core.database import prepare_database
from core.db import create_engine, session_factory
from core.logging import configure_logging
from core.settings import Settings, get_settings
from sunbid.seed import database_is_empty, seed_demo

T = TypeVar("T")


def prepared(
    *, seed_if_empty: bool = True, before_migrating: Callable[[str], object] | None = None
) -> tuple[Settings, str]:
    """Start the embedded database when needed, migrate, and seed demo data into an empty database."""
    settings = get_settings()
    configure_logging("WARNING")
    url = prepare_database(settings, before_migrating)
    if seed_if_empty:
        asyncio.run(_seed_if_empty(settings, url))
    return settings, url


async def _seed_if_empty(settings: Settings, url: str) -> bool:
    """Seed an empty database, then give the demo users their local wallets (keys stay under ./var)."""
    from sunbid.demo_wallets import ensure_demo_wallets

    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with session_factory(engine)() as session, session.begin():
            if not await database_is_empty(session):
                return False
            await seed_demo(session)
        async with session_factory(engine)() as session, session.begin():
            await ensure_demo_wallets(session, settings.wallet_dir, settings.platform_key_dir / "ca")
        return True
    finally:
        await engine.dispose()


def run_in_session(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one async unit of work against the database in a fresh event loop."""

    async def _run() -> T:
        engine = create_engine(url, pool_size=2, max_overflow=0)
        try:
            async with session_factory(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(_run())
