"""Background jobs on procrastinate (PostgreSQL-backed): one app whose tasks domains declare, bound per process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import chronograph

jobs = procrastinate.App(connector=procrastinate.PsycopgConnector())


class JobContext:
    """What running tasks need from the process that runs them."""

    session_factory: async_sessionmaker[AsyncSession] | None = None

    @classmethod
    def sessions(cls) -> async_sessionmaker[AsyncSession]:
        """The worker's session factory; set when the worker starts."""
        if cls.session_factory is None:
            raise RuntimeError("the job context has no database session factory (start jobs through sunbid worker)")
        return cls.session_factory


@jobs.periodic(cron="* * * * * */5", periodic_id="chronograph")
@jobs.task(name="sunbid:chronograph_tick", queue="chronograph", queueing_lock="chronograph")
async def chronograph_tick(timestamp: int) -> None:
    """Apply every time-driven step that has fallen due (idempotent; safe to run on several workers)."""
    del timestamp
    await chronograph.tick(JobContext.sessions())


def libpq_conninfo(sqlalchemy_url: str) -> str:
    """The libpq URI procrastinate's psycopg connector needs, from the app's SQLAlchemy URL."""
    scheme, rest = sqlalchemy_url.split("://", 1)
    del scheme
    return "postgresql://" + rest


@contextmanager
def job_app(sqlalchemy_url: str) -> Iterator[procrastinate.App]:
    """The platform's job app (every task declared on `jobs`) bound to the platform database for the block."""
    connector = procrastinate.PsycopgConnector(conninfo=libpq_conninfo(sqlalchemy_url))
    with jobs.replace_connector(connector) as app:
        yield app
