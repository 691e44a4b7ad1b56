"""A cancelled tender's sealed stream ends: its queued commitments fold into a final blinded slot, no slot follows,
and nothing about them is revealed (the bids go back unopened)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.confidential import ConfidentialStream, PendingCommitment, commit_confidential
from core.journal import Actor
from supervision.ledger.models import LedgerSlot
from supervision.ledger.sealed import tick_slots
from tests.support.api import auth
from trading.tenders.models import Tender

Sessions = async_sessionmaker[AsyncSession]


async def _slots(sessions: Sessions, tender: uuid.UUID) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).where(LedgerSlot.tender_id == tender)) or 0)


async def test_cancellation_closes_the_stream_without_revealing_it(
    client: httpx.AsyncClient, seeded: None, sessions: Sessions, shift_clock: Callable[[timedelta], Awaitable[None]]
) -> None:
    async with sessions() as session:
        tender = await session.scalar(select(Tender.id).where(Tender.status == "published"))
    assert tender is not None
    async with sessions() as session, session.begin():
        await commit_confidential(
            session, tender, "bid.submitted", {"price": 1}, actor=Actor(uuid.uuid4(), uuid.uuid4()), subject_id=tender
        )
    agency = await auth(client, "agency")
    cancelled = await client.post(f"/api/tenders/{tender}/cancel", json={"reason": "项目取消"}, headers=agency)
    assert cancelled.status_code == 200, cancelled.text
    after_cancel = await _slots(sessions, tender)
    assert after_cancel >= 1
    async with sessions() as session:
        unfolded = await session.scalar(
            select(func.count()).where(PendingCommitment.tender_id == tender, PendingCommitment.slot.is_(None))
        )
        closed = await session.get(ConfidentialStream, tender)
    assert unfolded == 0, "the queued commitment is in the final slot"
    assert closed is not None
    assert closed.revealed_at is None, "a cancellation reveals nothing"
    await shift_clock(timedelta(seconds=10 * closed.slot_seconds))
    async with sessions() as session, session.begin():
        await tick_slots(session)
    assert await _slots(sessions, tender) == after_cancel
    await shift_clock(timedelta(days=60))
    async with sessions() as session:
        assert await session.scalar(select(Tender.bid_deadline <= func.sunbid_now()).where(Tender.id == tender))
    for who in ("agency", "regulator", "operator"):
        activity = await client.get(f"/api/bids/tenders/{tender}", headers=await auth(client, who))
        assert activity.status_code == 409, activity.text
        assert "cancelled before it" in activity.json()["detail"]
    guarantees = await client.get(f"/api/tenders/{tender}/guarantees", headers=await auth(client, "agency"))
    assert guarantees.status_code == 403, guarantees.text
