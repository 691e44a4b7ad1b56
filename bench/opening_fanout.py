"""Opening hall fan-out benchmark (issue 7): 1000 websocket clients in one hall of `sunbid serve`.

No arguments. Starts an embedded PostgreSQL in a temporary directory, seeds the bidders, uploads one sealed 1 MiB
bid per bidder, moves the database clock past the deadline so the chronograph opens the tender, then connects the
clients (public seats) and has the host announce. Latency is from the server's stamp of the host's request (in the
frame) to the frame's receipt here. The same clients then take the same announcements from a bare `websockets`
broadcast server in this run. Last, every bidder releases its identity at once: decrypt_mb_s is sealed bytes over
the time until every release is answered. Prints name=value lines, the ratio last. BENCH_CLIENTS, BENCH_BIDDERS and
BENCH_ANNOUNCEMENTS override.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bids import (
    PreparedBid,
    percentile,
    prepare_bids,
    upload_concurrently,
)
from _platform import (
    BenchPlatform,
    embedded_platform,
    populate,
)
from _support import (
    free_port,
    log,
    platform_server,
)

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "1000"))
BIDDERS = int(os.environ.get("BENCH_BIDDERS", "200"))
ANNOUNCEMENTS = int(os.environ.get("BENCH_ANNOUNCEMENTS", "20"))
BASELINE_PORT_ENV = "BENCH_FANOUT_BASELINE_PORT"
MIB = 1 << 20
PAYLOAD = MIB - 8 * 1024
CONNECT_BATCH = 100


async def _baseline_serve(port: int) -> None:
    """The bare broadcast: a client's `announce` frame is stamped and sent to every other client, nothing else."""
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    clients: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        clients.add(ws)
        try:
            async for raw in ws:
                stamp = time.time()
                frame = json.loads(raw)
                if frame.get("type") == "hello":
                    await ws.send(json.dumps({"type": "welcome"}))
                elif frame.get("type") == "announce":
                    data = {"text": frame["text"], "stamp": stamp}
                    text = json.dumps({"type": "message", "kind": "host.announcement", "data": data})
                    broadcast(clients - {ws}, text)
        finally:
            clients.discard(ws)

    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=None):
        await asyncio.Future()


class Audience:
    """The clients' side: connected sockets, and per announcement how many received it and how late."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.heard: dict[str, int] = {}
        self.done: dict[str, asyncio.Event] = {}
        self.served: dict[int, int] = {}
        self.sockets: list[Any] = []

    def expect(self, text: str) -> asyncio.Event:
        """Ready to count one announcement."""
        self.heard[text] = 0
        self.done[text] = asyncio.Event()
        return self.done[text]

    async def listen(self, index: int, ws: Any) -> None:
        """Read frames until the socket closes; count the announcements."""
        async for raw in ws:
            received = time.time()
            frame = json.loads(raw)
            if frame.get("kind") != "host.announcement":
                continue
            data = frame["data"]
            self.latencies.append((received - data["stamp"]) * 1000)
            self.served[index] = self.served.get(index, 0) + 1
            text = data["text"]
            if text in self.heard:
                self.heard[text] += 1
                if self.heard[text] >= len(self.sockets):
                    self.done[text].set()


async def _connect(url: str, audience: Audience, clients: int) -> list[asyncio.Task[None]]:
    from websockets.asyncio.client import connect

    async def one() -> Any:
        ws = await connect(url, compression=None, open_timeout=60, max_queue=None)
        await ws.send(json.dumps({"type": "hello", "last_seq": 0}))
        while True:
            if json.loads(await ws.recv()).get("type") == "welcome":
                return ws

    for start in range(0, clients, CONNECT_BATCH):
        batch = min(CONNECT_BATCH, clients - start)
        audience.sockets.extend(await asyncio.gather(*(one() for _ in range(batch))))
    return [asyncio.create_task(audience.listen(i, ws)) for i, ws in enumerate(audience.sockets)]


async def fan_out(url: str, host_url: str, clients: int) -> tuple[list[float], int]:
    """Connect the clients, have the host announce ANNOUNCEMENTS times, one after the other; close everything."""
    from websockets.asyncio.client import connect

    audience = Audience()
    listeners = await _connect(url, audience, clients)
    log(f"{len(audience.sockets)} clients in the hall at {url.split('?', maxsplit=1)[0]}")
    async with connect(host_url, compression=None) as host:
        await host.send(json.dumps({"type": "hello", "last_seq": 0}))
        for n in range(ANNOUNCEMENTS + 1):
            text = f"announcement {n}"
            done = audience.expect(text)
            await host.send(json.dumps({"type": "announce", "text": text}))
            try:
                await asyncio.wait_for(done.wait(), 30)
            except TimeoutError:
                log(f"{text}: only {audience.heard[text]} of {len(audience.sockets)} clients within 30 s")
            if n == 0:
                audience.latencies.clear()
                audience.served.clear()
    await asyncio.gather(*(ws.close() for ws in audience.sockets), return_exceptions=True)
    for task in listeners:
        task.cancel()
    served = sum(1 for count in audience.served.values() if count >= ANNOUNCEMENTS)
    return audience.latencies, served


def prepare(platform: BenchPlatform) -> list[PreparedBid]:
    """Bidders, and one sealed bid per bidder ready to upload (client work, before timing)."""
    populate(platform, BIDDERS)
    log("sealing bids")
    return prepare_bids(platform, 1, PAYLOAD)


async def _past_deadline(platform: BenchPlatform) -> None:
    """Jump the database clock to the deadline; the bidders' sign-ins jump with it (they signed in just before)."""
    from datetime import timedelta

    from sqlalchemy import text

    from core.db import create_engine, session_factory, set_clock_offset

    engine = create_engine(platform.url, pool_size=1, max_overflow=0)
    async with session_factory(engine)() as session, session.begin():
        deadline = (
            await session.execute(text("select bid_deadline from tenders where id = :t"), {"t": platform.tender_id})
        ).scalar_one()
        real = (await session.execute(text("select clock_timestamp()"))).scalar_one()
        offset = deadline + timedelta(seconds=1) - real
        await set_clock_offset(session, offset)
        await session.execute(text("update auth_tokens set expires_at = expires_at + :o"), {"o": offset})
    await engine.dispose()


