"""The opening's use cases: start at the deadline, sign-in, the window's end, 唱标 (key release: release.py).

Time comes from the database clock only. Locks: the opening row first (FOR SHARE while decrypting, FOR UPDATE to
change phase), then the hall sequence lock (see messages.py).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.bids.models import Bid
from bidding.bids.states import BidStatus
from bidding.opening import messages, rules
from bidding.opening.access import OVERSEERS, PUBLIC, bidder_audience
from bidding.opening.errors import OpeningNotFound, WindowClosed
from bidding.opening.models import OpenedBid, Opening
from bidding.opening.states import READABLE, Cause, OpenedStatus, OpeningStatus, bid_transition, transition
from core.confidential import format_time
from core.db import db_now
from core.identity.models import Organization
from core.identity.principal import Principal
from core.journal import record_event
from trading.tenders.models import Tender
from trading.tenders.states import TenderStatus
from trading.tenders.states import transition as tender_transition

B = OpenedStatus


async def get_opening(session: AsyncSession, tender_id: uuid.UUID, *, lock: str | None = None) -> Opening:
    """The tender's opening, optionally locked ("share" or "update")."""
    query = select(Opening).where(Opening.tender_id == tender_id).execution_options(populate_existing=True)
    if lock == "share":
        query = query.with_for_update(read=True)
    elif lock == "update":
        query = query.with_for_update()
    opening = await session.scalar(query)
    if opening is None:
        raise OpeningNotFound(f"tender {tender_id} has no opening yet: it starts at the bid deadline")
    return opening


async def opened_bids(session: AsyncSession, tender_id: uuid.UUID, *, lock: bool = False) -> list[OpenedBid]:
    """Every bid of the opening, by lot and bidder name."""
    query = select(OpenedBid).where(OpenedBid.tender_id == tender_id)
    if lock:
        query = query.with_for_update()
    rows = await session.scalars(query.order_by(OpenedBid.lot_number, OpenedBid.bidder_name, OpenedBid.bid_id))
    return list(rows.all())


async def start_due_openings(session: AsyncSession) -> int:
    """Chronograph step (rule 24): every published tender whose deadline has passed starts its opening."""
    now = await db_now(session)
    due = await session.scalars(
        select(Tender)
        .where(Tender.status == TenderStatus.PUBLISHED, Tender.bid_deadline <= now)
        .order_by(Tender.bid_deadline)
        .with_for_update(skip_locked=True, of=Tender)
        .limit(20)
    )
    started = 0
    for tender in due.all():
        await start_opening(session, tender, now)
        started += 1
    return started


async def start_opening(session: AsyncSession, tender: Tender, now: datetime) -> Opening:
    """Close bidding, reveal the sealed ledger stream, seat the live bids, and apply rule 25 per lot."""
    tender.status = tender_transition(TenderStatus(tender.status), TenderStatus.BIDDING_CLOSED)
    window = timedelta(minutes=tender.decryption_window_minutes)
    opening = Opening(
        tender_id=tender.id,
        status=OpeningStatus.DECRYPTING,
        started_at=now,
        window_closes_at=now + window,
        escrow_remedy=len(tender.custodian_org_ids) >= tender.escrow_quorum >= 1,
        failed_lots=[],
    )
    session.add(opening)
    await session.flush()
    await record_event(
        session,
        "tender.opening_started",
        {
            "tender": str(tender.id),
            "deadline": format_time(tender.bid_deadline),
            "window_closes_at": format_time(opening.window_closes_at),
        },
        subject_id=tender.id,
    )
    live = (
        await session.scalars(select(Bid).where(Bid.tender_id == tender.id, Bid.status == BidStatus.SUBMITTED))
    ).all()
    by_lot: dict[int, list[Bid]] = defaultdict(list)
    for bid in live:
        by_lot[bid.lot_number].append(bid)
    failed = [lot.number for lot in tender.lots if rules.lot_fails(len(by_lot[lot.number]))]
    opening.failed_lots = failed
    names: dict[uuid.UUID, str] = {}
    for bid in live:
        if bid.bidder_org_id not in names:
            org = await session.get(Organization, bid.bidder_org_id)
            names[bid.bidder_org_id] = org.name if org else ""
        status = B.UNOPENED if bid.lot_number in failed else B.SEALED
        session.add(
            OpenedBid(
                bid_id=bid.id,
                tender_id=tender.id,
                lot_id=bid.lot_id,
                lot_number=bid.lot_number,
                bidder_org_id=bid.bidder_org_id,
                bidder_name=names[bid.bidder_org_id],
                status=status,
            )
        )
    await session.flush()
    lots = [{"lot": lot.number, "bids": len(by_lot[lot.number]), "failed": lot.number in failed} for lot in tender.lots]
    await messages.post(
        session,
        tender.id,
        "opening.started",
        PUBLIC,
        {"tender": str(tender.id), "window_closes_at": format_time(opening.window_closes_at), "lots": lots},
    )
    for bid in live:
        if bid.lot_number not in failed:
            await messages.post(
                session,
                tender.id,
                "bid.sealed",
                bidder_audience(bid.bidder_org_id),
                {"bid": str(bid.id), "lot": bid.lot_number, "recipient": bid.recipient},
            )
    for number in failed:
        await record_event(
            session,
            "opening.lot_failed",
            {"tender": str(tender.id), "lot": number, "bids": len(by_lot[number]), "rule": 25},
            subject_id=tender.id,
        )
    if len(failed) == len(tender.lots):
        opening.status = transition(OpeningStatus.DECRYPTING, OpeningStatus.FAILED)
        tender.status = tender_transition(TenderStatus(tender.status), TenderStatus.FAILED)
        await record_event(
            session,
            "tender.failed",
            {"tender": str(tender.id), "rule": 25, "reason": "fewer than 3 bids in every lot", "lots": lots},
            subject_id=tender.id,
        )
        await messages.post(session, tender.id, "opening.failed", PUBLIC, {"rule": 25, "lots": lots})
    await session.flush()
    return opening


