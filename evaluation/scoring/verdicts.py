"""Which opened bids are valid: the members' compliance verdicts by majority, less lapsed rule-49 clarifications."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict
from evaluation.draws.models import PanelMember
from evaluation.scoring.models import BidReview, Clarification
from evaluation.scoring.opened import OpenedBid, opened_bids
from evaluation.scoring.states import ClarificationStatus

MIN_VALID_BIDS = 3
"""Rule 52: below three valid bids 工程 committees may reject all, 采购 committees do not evaluate."""


@dataclass
class LotVerdicts:
    """One lot's bids split into the valid ones and the invalid ones with their grounds."""

    lot: int
    valid: list[OpenedBid] = field(default_factory=list)
    invalid: list[dict[str, Any]] = field(default_factory=list)


def lot_verdicts(
    lot: int,
    bids: Sequence[OpenedBid],
    reviews: Sequence[BidReview],
    seated: Sequence[PanelMember],
    lapsed: set[tuple[int, uuid.UUID]],
) -> LotVerdicts:
    """A bid is valid when most members passed it and it did not leave a rule-49 clarification unanswered."""
    seat_ids = {m.id for m in seated}
    out = LotVerdicts(lot)
    for bid in bids:
        verdicts = [r for r in reviews if r.lot_number == lot and r.bidder_id == bid.bidder and r.member_id in seat_ids]
        if len(verdicts) < len(seated):
            raise Conflict(f"lot {lot}: every member must review {bid.bidder_name} first")
        passes = sum(1 for r in verdicts if r.passed)
        grounds = sorted({g for r in verdicts if not r.passed for g in r.grounds})
        if (lot, bid.bidder) in lapsed:
            grounds.append("rule 49: no explanation of an abnormally low price")
        if passes * 2 > len(verdicts) and (lot, bid.bidder) not in lapsed:
            out.valid.append(bid)
        else:
            out.invalid.append({"bidder": str(bid.bidder), "bidder_name": bid.bidder_name, "grounds": grounds})
    return out


async def verdicts_by_lot(
    session: AsyncSession, tender_id: uuid.UUID, seated: Sequence[PanelMember]
) -> dict[int, LotVerdicts]:
    """Every lot's verdicts; Conflict while a clarification is open or a member has not reviewed a bid."""
    reviews = (await session.scalars(select(BidReview).where(BidReview.tender_id == tender_id))).all()
    clarifications = (await session.scalars(select(Clarification).where(Clarification.tender_id == tender_id))).all()
    if any(c.status == ClarificationStatus.OPEN for c in clarifications):
        raise Conflict("a clarification (rule 49) is still open; validity waits for the reply or the deadline")
    lapsed = {(c.lot_number, c.bidder_id) for c in clarifications if c.status == ClarificationStatus.LAPSED}
    lots: dict[int, list[OpenedBid]] = defaultdict(list)
    for bid in await opened_bids(session, tender_id):
        lots[bid.lot].append(bid)
    return {lot: lot_verdicts(lot, bids, reviews, seated, lapsed) for lot, bids in sorted(lots.items())}
