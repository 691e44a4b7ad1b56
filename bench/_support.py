"""Shared pieces of the benchmarks: the minimal ASGI baseline, server subprocesses (the platform and the baseline
on the same uvicorn), CPU and RSS sampling.

Top-level imports are the standard library only, so `uvicorn --app-dir bench _support:app` (the baseline) starts
as light as an app can; the platform modules are imported inside the functions that need them (also in
`_platform.py` and `_bids.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "bench"
BASELINE_DIR_ENV = "BENCH_BASELINE_DIR"
CA_NAME = "Sunbid Development CA"
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 1)))
"""Server processes for the platform and the baseline alike: production runs one per core (`serve --workers`)."""


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only name=value lines."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- the baseline: the physically necessary work of an upload, nothing else ---------------------------------------


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Minimal ASGI app: POST streams the body to a file beside the blob store, SHA-256s it, fsyncs it, answers 201.

    GET answers 200 (readiness probe). Writes and hashing happen inline per chunk; only fsync leaves the loop.
    """
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if scope["method"] != "POST":
        await _answer(send, 200, b'{"status":"ok"}')
        return
    directory = Path(os.environ[BASELINE_DIR_ENV])
    fd = os.open(directory / f"{uuid.uuid4().hex}.part", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    digest, size = hashlib.sha256(), 0
    try:
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if body:
                digest.update(body)
                size += len(body)
                view = memoryview(body)
                while view:
                    view = view[os.write(fd, view) :]
        await asyncio.to_thread(os.fsync, fd)
    finally:
        os.close(fd)
    await _answer(send, 201, json.dumps({"sha256": digest.hexdigest(), "size": size}).encode())


async def _answer(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# --- servers -------------------------------------------------------------------------------------------------------


class Server:
    """A server subprocess on 127.0.0.1:port, ready once GET probe answers 200."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], *, port: int, probe: str, log: Path) -> None:
        self.name, self.command, self.env, self.port, self.probe, self.log = name, command, env, port, probe, log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The server's process id (with one worker uvicorn serves in it; with more, they are its children)."""
        if self.process is None:
            raise RuntimeError(f"{self.name} is not running")
        return self.process.pid

    def start(self, timeout: float = 120.0) -> Server:
        """Start and wait for the probe."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                if http_get(self.port, self.probe) == 200:
                    return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout}s: {self.log.read_text()[-3000:]}")

    def stop(self, *, kill: bool = False) -> None:
        """Graceful stop (SIGTERM), or SIGKILL to the whole process group (server and workers) as a crash would."""
        if self.process is None or self.process.poll() is not None:
            return
        if kill:
            os.killpg(self.process.pid, signal.SIGKILL)
        else:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def http_get(port: int, path: str) -> int:
    """Status of a plain GET (readiness probe)."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = sock.recv(64)
    return int(data.split(b" ", 2)[1])


def platform_server(database_url: str, data_dir: Path, port: int, *, workers: int = WORKERS) -> Server:
    """`python -m sunbid serve` as in production (development mode for the demo clock, log level WARNING)."""
    env = {
        **os.environ,
        "SUNBID_MODE": "development",
        "SUNBID_DATABASE_URL": database_url,
        "SUNBID_DATA_DIR": str(data_dir),
        "SUNBID_PORT": str(port),
        "SUNBID_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "sunbid", "serve", "--workers", str(workers)]
    return Server("platform", command, env, port=port, probe="/health", log=data_dir / "platform-server.log")


def baseline_server(directory: Path, port: int, *, workers: int = WORKERS) -> Server:
    """The minimal app on uvicorn with the options `sunbid serve` passes (no access log, no log config), and with
    more than one worker through the same launcher (`sunbid.serving`: a SO_REUSEPORT socket per worker)."""
    directory.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, BASELINE_DIR_ENV: str(directory)}
    options = {"host": "127.0.0.1", "port": port, "log_config": None, "access_log": False, "ws": "websockets-sansio"}
    launcher = (
        f"import sys; sys.path.insert(0, {str(BENCH_DIR)!r}); sys.path.insert(0, {str(REPO)!r}); "
        f"from sunbid.serving import serve_workers; serve_workers('_support:app', {workers}, {options!r})"
    )
    command = [sys.executable, "-c", launcher]
    if workers == 1:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(BENCH_DIR),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            "--ws",
            "websockets-sansio",
            "_support:app",
        ]
    return Server("baseline", command, env, port=port, probe="/", log=directory.parent / "baseline-server.log")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found.extend(int(c) for c in (task / "children").read_text().split())
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (the workers of `serve --workers N`)."""
    total = 0.0
    for each in (pid, *_children(pid)):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def settle(pid: int, idle_fraction: float = 0.05, limit: float = 15.0) -> None:
    """Wait until the process is (nearly) idle, so background work of a previous round does not spill over."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(0.5)
        if cpu_seconds(pid) - before < 0.5 * idle_fraction:
            return


# --- memory ---------------------------------------------------------------------------------------------------------


def vm_kib(pid: int, field_name: str) -> int:
    """A /proc/<pid>/status field in KiB (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise KeyError(field_name)


class RssSampler:
    """Polls VmRSS of a process in a thread; `peak` is the highest value seen since start()."""

    def __init__(self, pid: int, interval: float = 0.005) -> None:
        self.pid, self.interval = pid, interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, vm_kib(self.pid, "VmRSS"))
            time.sleep(self.interval)

    def __enter__(self) -> RssSampler:
        self.peak = vm_kib(self.pid, "VmRSS")
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, vm_kib(self.pid, "VmRSS"))