async def sign_in(session: AsyncSession, principal: Principal, tender_id: uuid.UUID) -> int:
    """A bidder signs in to the hall (attendance, recorded); returns how many of its bids it signed in for."""
    await get_opening(session, tender_id, lock="share")
    now = await db_now(session)
    mine = [b for b in await opened_bids(session, tender_id, lock=True) if b.bidder_org_id == principal.organization_id]
    fresh = [b for b in mine if b.signed_in_at is None]
    for bid in fresh:
        bid.signed_in_at = now
    if fresh:
        await record_event(
            session,
            "opening.signed_in",
            {
                "tender": str(tender_id),
                "bidder": str(principal.organization_id),
                "bids": [str(b.bid_id) for b in fresh],
            },
            actor=principal.actor,
            subject_id=tender_id,
        )
        await messages.post(session, tender_id, "bidder.signed_in", OVERSEERS, {"bidder_name": fresh[0].bidder_name})
    return len(mine)


async def close_due_windows(session: AsyncSession) -> int:
    """Chronograph step (rules 26-27): end decryption windows and escrow periods that are over on the DB clock."""
    now = await db_now(session)
    due = await session.scalars(
        select(Opening)
        .where(
            ((Opening.status == OpeningStatus.DECRYPTING) & (Opening.window_closes_at <= now))
            | ((Opening.status == OpeningStatus.ESCROW) & (Opening.escrow_closes_at <= now))
        )
        .with_for_update(skip_locked=True)
        .limit(20)
    )
    count = 0
    for opening in due.all():
        await end_phase(session, opening, now)
        count += 1
    return count


async def end_phase(session: AsyncSession, opening: Opening, now: datetime) -> None:
    """The window ended: unopened bids are undecrypted (the bidder's fault until shown otherwise); escrow or 唱标."""
    rows = await opened_bids(session, opening.tender_id, lock=True)
    if opening.status == OpeningStatus.DECRYPTING:
        pending = [b for b in rows if b.status == B.SEALED]
        for row in pending:
            row.status = bid_transition(B.SEALED, B.UNDECRYPTED)
            row.cause = row.cause or Cause.BIDDER
            row.evidence = row.evidence or (
                "no identity matching the committed recipient was released before "
                f"{format_time(opening.window_closes_at)}"
            )
        if pending:
            await record_event(
                session,
                "opening.window_closed",
                {"tender": str(opening.tender_id), "undecrypted": [str(b.bid_id) for b in pending]},
                subject_id=opening.tender_id,
            )
        if pending and opening.escrow_remedy:
            tender = await session.get(Tender, opening.tender_id)
            minutes = tender.decryption_window_minutes if tender else 30
            opening.status = transition(OpeningStatus.DECRYPTING, OpeningStatus.ESCROW)
            opening.escrow_closes_at = now + timedelta(minutes=minutes)
            await messages.post(
                session,
                opening.tender_id,
                "escrow.started",
                PUBLIC,
                {
                    "escrow_closes_at": format_time(opening.escrow_closes_at),
                    "bids": [
                        {"bid": str(b.bid_id), "lot": b.lot_number, "bidder_name": b.bidder_name} for b in pending
                    ],
                },
            )
            return
    from bidding.opening.announce import announce

    await announce(session, opening, now)


async def maybe_announce(session: AsyncSession, tender_id: uuid.UUID) -> bool:
    """Announce as soon as no bid is left to open (all decrypted in the window, or the escrow has opened the rest)."""
    opening = await get_opening(session, tender_id, lock="update")
    rows = [OpenedStatus(b.status) for b in await opened_bids(session, tender_id) if b.status != B.UNOPENED]
    if opening.status == OpeningStatus.DECRYPTING:
        ready = all(status in READABLE for status in rows)
    else:
        ready = opening.status == OpeningStatus.ESCROW and B.UNDECRYPTED not in rows
    if not ready:
        return False
    from bidding.opening.announce import announce

    await announce(session, opening, await db_now(session))
    return True


async def record_cause(
    session: AsyncSession, principal: Principal, tender_id: uuid.UUID, bid_id: uuid.UUID, cause: Cause, evidence: str
) -> OpenedBid:
    """The agency records why a bid was not decrypted (rule 27), with evidence, before the reading."""
    opening = await get_opening(session, tender_id, lock="share")
    if opening.status not in (OpeningStatus.DECRYPTING, OpeningStatus.ESCROW):
        raise WindowClosed("the causes are settled: the reading of prices has happened")
    row = await session.get(OpenedBid, bid_id, with_for_update=True)
    if row is None or row.tender_id != tender_id or row.status not in (B.SEALED, B.UNDECRYPTED):
        raise OpeningNotFound("no undecrypted bid with this id in this opening")
    row.cause, row.evidence = cause, evidence
    await record_event(
        session,
        "opening.failure_cause",
        {"tender": str(tender_id), "bid": str(bid_id), "cause": cause.value, "evidence": evidence},
        actor=principal.actor,
        subject_id=bid_id,
    )
    return row
