"""Read models of the opening: what each seat may see, from the same rules as the hall."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bidding.opening import messages
from bidding.opening.access import Seat, seat_of
from bidding.opening.errors import OpeningNotFound
from bidding.opening.models import HallMessage, OpenedBid, Opening
from bidding.opening.services import get_opening, opened_bids
from core.identity.principal import Principal
from trading.tenders.models import Tender


async def seat_in(session: AsyncSession, principal: Principal | None, tender_id: uuid.UUID) -> Seat:
    """The caller's seat, for a tender that exists and is public."""
    tender = await session.get(Tender, tender_id)
    if tender is None or tender.status == "draft":
        raise OpeningNotFound(f"tender {tender_id} does not exist")
    return seat_of(principal, tender)


async def opening_view(
    session: AsyncSession, principal: Principal | None, tender_id: uuid.UUID
) -> tuple[Opening, list[OpenedBid], Seat]:
    """The opening and its bids; sheets are blanked unless announced or the caller's own."""
    seat = await seat_in(session, principal, tender_id)
    opening = await get_opening(session, tender_id)
    rows = await opened_bids(session, tender_id)
    if opening.announced_at is None:
        for row in rows:
            if row.bidder_org_id != seat.organization_id or seat.role.value != "bidder":
                session.expunge(row)
                row.sheet = None
    return opening, rows, seat


async def visible_messages(
    session: AsyncSession, principal: Principal | None, tender_id: uuid.UUID, after: int
) -> list[HallMessage]:
    """The hall messages the caller's seat may read after a seq (REST catch-up, same as the websocket)."""
    seat = await seat_in(session, principal, tender_id)
    return await messages.since(session, tender_id, after, seat.audiences)
