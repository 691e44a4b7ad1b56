"""The embedded PostgreSQL (pgserver) under the data dir: started on demand, reused when alive, replaced when hung."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
from pathlib import Path
from typing import Any

import psutil

logger = logging.getLogger(__name__)

_servers: dict[Path, Any] = {}


def _postmaster_pid(pgdata: Path) -> int | None:
    pid_file = pgdata / "postmaster.pid"
    try:
        return int(pid_file.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def _socket_dir(pgdata: Path) -> Path | None:
    pid_file = pgdata / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except OSError:
        return None
    return Path(lines[4]) if len(lines) > 4 and lines[4] else None


def _answers(pgdata: Path, timeout: float = 3.0) -> bool:
    """True when the server behind postmaster.pid accepts a connection and runs a query."""
    import psycopg

    socket_dir = _socket_dir(pgdata)
    if socket_dir is None:
        return False
    try:
        with psycopg.connect(
            host=str(socket_dir), user="postgres", dbname="postgres", connect_timeout=int(timeout)
        ) as conn:
            conn.execute("select 1")
    except psycopg.Error:
        return False
    return True


def _prune_dead_handles(pgdata: Path) -> None:
    """pgserver counts handle pids in a file; a killed run leaves its pid there forever, so drop dead ones."""
    handle_file = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handle_file.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handle_file.write_text(json.dumps(alive))


def _stop_hung_server(pgdata: Path) -> None:
    """A postmaster that is alive but does not answer is stopped with all its children, so a fresh one can start."""
    pid = _postmaster_pid(pgdata)
    if pid is None or not psutil.pid_exists(pid):
        return
    if _answers(pgdata):
        logger.info("embedded PostgreSQL (pid %s) answers: reusing it", pid)
        return
    logger.warning("embedded PostgreSQL (pid %s) does not answer: stopping it", pid)
    try:
        postmaster = psutil.Process(pid)
        tree = [postmaster, *postmaster.children(recursive=True)]
    except psutil.NoSuchProcess:
        tree = []
    for proc in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.send_signal(signal.SIGKILL)
            proc.send_signal(signal.SIGCONT)
    _, alive = psutil.wait_procs(tree, timeout=10)
    if alive:
        raise RuntimeError(f"could not stop the hung embedded PostgreSQL processes {[p.pid for p in alive]}")
    for leftover in ("postmaster.pid", ".s.PGSQL.5432.lock", ".s.PGSQL.5432"):
        with contextlib.suppress(FileNotFoundError):
            (pgdata / leftover).unlink()


def _ensure_runtime_dir() -> None:
    """pgserver keeps its lock under XDG_RUNTIME_DIR; give it a private one when the session has none."""
    if os.environ.get("XDG_RUNTIME_DIR"):
        return
    runtime = Path(f"/tmp/sunbid-runtime-{os.getuid()}")  # noqa: S108 (per-user, mode 0700, as XDG prescribes)
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)


def start_embedded(pgdata: Path, *, stop_at_exit: bool = True) -> str:
    """Start (or reuse) the embedded server on pgdata and return a libpq URI for its `postgres` database."""
    _ensure_runtime_dir()
    from pgserver.postgres_server import get_server

    pgdata = pgdata.resolve()
    if pgdata in _servers:
        return str(_servers[pgdata].get_uri())
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if pgdata.exists():
        _prune_dead_handles(pgdata)
        _stop_hung_server(pgdata)
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    server = get_server(pgdata, cleanup_mode="stop" if stop_at_exit else None)
    _servers[pgdata] = server
    return str(server.get_uri())


def stop_embedded(pgdata: Path) -> None:
    """Stop the embedded server on pgdata if this process started or adopted it."""
    pgdata = pgdata.resolve()
    server = _servers.pop(pgdata, None)
    if server is not None:
        server.cleanup()


def asyncpg_url(libpq_uri: str, database: str) -> str:
    """Turn pgserver's socket URI into an SQLAlchemy asyncpg URL for the named database."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(libpq_uri)
    host = parse_qs(parts.query).get("host", [""])[0]
    user = parts.username or "postgres"
    return f"postgresql+asyncpg://{user}@/{database}?host={host}"
