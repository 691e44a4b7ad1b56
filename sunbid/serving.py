"""Several uvicorn worker processes on one port, each with its own SO_REUSEPORT listening socket.

uvicorn's own `--workers` shares one socket among the workers, and whichever is awake first accepts: a burst of
connections opened together (a deadline rush) can land two to one on one worker while the other idles. With a
socket per worker the kernel spreads new connections evenly by their address hash (docs/benchmarks.md).
The parent only supervises: it restarts a worker that dies and stops them all on SIGTERM or SIGINT.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
from multiprocessing.process import BaseProcess
from typing import Any

RESTART_PAUSE = 1.0
"""Seconds between restarts of a worker that keeps dying, so a broken deployment does not spin."""
STOP_GRACE = 30.0
"""Seconds a worker gets to finish its requests after SIGTERM before it is killed."""


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket bound with SO_REUSEPORT, so every worker can bind the same port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _worker(app: str, options: dict[str, Any]) -> None:
    """One worker process: its own socket on the shared port, one uvicorn server."""
    import uvicorn

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent turns Ctrl-C into SIGTERM for every worker
    config = uvicorn.Config(app, **options)
    sock = reuse_port_socket(config.host, config.port)
    uvicorn.Server(config).run(sockets=[sock])


def serve_workers(app: str, workers: int, options: dict[str, Any]) -> None:
    """Run `workers` processes serving the ASGI app at import path `app` until SIGTERM or SIGINT."""
    reuse_port_socket(options["host"], options["port"]).close()  # fail here, not in every worker, if taken
    context = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def start() -> BaseProcess:
        process = context.Process(target=_worker, args=(app, options), daemon=False)
        process.start()
        return process

    def stop(_signum: int, _frame: object) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    processes = [start() for _ in range(workers)]
    try:
        while not stopping.wait(0.5):
            for index, process in enumerate(processes):
                if not process.is_alive() and not stopping.is_set():
                    stopping.wait(RESTART_PAUSE)
                    if not stopping.is_set():
                        processes[index] = start()
    finally:
        for process in processes:
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signal.SIGTERM)
        for process in processes:
            process.join(STOP_GRACE)
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
