"""Fan-out of hall messages in one process: a dedicated asyncpg connection LISTENs, and each NOTIFY only wakes
the hub, which reads what is new from hall_messages once per tender and offers each frame to every connection.

Every connection has a bounded send queue; a connection whose queue is full is dropped (it reconnects with its
last seq and catches up from the database), so a slow client never delays the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bidding.opening import messages

logger = logging.getLogger(__name__)
QUEUE_LIMIT = 256
SLOW_CLOSE_CODE = 4008


class Subscriber:
    """One websocket's place in the hub: its audiences, its last delivered seq and its bounded queue."""

    def __init__(
        self, audiences: frozenset[str], last_seq: int, close: Callable[[int, str], Coroutine[Any, Any, None]]
    ) -> None:
        self.audiences = audiences
        self.last_seq = last_seq
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self.ready = False
        self.held: list[tuple[int, str, str]] = []
        self.dropped = False
        self._close = close

    def offer(self, seq: int, audience: str, text: str) -> None:
        """Queue a frame unless already seen or not for us; a full queue drops the connection."""
        if self.dropped:
            return
        if not self.ready:
            self.held.append((seq, audience, text))
            return
        if seq <= self.last_seq or audience not in self.audiences:
            return
        self.last_seq = seq
        self.push(text)

    def push(self, text: str) -> None:
        """Queue a frame outside the sequence (replies); a full queue drops the connection."""
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.dropped = True
            asyncio.get_running_loop().create_task(
                self._close(SLOW_CLOSE_CODE, "slow consumer: reconnect with last_seq")
            )

    def go_live(self) -> None:
        """After the backlog: deliver what arrived meanwhile, then take frames directly."""
        self.ready = True
        held, self.held = self.held, []
        for seq, audience, text in held:
            self.offer(seq, audience, text)


class HallHub:
    """Per-process registry of hall connections, woken by NOTIFY (and by local commits)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], dsn: str) -> None:
        self._sessions = sessions
        self._dsn = dsn
        self._halls: dict[uuid.UUID, set[Subscriber]] = {}
        self._seen: dict[uuid.UUID, int] = {}
        self._locks: dict[uuid.UUID, asyncio.Lock] = {}
        self._task: asyncio.Task[None] | None = None
        self._conn: Any = None
        self.listening = asyncio.Event()

    def join(self, tender_id: uuid.UUID, subscriber: Subscriber, seen: int) -> None:
        """Register before the backlog is read, so nothing committed meanwhile is missed."""
        self._halls.setdefault(tender_id, set()).add(subscriber)
        self._seen[tender_id] = max(self._seen.get(tender_id, 0), seen)

    def leave(self, tender_id: uuid.UUID, subscriber: Subscriber) -> None:
        """Forget a closed connection."""
        hall = self._halls.get(tender_id)
        if hall is not None:
            hall.discard(subscriber)
            if not hall:
                del self._halls[tender_id]

    def count(self, tender_id: uuid.UUID) -> int:
        """Connections in one hall on this process."""
        return len(self._halls.get(tender_id, ()))

    def wake(self, tender_id: uuid.UUID, seq: int | None = None) -> None:
        """Read and fan out what is new for the tender (no-op when nobody here listens or seq is already seen)."""
        if tender_id not in self._halls or (seq is not None and seq <= self._seen.get(tender_id, 0)):
            return
        asyncio.get_running_loop().create_task(self._deliver(tender_id))

    async def _deliver(self, tender_id: uuid.UUID) -> None:
        lock = self._locks.setdefault(tender_id, asyncio.Lock())
        async with lock:
            after = self._seen.get(tender_id, 0)
            async with self._sessions() as session:
                fresh = await messages.since(session, tender_id, after)
            for message in fresh:
                text = json.dumps(messages.frame(message), ensure_ascii=False, separators=(",", ":"))
                for subscriber in list(self._halls.get(tender_id, ())):
                    subscriber.offer(message.seq, message.audience, text)
                self._seen[tender_id] = message.seq

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        tender, _, seq = payload.partition(":")
        with contextlib.suppress(ValueError):
            self.wake(uuid.UUID(tender), int(seq))

    async def _listen(self) -> None:
        while True:
            try:
                self._conn = await asyncpg.connect(self._dsn)
                lost = asyncio.Event()
                self._conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
                await self._conn.add_listener(messages.CHANNEL, self._on_notify)
                self.listening.set()
                for tender_id in list(self._halls):
                    self.wake(tender_id)
                await lost.wait()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("hall listener lost its connection; reconnecting")
            self.listening.clear()
            await asyncio.sleep(0.5)

    async def start(self) -> None:
        """Start listening (reconnects by itself; on reconnect every hall re-reads from the database)."""
        self._task = asyncio.create_task(self._listen())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), 10)

    async def stop(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None and not self._conn.is_closed():
            try:
                await self._conn.close(timeout=5)
            except (TimeoutError, OSError):
                self._conn.terminate()


def listen_dsn(sqlalchemy_url: str) -> str:
    """The plain libpq URL asyncpg.connect takes, from the app's SQLAlchemy URL."""
    return "postgresql://" + sqlalchemy_url.split("://", 1)[1]
