"""`sunbid serve --workers 2`: two processes share the port, each with its own pools, and stop together."""

from __future__ import annotations

import contextlib
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support import live
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
        logins = 0
        deadline = time.monotonic() + 10
        while logins < 25 and time.monotonic() < deadline:  # a row is written just after its response is sent
            logged = httpx.get(server.url + "/api/supervision/operation-log", headers=headers)
            assert logged.status_code == 200, logged.text
            logins = len([row for row in logged.json() if row["route"] == "/api/auth/login"])
            time.sleep(0.1)
        assert logins >= 25
    finally:
        server.stop()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers):
        time.sleep(0.2)
    assert not [w.pid for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]


def _workers_of(server: LiveServer) -> list[psutil.Process]:
    assert server.process is not None
    return [w for w in psutil.Process(server.process.pid).children() if "spawn_main" in " ".join(w.cmdline())]


def test_connections_opened_together_spread_over_the_workers(database_url: str, seeded: None, tmp_path: Path) -> None:
    """A socket per worker (SO_REUSEPORT): the kernel spreads a burst, instead of one worker accepting most of it."""
    server = LiveServer(database_url, tmp_path / "var", workers=2).start()
    clients: list[socket.socket] = []
    try:
        workers = _workers_of(server)
        assert len(workers) == 2
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline and not all(_listening(w, server.port) for w in workers):
                time.sleep(0.2)
        except psutil.NoSuchProcess as gone:
            raise AssertionError(f"worker {gone.pid} died while starting:\n{server.log.read_text()[-3000:]}") from gone
        assert all(_listening(w, server.port) for w in workers), "each worker listens on its own socket"
        for _ in range(64):
            clients.append(socket.create_connection(("127.0.0.1", server.port)))
        held: dict[int, int] = {}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            held = {w.pid: _established(w, server.port) for w in workers}
            if sum(held.values()) == len(clients):
                break
            time.sleep(0.1)
        assert sum(held.values()) == len(clients), held
        assert min(held.values()) >= 16, f"connections per worker: {held}"
    finally:
        for client in clients:
            client.close()
        server.stop()


def _listening(process: psutil.Process, port: int) -> bool:
    return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in process.net_connections("tcp"))


def _established(process: psutil.Process, port: int) -> int:
    return sum(
        1 for c in process.net_connections("tcp") if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port
    )


def test_a_worker_that_dies_is_replaced(database_url: str, seeded: None, tmp_path: Path) -> None:
    server = LiveServer(database_url, tmp_path / "var", workers=2).start()
    try:
        victim = _workers_of(server)[0]
        victim.kill()
        victim.wait(10)
        deadline = time.monotonic() + 60
        workers: list[psutil.Process] = []
        while time.monotonic() < deadline:
            workers = [w for w in _workers_of(server) if w.status() != psutil.STATUS_ZOMBIE]
            if len(workers) == 2 and victim.pid not in {w.pid for w in workers}:
                break
            time.sleep(0.2)
        assert len(workers) == 2
        assert victim.pid not in {w.pid for w in workers}
        answers = set()
        for _ in range(20):
            with contextlib.suppress(httpx.TransportError):
                answers.add(httpx.get(server.url + "/health", timeout=5).status_code)
        assert answers == {200}
    finally:
        server.stop()


def test_a_server_whose_chosen_port_was_taken_moves_to_another(
    database_url: str, seeded: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race between choosing a free port and binding it ends in a retry on another port, not a failed test."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = iter([taken.getsockname()[1], live.free_port()])
        monkeypatch.setattr(live, "free_port", lambda: next(ports))
        server = LiveServer(database_url, tmp_path / "var").start()
        try:
            assert server.port != taken.getsockname()[1]
            assert httpx.get(server.url + "/health").status_code == 200
        finally:
            server.stop()