async def _token(base: str, username: str) -> str:
    import httpx

    from sunbid.seed import DEMO_PASSWORD

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        response = await client.post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
        response.raise_for_status()
        token: str = response.json()["token"]
        return token


async def _opened(base: str, tender: str) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for _ in range(300):
            response = await client.get(f"/api/openings/{tender}")
            if response.status_code == 200 and response.json()["status"] == "decrypting":
                return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the opening did not start: {response.text}")


async def _release_all(base: str, platform: BenchPlatform) -> tuple[float, int]:
    import httpx

    async def one(client: httpx.AsyncClient, bidder: Any) -> bool:
        response = await client.post(
            f"/api/openings/{platform.tender_id}/release",
            json={"identity": bidder.identity.secret},
            headers={"Authorization": f"Bearer {bidder.token}"},
        )
        return response.status_code == 200

    limits = httpx.Limits(max_connections=len(platform.bidders))
    async with httpx.AsyncClient(base_url=base, timeout=600, limits=limits) as client:
        began = time.monotonic()
        answers = await asyncio.gather(*(one(client, b) for b in platform.bidders))
        return time.monotonic() - began, sum(answers)


def main() -> None:
    """Prepare, measure the platform, then the bare broadcast with the same clients, then decryption; print."""
    with embedded_platform("sunbid-bench-opening-") as platform:
        bids = prepare(platform)
        server = platform_server(platform.url, platform.data_dir, free_port(), workers=1).start()
        baseline_port = free_port()
        baseline = subprocess.Popen(
            [sys.executable, __file__], env={**os.environ, BASELINE_PORT_ENV: str(baseline_port)}
        )
        try:
            outcomes, _ = upload_concurrently(server.port, bids)
            accepted = sum(1 for o in outcomes if o.status == 201)
            log(f"{accepted} bids uploaded")
            base = f"http://127.0.0.1:{server.port}"
            asyncio.run(_past_deadline(platform))
            asyncio.run(_opened(base, platform.tender_id))
            agency = asyncio.run(_token(base, "agency"))
            hall = f"ws://127.0.0.1:{server.port}/api/openings/{platform.tender_id}/hall"
            latencies, served = asyncio.run(fan_out(hall, f"{hall}?token={agency}", CLIENTS))
            bare = f"ws://127.0.0.1:{baseline_port}/"
            bare_latencies, _ = asyncio.run(fan_out(bare, bare, CLIENTS))
            seconds, released = asyncio.run(_release_all(base, platform))
        finally:
            server.stop()
            baseline.terminate()
            baseline.wait(10)
    sealed_mb = sum(b.size for b, o in zip(bids, outcomes, strict=True) if o.status == 201) / MIB
    p99, bare_p99 = percentile(latencies, 0.99), percentile(bare_latencies, 0.99)
    print(f"clients={CLIENTS}")
    print(f"announcements={ANNOUNCEMENTS}")
    print(f"p50_ms={percentile(latencies, 0.5):.1f}")
    print(f"p99_ms={p99:.1f}")
    print(f"max_ms={max(latencies):.1f}")
    print(f"clients_served={served}")
    print(f"baseline_p50_ms={percentile(bare_latencies, 0.5):.1f}")
    print(f"baseline_p99_ms={bare_p99:.1f}")
    print(f"bids_released={released}")
    print(f"decrypt_mb_s={sealed_mb / seconds:.1f}")
    print(f"fanout_ratio={p99 / bare_p99:.2f}")


if __name__ == "__main__":
    if BASELINE_PORT_ENV in os.environ:
        asyncio.run(_baseline_serve(int(os.environ[BASELINE_PORT_ENV])))
    else:
        main()
