"""The opening hall over a websocket: JSON frames in, sequenced hall messages and replies out.

One reader loop handles the client's requests; one sender task drains the connection's bounded queue, so the hub
never waits on a socket. Every request runs in its own transaction; its messages reach every process via NOTIFY.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bidding.opening import context, messages, objections, release, services
from bidding.opening.access import Seat, seat_of
from bidding.opening.attendance import admit
from bidding.opening.errors import OpeningNotFound
from bidding.opening.models import Opening
from bidding.opening.notify import HallHub, Subscriber
from core.errors import DomainError, InvalidInput, NotAuthenticated
from core.identity.principal import Principal
from core.identity.services import authenticate
from core.web import alert_websocket_refusal, current_principal
from trading.tenders.models import Tender

HELLO_TIMEOUT = 30.0
Handler = Callable[["HallSession", dict[str, Any]], Awaitable[dict[str, Any]]]


class HallSession:
    """One client in one hall."""

    def __init__(self, socket: WebSocket[Any, Any, Any], tender_id: uuid.UUID, principal: Principal | None) -> None:
        self.socket = socket
        self.tender_id = tender_id
        self.principal = principal
        self.sessions: async_sessionmaker[AsyncSession] = socket.app.state.session_factory
        self.hub: HallHub = socket.app.state.hall_hub
        self.seat: Seat | None = None
        self.stamp = 0.0

    def client(self) -> dict[str, Any]:
        """The release's client facts for the bid.opened contract."""
        host = self.socket.client.host if self.socket.client else None
        return {"ip": host, "user_agent": self.socket.headers.get("user-agent"), "fingerprint": None}

    def need(self) -> Principal:
        """The signed-in principal, or the refusal a problem frame carries."""
        if self.principal is None:
            raise NotAuthenticated('sign in: ?token=... or a first {"type": "auth", "token": ...} frame')
        return self.principal


async def _sign_in(hall: HallSession, _: dict[str, Any]) -> dict[str, Any]:
    async with hall.sessions() as session, session.begin():
        count = await services.sign_in(session, hall.need(), hall.tender_id)
    return {"bids": count}


async def _release(hall: HallSession, frame: dict[str, Any]) -> dict[str, Any]:
    identity = frame.get("identity")
    if not isinstance(identity, str):
        raise InvalidInput("release needs identity (your per-tender age identity)")
    async with hall.sessions() as session, session.begin():
        rows = await release.release_identity(
            context.current(), session, hall.need(), hall.tender_id, identity.strip(), hall.client()
        )
        result = [{"bid": str(r.bid_id), "lot": r.lot_number, "status": r.status} for r in rows]
    async with hall.sessions() as session, session.begin():
        await services.maybe_announce(session, hall.tender_id)
    return {"bids": result}


async def _objection(hall: HallSession, frame: dict[str, Any]) -> dict[str, Any]:
    async with hall.sessions() as session, session.begin():
        row = await objections.raise_objection(
            session, hall.need(), _seat(hall), hall.tender_id, str(frame.get("text", ""))
        )
    return {"objection": str(row.id)}


async def _answer(hall: HallSession, frame: dict[str, Any]) -> dict[str, Any]:
    try:
        objection = uuid.UUID(str(frame.get("objection")))
    except ValueError as exc:
        raise InvalidInput("answer needs the objection's id") from exc
    async with hall.sessions() as session, session.begin():
        await objections.answer_objection(
            session, hall.need(), _seat(hall), hall.tender_id, objection, str(frame.get("text", ""))
        )
    return {"objection": str(objection)}


async def _announce(hall: HallSession, frame: dict[str, Any]) -> dict[str, Any]:
    async with hall.sessions() as session, session.begin():
        seq = await objections.host_announcement(
            session, hall.need(), _seat(hall), hall.tender_id, str(frame.get("text", "")), hall.stamp
        )
    return {"seq": seq}


async def _ping(_: HallSession, __: dict[str, Any]) -> dict[str, Any]:
    return {"pong": time.time()}


def _seat(hall: HallSession) -> Seat:
    if hall.seat is None:
        raise InvalidInput("send hello first")
    return hall.seat


