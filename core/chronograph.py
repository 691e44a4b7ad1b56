"""The chronograph (after Prozorro): time-driven steps applied idempotently when they fall due on the database clock.

Each domain registers a handler that finds its due objects (locking them with SKIP LOCKED) and applies the step.
Deadlines themselves are enforced by the writes they guard; the chronograph only moves things along on time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

logger = logging.getLogger(__name__)

DueHandler = Callable[[AsyncSession], Awaitable[int]]
_handlers: dict[str, DueHandler] = {}


def register(name: str, handler: DueHandler) -> None:
    """Add a due-event handler (wired in sunbid/); it returns how many steps it applied."""
    _handlers[name] = handler


def registered() -> list[str]:
    """Names of the registered handlers, in registration order."""
    return list(_handlers)


async def tick(factory: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Run every handler once, each in its own transaction; one failing handler does not stop the others."""
    applied: dict[str, int] = {}
    for name, handler in list(_handlers.items()):
        try:
            async with factory() as session, session.begin():
                applied[name] = await handler(session)
        except Exception:
            logger.exception("chronograph handler %s failed", name)
            applied[name] = -1
    return applied


async def run_forever(
    factory: async_sessionmaker[AsyncSession], interval_seconds: float, leads: Callable[[], bool] = lambda: True
) -> None:
    """Tick at a fixed interval until cancelled (the in-process ticker of `sunbid serve`), only while `leads()`:
    of several server processes one ticks (core.leader)."""
    while True:
        if leads():
            await tick(factory)
        await asyncio.sleep(interval_seconds)
