"""The opened bids as the opening hall recorded them: one `bid.opened` event per bid (latest per bidder and lot)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.models import Organization
from core.journal import JournalEvent

OPENED_EVENT = "bid.opened"


@dataclass(frozen=True)
class OpenedBid:
    """What the evaluation knows of a bid: lot, bidder, opening-sheet price and the package's files."""

    lot: int
    bidder: uuid.UUID
    bidder_name: str
    bidder_credit_code: str
    price: Decimal
    files: list[dict[str, Any]]
    bid_id: uuid.UUID | None = None
    """The bid version that was opened: its checked package is `opened/<bid_id>.tar` (bidding.opening.context)."""


async def opened_bids(session: AsyncSession, tender_id: uuid.UUID) -> list[OpenedBid]:
    """Every opened bid of the tender, by lot then bidder name."""
    events = (
        await session.scalars(
            select(JournalEvent)
            .where(JournalEvent.event_type == OPENED_EVENT, JournalEvent.payload["tender"].astext == str(tender_id))
            .order_by(JournalEvent.seq)
        )
    ).all()
    latest: dict[tuple[int, str], dict[str, Any]] = {}
    opened: dict[tuple[int, str], uuid.UUID | None] = {}
    for event in events:
        key = (int(event.payload["lot"]), event.payload["bidder"])
        latest[key], opened[key] = event.payload, event.subject_id
    orgs = {
        o.id: o
        for o in (
            await session.scalars(select(Organization).where(Organization.id.in_([uuid.UUID(b) for _, b in latest])))
        ).all()
    }
    bids = []
    for (lot, bidder), payload in latest.items():
        org = orgs.get(uuid.UUID(bidder))
        bids.append(
            OpenedBid(
                lot=lot,
                bidder=uuid.UUID(bidder),
                bidder_name=org.name if org else bidder,
                bidder_credit_code=org.credit_code if org else "",
                price=Decimal(str(payload["price"])),
                files=list(payload.get("files") or []),
                bid_id=opened[(lot, bidder)],
            )
        )
    return sorted(bids, key=lambda b: (b.lot, b.bidder_name, str(b.bidder)))
