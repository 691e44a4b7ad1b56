"""Reading published notices; every notice is public once published, nothing else is listed."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from trading.tenders.models import TenderNotice


async def latest_notices(session: AsyncSession, limit: int = 50, offset: int = 0) -> list[TenderNotice]:
    """Newest notices first."""
    rows = await session.scalars(
        select(TenderNotice).order_by(TenderNotice.published_at.desc(), TenderNotice.id).limit(limit).offset(offset)
    )
    return list(rows.all())


async def get_notice(session: AsyncSession, notice_id: uuid.UUID) -> TenderNotice:
    """One published notice."""
    notice = await session.get(TenderNotice, notice_id)
    if notice is None:
        raise NotFound(f"notice {notice_id} does not exist")
    return notice


async def later_notices(session: AsyncSession, notice: TenderNotice) -> list[TenderNotice]:
    """The same tender's notices published after this one, oldest first: a reader of an old notice must see them."""
    history = await tender_notices(session, notice.tender_id)
    ids = [n.id for n in history]
    return history[ids.index(notice.id) + 1 :] if notice.id in ids else []


async def tender_notices(session: AsyncSession, tender_id: uuid.UUID) -> list[TenderNotice]:
    """Every notice of one tender, oldest first (its public history)."""
    rows = await session.scalars(
        select(TenderNotice).where(TenderNotice.tender_id == tender_id).order_by(TenderNotice.published_at)
    )
    return list(rows.all())
