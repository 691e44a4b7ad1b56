"""The reading of prices (唱标, rule 26) and the consequences of rule 27, in one transaction.

Guarantees are re-verified first, so the reading states each bid's guarantee as it stands at the opening; then each
readable bid gets one `bid.opened` event in the contract of docs/supervision.md, and each undecrypted bid is deemed
revoked (the bidder's fault: `bid.revoked`, its guarantee is claimed) or withdrawn (not its fault).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.guarantees.models import Guarantee
from bidding.guarantees.services import reverify_for_opening
from bidding.guarantees.states import UNANSWERED, GuaranteeStatus
from bidding.opening import context, messages
from bidding.opening.access import PUBLIC
from bidding.opening.models import OpenedBid, Opening
from bidding.opening.states import (
    READABLE,
    Cause,
    OpenedStatus,
    OpeningStatus,
    bid_transition,
    failure_consequence,
    transition,
)
from core.confidential import format_time
from core.journal import record_event
from trading.tenders.models import Tender
from trading.tenders.states import TenderStatus
from trading.tenders.states import transition as tender_transition

DEEMED_WITHDRAWN = "bid.deemed_withdrawn"


async def _guarantees(session: AsyncSession, opening: Opening) -> dict[tuple[str, str], Guarantee]:
    await reverify_for_opening(session, opening.tender_id, context.current().ca)
    rows = await session.scalars(
        select(Guarantee)
        .where(Guarantee.tender_id == opening.tender_id, Guarantee.status.not_in(UNANSWERED))
        .order_by(Guarantee.status == GuaranteeStatus.ACTIVE.value, Guarantee.created_at)
    )
    return {(str(g.lot_id), str(g.bidder_id)): g for g in rows.all()}


def _guarantee_status(found: Guarantee | None) -> tuple[str, str | None]:
    if found is None:
        return "none", None
    applicant = found.data.get("applicant") if isinstance(found.data, dict) else None
    name = applicant.get("name") if isinstance(applicant, dict) else None
    if found.status == "invalid":
        return f"invalid:{found.status_reason or ''}"[:60], name
    return ("valid" if found.status == "active" else found.status), name


def reading_row(row: OpenedBid) -> dict[str, Any]:
    """One line of the reading as announced and as printed in the record."""
    sheet = row.sheet or {}
    return {
        "bid": str(row.bid_id),
        "lot": row.lot_number,
        "bidder": str(row.bidder_org_id),
        "bidder_name": row.bidder_name,
        "status": row.status,
        "price": sheet.get("price"),
        "duration_days": sheet.get("duration_days"),
        "quality": sheet.get("quality"),
        "guarantee": row.guarantee,
        "cause": row.cause if row.status in ("revoked", "withdrawn") else None,
    }


async def _settle_failure(session: AsyncSession, row: OpenedBid) -> None:
    cause = Cause(row.cause or Cause.BIDDER)
    row.status = bid_transition(OpenedStatus(row.status), failure_consequence(cause))
    payload = {
        "tender": str(row.tender_id),
        "lot": str(row.lot_id),
        "bidder": str(row.bidder_org_id),
        "bid": str(row.bid_id),
        "cause": cause.value,
        "evidence": row.evidence,
        "rule": 27,
    }
    event = "bid.revoked" if row.status == OpenedStatus.REVOKED else DEEMED_WITHDRAWN
    await record_event(session, event, payload, subject_id=row.bid_id)


async def announce(session: AsyncSession, opening: Opening, now: datetime) -> None:
    """唱标: settle every bid, read out bidder, price, duration, quality and guarantee; the tender is opened."""
    from bidding.opening.services import opened_bids

    opening.status = transition(OpeningStatus(opening.status), OpeningStatus.ANNOUNCED)
    opening.announced_at = now
    guarantees = await _guarantees(session, opening)
    rows = [b for b in await opened_bids(session, opening.tender_id, lock=True) if b.status != OpenedStatus.UNOPENED]
    for row in rows:
        row.guarantee, applicant = _guarantee_status(guarantees.get((str(row.lot_id), str(row.bidder_org_id))))
        row.guarantee_applicant = applicant
        if OpenedStatus(row.status) in READABLE:
            await record_event(
                session,
                "bid.opened",
                {
                    "tender": str(row.tender_id),
                    "lot": row.lot_number,
                    "bidder": str(row.bidder_org_id),
                    "price": (row.sheet or {}).get("price"),
                    "files": row.files or [],
                    "client": row.client or {"ip": None, "user_agent": None, "fingerprint": None},
                    "guarantee_applicant": applicant,
                },
                subject_id=row.bid_id,
            )
        else:
            await _settle_failure(session, row)
    tender = await session.get(Tender, opening.tender_id)
    if tender is not None and tender.status == TenderStatus.BIDDING_CLOSED:
        tender.status = tender_transition(TenderStatus.BIDDING_CLOSED, TenderStatus.OPENED)
    reading = [reading_row(r) for r in rows]
    await record_event(
        session,
        "opening.announced",
        {
            "tender": str(opening.tender_id),
            "announced_at": format_time(now),
            "bids": reading,
            "failed_lots": opening.failed_lots,
        },
        subject_id=opening.tender_id,
    )
    await messages.post(
        session,
        opening.tender_id,
        "reading",
        PUBLIC,
        {"announced_at": format_time(now), "bids": reading, "failed_lots": opening.failed_lots},
    )
    await session.flush()
