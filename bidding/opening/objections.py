"""Speaking in the hall: the host's announcements, and objections raised and answered on the spot (rule 30)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.opening import messages
from bidding.opening.access import OVERSEERS, PUBLIC, HallRole, Seat, bidder_audience
from bidding.opening.models import HallObjection, OpenedBid
from bidding.opening.services import get_opening
from core.db import db_now
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.identity.principal import Principal
from core.journal import record_event

MAX_TEXT = 2000


def _text(value: str) -> str:
    text = value.strip()
    if not text or len(text) > MAX_TEXT:
        raise InvalidInput(f"text: 1 to {MAX_TEXT} characters")
    return text


async def host_announcement(
    session: AsyncSession, principal: Principal, seat: Seat, tender_id: uuid.UUID, text: str, stamp: float
) -> int:
    """The host (the tender's agency) speaks to everyone; `stamp` is when the request reached the server."""
    if seat.role is not HallRole.HOST:
        raise Forbidden("only the tender's agency hosts the hall")
    await get_opening(session, tender_id)
    body = _text(text)
    await record_event(
        session,
        "opening.host_announcement",
        {"tender": str(tender_id), "text": body},
        actor=principal.actor,
        subject_id=tender_id,
    )
    return await messages.post(session, tender_id, "host.announcement", PUBLIC, {"text": body}, stamp=stamp)


async def raise_objection(
    session: AsyncSession, principal: Principal, seat: Seat, tender_id: uuid.UUID, text: str
) -> HallObjection:
    """A bidder objects in the hall; the host and overseers see it at once, the answer goes to everyone."""
    if seat.role is not HallRole.BIDDER or seat.organization_id is None:
        raise Forbidden("objections in the hall are raised by the opening's bidders")
    opening = await get_opening(session, tender_id)
    if opening.status == "published":
        raise Conflict("the opening is over: file an objection through POST /api/cases")
    has_bid = await session.scalar(
        select(OpenedBid.bid_id)
        .where(OpenedBid.tender_id == tender_id, OpenedBid.bidder_org_id == seat.organization_id)
        .limit(1)
    )
    if has_bid is None:
        raise Forbidden("objections in the hall are raised by the opening's bidders")
    row = HallObjection(
        tender_id=tender_id, bidder_org_id=seat.organization_id, raised_by=principal.user_id, body=_text(text)
    )
    session.add(row)
    await session.flush()
    await record_event(
        session,
        "opening.objection_raised",
        {"tender": str(tender_id), "objection": str(row.id), "bidder": str(seat.organization_id), "text": row.body},
        actor=principal.actor,
        subject_id=row.id,
    )
    data = {"objection": str(row.id), "text": row.body}
    await messages.post(session, tender_id, "objection.raised", OVERSEERS, data)
    await messages.post(session, tender_id, "objection.raised", bidder_audience(seat.organization_id), data)
    return row


async def answer_objection(
    session: AsyncSession, principal: Principal, seat: Seat, tender_id: uuid.UUID, objection_id: uuid.UUID, text: str
) -> HallObjection:
    """The host answers on the spot; objection and answer are recorded and read to the hall."""
    if seat.role is not HallRole.HOST:
        raise Forbidden("only the tender's agency answers objections in the hall")
    row = await session.get(HallObjection, objection_id, with_for_update=True)
    if row is None or row.tender_id != tender_id:
        raise NotFound("no such objection in this hall")
    if row.answer is not None:
        raise Conflict("this objection has been answered")
    row.answer, row.answered_by, row.answered_at = _text(text), principal.user_id, await db_now(session)
    await record_event(
        session,
        "opening.objection_answered",
        {"tender": str(tender_id), "objection": str(row.id), "text": row.body, "answer": row.answer},
        actor=principal.actor,
        subject_id=row.id,
    )
    await messages.post(
        session,
        tender_id,
        "objection.answered",
        PUBLIC,
        {"objection": str(row.id), "text": row.body, "answer": row.answer},
    )
    return row
