"""Helpers for opening tests: the app served by uvicorn on the test's loop, hall clients, custodians' releases."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import uvicorn
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import ClientConnection, connect

from bidding.opening.escrow import release_payload
from signing.envelope import AgeIdentity, open_stream
from signing.statements import sign_statement
from tests.support.bids import Bidder, certified_bidder, demo_tender, register_custodians, seal, submit

BIDDERS = ("bidder1", "bidder2", "bidder3")
CLOSE_LIMIT = 1.0


@asynccontextmanager
async def served(app: Litestar) -> AsyncIterator[str]:
    """Serve the app with uvicorn on this event loop (real HTTP and websockets); yields the base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound here and handed over, so no other process can take the port in between
        port: int = sock.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio")
        )
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await task


class Hall:
    """A hall client that keeps every sequenced message it receives."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self.welcome: dict[str, Any] = {}

    async def next(self, wait_seconds: float = 10.0) -> dict[str, Any]:
        """The next frame of any type."""
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), wait_seconds))
        if frame.get("type") == "message":
            self.messages.append(frame)
        return frame

    async def until(self, kind: str, wait_seconds: float = 10.0) -> dict[str, Any]:
        """Read until a hall message of this kind (or a reply/error for a request of this type)."""
        for message in self.messages:
            if message["kind"] == kind:
                return message
        loop = asyncio.get_running_loop()
        end = loop.time() + wait_seconds
        while True:
            frame = await self.next(max(end - loop.time(), 0.01))
            if frame.get("kind") == kind or frame.get("for") == kind:
                return frame

    def kinds(self) -> list[str]:
        """Kinds of the messages received so far."""
        return [m["kind"] for m in self.messages]

    async def request(self, frame: dict[str, Any], wait_seconds: float = 30.0) -> dict[str, Any]:
        """Send a request and wait for its reply or error."""
        await self.ws.send(json.dumps(frame))
        return await self.until(frame["type"], wait_seconds)

    async def drain(self, seconds: float = 0.3) -> None:
        """Collect whatever arrives for a short while."""
        try:
            while True:
                await self.next(seconds)
        except TimeoutError:
            return


@asynccontextmanager
async def hall(base: str, tender: str, token: str | None = None, last_seq: int = 0) -> AsyncIterator[Hall]:
    """Join a tender's hall (token in the query, as BearerTokenMiddleware reads it for websockets); closing is quick."""
    url = base.replace("http://", "ws://") + f"/api/openings/{tender}/hall" + (f"?token={token}" if token else "")
    async with connect(url, compression=None) as ws:
        client = Hall(ws)
        await ws.send(json.dumps({"type": "hello", "last_seq": last_seq}))
        while not client.welcome:
            frame = await client.next()
            if frame["type"] == "welcome":
                client.welcome = frame
            elif frame["type"] == "error":
                raise AssertionError(frame)
        yield client
        closing = time.monotonic()
    assert time.monotonic() - closing < CLOSE_LIMIT, "a normal close must not wait out the client's close timeout"


async def move_clock_past(sessions: async_sessionmaker[AsyncSession], moment: datetime, extra: timedelta) -> None:
    """Set the database clock's offset so that now = moment + extra."""
    async with sessions() as session, session.begin():
        real = (await session.execute(text("select clock_timestamp()"))).scalar_one()
        await session.execute(text("select sunbid_set_clock_offset(:o)"), {"o": moment + extra - real})


def open_share(sealed_b64: str, identity: AgeIdentity) -> str:
    """What a custodian does on its machine: open its sealed share with its own age identity."""
    out = io.BytesIO()
    open_stream(io.BytesIO(base64.b64decode(sealed_b64)), out, identity.secret)
    return out.getvalue().decode()


def share_release(custodian: Bidder, tender: str, bid: str, share: str) -> dict[str, str]:
    """The POST body of a custodian's share release, signed with its certified key."""
    payload = release_payload(tender=tender, bid=bid, custodian=custodian.organization_id, share=share)
    return {"share": share, "statement": sign_statement(payload, custodian.key, custodian.certificate).to_json()}


async def tender_with_bids(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    names: tuple[str, ...] = BIDDERS,
    *,
    identities: dict[str, AgeIdentity] | None = None,
    register: bool = True,
) -> tuple[str, dict[str, Bidder], dict[str, AgeIdentity]]:
    """Custodians registered (unless done already), small bids from three bidders on lot 1 (sealed to the given
    identities where given), the clock just past the bid deadline."""
    custodians = await register_custodians(client) if register else {}
    tender = await demo_tender(client)
    tid: str = tender["id"]
    bidders = {name: await certified_bidder(client, name) for name in names}
    for name, identity in (identities or {}).items():
        bidders[name].identity = identity
    for bidder in bidders.values():
        sealed = await seal(client, bidder, tid)
        assert (await submit(client, bidder, tid, sealed)).status_code == 201
    await move_clock_past(sessions, datetime.fromisoformat(tender["bid_deadline"]), timedelta(seconds=1))
    return tid, bidders, custodians


async def opening_state(url: str, tid: str, status: str | None = None) -> dict[str, Any]:
    """GET /api/openings/{id} once the opening has started (and reached `status`, when given)."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for _ in range(150):
            response = await client.get(f"/api/openings/{tid}")
            if response.status_code == 200 and response.json()["status"] not in ("waiting", None):
                state: dict[str, Any] = response.json()
                if status is None or state["status"] == status:
                    return state
            await asyncio.sleep(0.1)
    raise AssertionError(f"the opening of {tid} never got there: {response.text}")
