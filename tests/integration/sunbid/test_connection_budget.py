"""`sunbid serve` sizes each process's pools to the database's max_connections, and refuses too many workers
before it migrates or binds its port (the port is taken here, so a serve that went on would fail on it instead)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from core.connections import DEDICATED, HEADROOM, MIN_DRIVER, MIN_ORM, pool_sizes, server_limits
from core.db import driver_dsn


async def test_limits_are_read_from_the_server(database_url: str) -> None:
    limit, reserved = await server_limits(database_url)
    connection = await asyncpg.connect(driver_dsn(database_url))
    try:
        assert limit == int(await connection.fetchval("show max_connections"))
        assert reserved >= int(await connection.fetchval("show superuser_reserved_connections"))
    finally:
        await connection.close()
    pools = pool_sizes(limit, reserved, 2)
    assert 2 * pools.per_process + reserved + HEADROOM <= limit


async def test_serve_refuses_more_workers_than_the_database_can_serve(database_url: str, tmp_path: Path) -> None:
    """On a new database: the refusal leaves it without a schema or demo data."""
    limit, reserved = await server_limits(database_url)
    fresh = make_url(database_url).set(database=f"t_fresh_{uuid.uuid4().hex[:12]}")
    workers = min(64, limit // 4)
    assert workers * (MIN_ORM + MIN_DRIVER + DEDICATED) + reserved + HEADROOM > limit
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    env = {
        **os.environ,
        "SUNBID_DATABASE_URL": fresh.render_as_string(hide_password=False),
        "SUNBID_DATA_DIR": str(tmp_path / "var"),
        "SUNBID_MODE": "development",
    }
    try:
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "sunbid", "serve", "--workers", str(workers), "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"PostgreSQL allows {limit} connections" in result.stderr
        assert "lower --workers or raise max_connections" in result.stderr
        inside = await asyncpg.connect(driver_dsn(fresh.render_as_string(hide_password=False)))
        try:
            assert await inside.fetchval("select count(*) from pg_tables where schemaname = 'public'") == 0
        finally:
            await inside.close()
    finally:
        taken.close()
        connection = await asyncpg.connect(driver_dsn(database_url))
        try:
            await connection.execute(f'drop database if exists "{fresh.database}"')
        finally:
            await connection.close()
