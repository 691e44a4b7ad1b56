"""Hall messages: appended with a gapless per-tender sequence number in the writer's transaction, then NOTIFY.

The sequence is taken under a transaction-scoped advisory lock per tender, so commits happen in sequence order and
a process that has seen seq n never later finds a smaller one. Lock order everywhere: the opening row first, then
this lock, never the other way round.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.opening.models import HallMessage

CHANNEL = "sunbid_hall"


async def post(
    session: AsyncSession,
    tender_id: uuid.UUID,
    kind: str,
    audience: str,
    data: dict[str, Any],
    *,
    stamp: float | None = None,
) -> int:
    """Append one message (visible once the transaction commits) and notify every process; returns its seq."""
    key = f"sunbid/hall/{tender_id}"
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
    last = await session.scalar(select(func.max(HallMessage.seq)).where(HallMessage.tender_id == tender_id))
    seq = int(last or 0) + 1
    body = {**data, "stamp": stamp if stamp is not None else time.time()}
    await session.execute(
        insert(HallMessage).values(tender_id=tender_id, seq=seq, kind=kind, audience=audience, data=body)
    )
    await session.execute(select(func.pg_notify(CHANNEL, f"{tender_id}:{seq}")))
    return seq


async def since(
    session: AsyncSession, tender_id: uuid.UUID, after: int, audiences: Iterable[str] | None = None, limit: int = 5000
) -> list[HallMessage]:
    """Messages after seq `after`, in order, optionally only for the given audiences."""
    query = select(HallMessage).where(HallMessage.tender_id == tender_id, HallMessage.seq > after)
    if audiences is not None:
        query = query.where(HallMessage.audience.in_(list(audiences)))
    rows = await session.scalars(query.order_by(HallMessage.seq).limit(limit))
    return list(rows.all())


def frame(message: HallMessage) -> dict[str, Any]:
    """The wire form of a stored message."""
    return {
        "type": "message",
        "seq": message.seq,
        "kind": message.kind,
        "audience": message.audience,
        "at": message.created_at.isoformat(),
        "data": message.data,
    }
