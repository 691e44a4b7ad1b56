"""Async SQLAlchemy engine, declarative Base with a naming convention, sessions, and the database clock."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any, cast

import asyncpg
from sqlalchemy import DateTime, MetaData, make_url, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.settings import DRIVER_POOL_SIZE, ORM_MAX_OVERFLOW, ORM_POOL_SIZE

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

NOW_SQL = "sunbid_now()"


class Base(DeclarativeBase):
    """Base of every table; ids are random UUIDs, never sequential."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 (SQLAlchemy reads this class attribute)
        datetime: DateTime(timezone=True),
        uuid.UUID: UUID(as_uuid=True),
    }


def random_id() -> uuid.UUID:
    """A random (version 4) id: reveals neither order nor count."""
    return uuid.uuid4()


class IdMixin:
    """Random UUID primary key."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=random_id)


class TimestampMixin:
    """Creation and update times taken from the database clock."""

    created_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
    updated_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL), onupdate=text(NOW_SQL))


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An asyncpg engine; pool sizes suit one process on a small machine."""
    kwargs.setdefault("pool_size", ORM_POOL_SIZE)
    kwargs.setdefault("max_overflow", ORM_MAX_OVERFLOW)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


async def _driver_codecs(connection: asyncpg.Connection) -> None:
    """JSON and JSONB travel as text the caller has already serialized (canonical bytes stay as given)."""
    await connection.set_type_codec("json", encoder=str, decoder=str, schema="pg_catalog", format="text")
    await connection.set_type_codec("jsonb", encoder=str, decoder=str, schema="pg_catalog", format="text")


async def _keep_session(_: asyncpg.Connection) -> None:
    """No reset query on release: the lane only uses transaction-scoped locks and never LISTENs or SETs."""


def driver_dsn(url: str) -> str:
    """The asyncpg form of a SQLAlchemy database URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


Warmer = Callable[[asyncpg.Connection], Awaitable[object]]
"""Runs a module's hot statements once on a connection, with empty input: they change nothing."""


async def create_driver_pool(
    url: str, *, max_size: int = DRIVER_POOL_SIZE, warmers: Sequence[Warmer] = ()
) -> asyncpg.Pool:
    """The plain-SQL lane beside the ORM engine: hot paths (authentication, bid ingest, the operation log) run a
    few prepared statements here instead of ORM units of work, which cost ten times the CPU per request.

    With `warmers` (a server process) every connection is opened at start, kept open, and prepared by them as it
    connects: a fresh connection's first statements pay asyncpg's type introspection (about 20 ms), planning and
    PL/pgSQL compilation, and a deadline rush hours after a start must not find the pool gone cold.
    """

    async def init(connection: asyncpg.Connection) -> None:
        await _driver_codecs(connection)
        for warmer in warmers:
            await warmer(connection)

    pool: asyncpg.Pool = await asyncpg.create_pool(
        driver_dsn(url),
        min_size=max_size if warmers else 0,
        max_size=max_size,
        max_inactive_connection_lifetime=0 if warmers else 300,
        max_cached_statement_lifetime=0 if warmers else 300,
        init=init,
        reset=_keep_session,
        server_settings={"plan_cache_mode": "force_generic_plan"},
    )
    return pool


@asynccontextmanager
async def driver_transaction(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """One transaction on a pooled driver connection: committed on success, rolled back on any error."""
    async with pool.acquire() as connection, connection.transaction():
        yield cast("asyncpg.Connection", connection)


@asynccontextmanager
async def driver_connection(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A pooled driver connection in autocommit: for single statements, which need no BEGIN/COMMIT round trips."""
    async with pool.acquire() as connection:
        yield cast("asyncpg.Connection", connection)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any error."""
    async with factory() as session, session.begin():
        yield session


async def db_now(session: AsyncSession) -> datetime:
    """The platform's "now": the database clock, shifted by the test offset outside production."""
    result = await session.execute(text(f"select {NOW_SQL}"))
    value: datetime = result.scalar_one()
    return value


async def set_clock_offset(session: AsyncSession, offset: timedelta) -> None:
    """Shift the database clock; the SQL function refuses this in production mode."""
    await session.execute(text("select sunbid_set_clock_offset(:o)"), {"o": offset})


async def get_clock_offset(session: AsyncSession) -> timedelta:
    """The current test offset of the database clock."""
    result = await session.execute(text("select clock_offset from core_clock where id = 1"))
    value: timedelta = result.scalar_one()
    return value
