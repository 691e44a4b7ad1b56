"""How many PostgreSQL connections each server process may hold, sized from the server's `max_connections`.

A `sunbid serve` process holds an ORM pool, the driver lane and DEDICATED single connections (the leader lock and
the opening hall's LISTEN). At the defaults that is up to 48 a process, so two workers already pass 90 of a default
PostgreSQL's 100, and too many workers fail only under load, with "too many clients". `serve` therefore reads the
server's limit at start and shrinks the pools to fit, or refuses with the numbers when even small pools do not fit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import asyncpg

from core.db import driver_dsn
from core.settings import DRIVER_POOL_SIZE, ORM_MAX_OVERFLOW, ORM_POOL_SIZE, Settings

DEDICATED = 2
"""Connections a process opens outside its pools: the leader lock (core.leader) and the hall's LISTEN."""
HEADROOM = 10
"""Connections left for what is not a server process: one `sunbid worker` at its default concurrency (an engine of
4 and procrastinate's pool of 4), migrations at start, and a psql session or two."""
MIN_ORM = 2
MIN_DRIVER = 2


@dataclass(frozen=True)
class PoolSizes:
    """One server process's pools: the ORM engine's pool and overflow, and the driver lane."""

    orm_pool: int = ORM_POOL_SIZE
    orm_overflow: int = ORM_MAX_OVERFLOW
    driver: int = DRIVER_POOL_SIZE

    @classmethod
    def of(cls, settings: Settings) -> PoolSizes:
        """The pools the settings ask for."""
        return cls(settings.orm_pool_size, settings.orm_max_overflow, settings.driver_pool_size)

    def applied_to(self, settings: Settings) -> Settings:
        """The settings with these pools."""
        return replace(
            settings, orm_pool_size=self.orm_pool, orm_max_overflow=self.orm_overflow, driver_pool_size=self.driver
        )

    def environment(self) -> dict[str, str]:
        """The SUNBID_* variables that give a worker process these pools."""
        return {
            "SUNBID_ORM_POOL_SIZE": str(self.orm_pool),
            "SUNBID_ORM_MAX_OVERFLOW": str(self.orm_overflow),
            "SUNBID_DRIVER_POOL_SIZE": str(self.driver),
        }

    @property
    def per_process(self) -> int:
        """Every connection the process may hold at once."""
        return self.orm_pool + self.orm_overflow + self.driver + DEDICATED


class ConnectionBudgetTooSmall(Exception):
    """The database cannot serve this many server processes even with the smallest pools."""


def pool_sizes(max_connections: int, reserved: int, workers: int, wanted: PoolSizes | None = None) -> PoolSizes:
    """The wanted pools when they fit the server's limit; otherwise smaller ones, never larger than asked: the driver
    lane (the hot path) is sized first, to a third of the budget, the ORM gets the rest, and the driver any spare."""
    wanted = wanted or PoolSizes()
    orm_wanted = wanted.orm_pool + wanted.orm_overflow
    budget = (max_connections - reserved - HEADROOM) // workers - DEDICATED
    if budget >= orm_wanted + wanted.driver:
        return wanted
    driver = min(wanted.driver, max(MIN_DRIVER, budget // 3))
    orm = min(orm_wanted, budget - driver)
    if orm < min(MIN_ORM, orm_wanted):
        need = workers * (MIN_ORM + MIN_DRIVER + DEDICATED) + reserved + HEADROOM
        raise ConnectionBudgetTooSmall(
            f"PostgreSQL allows {max_connections} connections ({reserved} reserved for superusers, {HEADROOM} kept "
            f"for tools); {workers} server processes need at least {need}: lower --workers or raise max_connections"
        )
    driver = min(wanted.driver, budget - orm)
    pool = min(wanted.orm_pool, orm)
    return PoolSizes(pool, orm - pool, driver)


async def server_limits(url: str) -> tuple[int, int]:
    """The server's max_connections and the connections reserved for superusers (and, from PostgreSQL 16, for
    pg_use_reserved_connections)."""
    connection = await asyncpg.connect(driver_dsn(url))
    try:
        rows = await connection.fetch(
            "select name, setting::int from pg_settings "
            "where name in ('max_connections', 'superuser_reserved_connections', 'reserved_connections')"
        )
    finally:
        await connection.close()
    settings = {row[0]: row[1] for row in rows}
    reserved = settings.get("superuser_reserved_connections", 0) + settings.get("reserved_connections", 0)
    return settings["max_connections"], reserved
