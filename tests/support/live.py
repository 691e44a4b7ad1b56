"""A real `sunbid serve` subprocess on a free port, for tests of clients, websockets and crashes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


PORT_ATTEMPTS = 3


class PortTaken(RuntimeError):
    """Another process bound the chosen port first."""


class LiveServer:
    """`sunbid serve` with its own data dir, on a given database."""

    def __init__(
        self, database_url: str, data_dir: Path, port: int | None = None, *, workers: int = 1, **env: str
    ) -> None:
        self.workers = workers
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "SUNBID_MODE": "test",
            "SUNBID_DATABASE_URL": database_url,
            "SUNBID_DATA_DIR": str(data_dir),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self._port_chosen = port is None
        self._use_port(port or free_port())

    def _use_port(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env["SUNBID_PORT"] = str(port)
        self.log = self.data_dir / f"server-{port}.log"

    def start(self, timeout: float = 60.0) -> LiveServer:
        """Start and wait until /health answers; on a port it chose itself, another port if that one was taken
        between choosing and binding (free_port cannot hold it)."""
        for _ in range(PORT_ATTEMPTS - 1):
            try:
                return self._start(timeout)
            except PortTaken:
                if not self._port_chosen:
                    raise
                self._use_port(free_port())
        return self._start(timeout)

    def _start(self, timeout: float) -> LiveServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sunbid", "serve", "--workers", str(self.workers)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.log.read_text()[-3000:]
                if "address already in use" in output.lower():
                    raise PortTaken(f"port {self.port} was taken before the server could bind it:\n{output}")
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{output}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not answer within {timeout}s:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL to the server and its workers, as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """Graceful stop."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


Launch = Callable[..., "asyncio.Future[LiveServer]"]
