"""`sunbid serve --workers 2`: two processes share the port, each with its own pools, and stop together."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil

from tests.support.live import LiveServer

PASSWORD = "sunbid-demo-2026"


def test_two_workers_serve_sign_ins_and_log_operations(database_url: str, seeded: None, tmp_path: Path) -> None:
    server = LiveServer(database_url, tmp_path / "var", workers=2).start()
    try:
        assert server.process is not None
        workers = [w for w in psutil.Process(server.process.pid).children() if "spawn_main" in " ".join(w.cmdline())]
        assert len(workers) == 2

        def sign_in(_: int) -> int:
            login = httpx.post(server.url + "/api/auth/login", json={"username": "bidder1", "password": PASSWORD})
            token = login.json()["token"]
            mine = httpx.get(server.url + "/api/bids/", headers={"Authorization": f"Bearer {token}"})
            return mine.status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(sign_in, range(24))) == {200}
        operator = httpx.post(server.url + "/api/auth/login", json={"username": "regulator", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {operator.json()['token']}"}
        logged = httpx.get(server.url + "/api/supervision/operation-log", headers=headers)
        assert logged.status_code == 200, logged.text
        assert len([row for row in logged.json() if row["route"] == "/api/auth/login"]) >= 25
    finally:
        server.stop()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers):
        time.sleep(0.2)
    assert not [w.pid for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