HANDLERS: dict[str, Handler] = {
    "sign_in": _sign_in,
    "release": _release,
    "objection": _objection,
    "answer": _answer,
    "announce": _announce,
    "ping": _ping,
}


def _problem(exc: DomainError) -> dict[str, Any]:
    return {"status": exc.status, "code": exc.code, "title": exc.title, "detail": exc.detail}


async def _first_frames(hall: HallSession) -> int:
    """Optional auth frame, then hello with the last seq the client has seen."""
    frame = await asyncio.wait_for(hall.socket.receive_json(), HELLO_TIMEOUT)
    if isinstance(frame, dict) and frame.get("type") == "auth":
        async with hall.sessions() as session:
            hall.principal = await authenticate(session, str(frame.get("token", "")))
        frame = await asyncio.wait_for(hall.socket.receive_json(), HELLO_TIMEOUT)
    if not isinstance(frame, dict) or frame.get("type") != "hello":
        raise InvalidInput('the first frame is {"type": "hello", "last_seq": n} (after an optional auth frame)')
    last = frame.get("last_seq", 0)
    return last if isinstance(last, int) and last >= 0 else 0


async def _sender(socket: WebSocket[Any, Any, Any], subscriber: Subscriber) -> None:
    while True:
        text = await subscriber.queue.get()
        await socket.send_text(text)


@websocket("/api/openings/{tender_id:uuid}/hall", name="opening_hall")
async def opening_hall(socket: WebSocket[Any, Any, Any], tender_id: uuid.UUID) -> None:
    """The hall of one tender: see docs/opening-protocol.md."""
    await socket.accept()
    hall = HallSession(socket, tender_id, current_principal(socket))
    try:
        last_seq = await _first_frames(hall)
        async with hall.sessions() as session, session.begin():
            tender = await session.get(Tender, tender_id)
            if tender is None or tender.status == "draft":
                raise OpeningNotFound(f"tender {tender_id} does not exist")
            hall.seat = seat_of(hall.principal, tender)
            await admit(session, hall.principal, tender, hall.seat)
    except DomainError as exc:
        await alert_websocket_refusal(socket, exc, hall.principal)
        await socket.send_json({"type": "error", "problem": _problem(exc)})
        await socket.close(code=4000 + min(exc.status, 999) % 1000)
        return
    except (TimeoutError, WebSocketDisconnect, ValueError):
        with contextlib.suppress(Exception):
            await socket.close(code=4400)
        return

    async def close(code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await socket.close(code=code, reason=reason)

    subscriber = Subscriber(hall.seat.audiences, last_seq, close)
    hall.hub.join(tender_id, subscriber, 0)
    sender = asyncio.create_task(_sender(socket, subscriber))
    try:
        async with hall.sessions() as session:
            backlog = await messages.since(session, tender_id, last_seq, hall.seat.audiences)
            opening = await session.get(Opening, tender_id)
        top = last_seq
        for message in backlog:
            subscriber.push(json.dumps(messages.frame(message), ensure_ascii=False, separators=(",", ":")))
            top = message.seq
        subscriber.last_seq = top
        subscriber.push(
            json.dumps(
                {
                    "type": "welcome",
                    "role": hall.seat.role.value,
                    "tender": str(tender_id),
                    "status": opening.status if opening else "waiting",
                    "last_seq": top,
                }
            )
        )
        subscriber.go_live()
        hall.hub.wake(tender_id)
        while True:
            frame = await socket.receive_json()
            hall.stamp = time.time()
            subscriber.push(json.dumps(await _handle(hall, frame), ensure_ascii=False))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hall.hub.leave(tender_id, subscriber)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender


async def _handle(hall: HallSession, frame: Any) -> dict[str, Any]:
    ref = frame.get("ref") if isinstance(frame, dict) else None
    kind = frame.get("type") if isinstance(frame, dict) else None
    handler = HANDLERS.get(kind) if isinstance(kind, str) else None
    if handler is None:
        return {"type": "error", "ref": ref, "problem": _problem(InvalidInput(f"unknown frame type {kind!r}"))}
    try:
        return {"type": "reply", "ref": ref, "for": kind, "ok": True, "result": await handler(hall, frame)}
    except DomainError as exc:
        return {"type": "error", "ref": ref, "for": kind, "problem": _problem(exc)}
