"""Compute risk signals when the opening records `bid.opened` events (subscribed in sunbid/wiring.py)."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import Boolean, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.journal import JournalEvent, record_event
from core.oplog import OperationLogEntry
from supervision.signals.detect import RULE, OpenedBid, detect, opened_bid
from supervision.signals.models import RiskSignal

OPENED_EVENT = "bid.opened"
SUBMISSION_ROUTE = "/api/bids"


async def _submission_ips(session: AsyncSession, tender_id: uuid.UUID) -> dict[str, set[str]]:
    """IPs each organization submitted bids for this tender from (sealed operation-log rows, now past the opening)."""
    rows = await session.execute(
        select(OperationLogEntry.organization_id, OperationLogEntry.ip).where(
            OperationLogEntry.tender_id == tender_id,
            OperationLogEntry.method == "POST",
            OperationLogEntry.route == SUBMISSION_ROUTE,
            OperationLogEntry.status < 300,
        )
    )
    out: dict[str, set[str]] = defaultdict(set)
    for org, ip in rows:
        if org is not None and ip:
            out[str(org)].add(ip)
    return out


async def opened_bids(session: AsyncSession, tender_id: uuid.UUID) -> list[OpenedBid]:
    """The latest opened record per bidder and lot of one tender."""
    events = await session.scalars(
        select(JournalEvent)
        .where(JournalEvent.event_type == OPENED_EVENT, JournalEvent.payload["tender"].astext == str(tender_id))
        .order_by(JournalEvent.seq)
    )
    ips = await _submission_ips(session, tender_id)
    latest: dict[tuple[str, int], OpenedBid] = {}
    for event in events:
        bid = opened_bid(event.payload, ips.get(str(event.payload.get("bidder")), ()))
        latest[(bid.bidder, bid.lot)] = bid
    return list(latest.values())


async def refresh_signals(session: AsyncSession, tender_id: uuid.UUID) -> list[RiskSignal]:
    """Detect again over every opened bid; new patterns are stored and journaled, and a known pattern that more
    bidders have joined since (bids open one by one) is widened to all of them and journaled again."""
    raised: list[RiskSignal] = []
    for signal in detect(await opened_bids(session, tender_id)):
        bidders = [uuid.UUID(b) for b in signal.bidders]
        stored = insert(RiskSignal).values(
            id=uuid.uuid4(),
            tender_id=tender_id,
            lot=signal.lot,
            kind=signal.kind,
            rule=RULE,
            fingerprint=signal.fingerprint,
            bidder_org_ids=bidders,
            evidence=signal.evidence,
        )
        stored = stored.on_conflict_do_update(
            constraint="uq_risk_signals_pattern",
            set_={"bidder_org_ids": stored.excluded.bidder_org_ids, "evidence": stored.excluded.evidence},
            where=RiskSignal.bidder_org_ids.is_distinct_from(stored.excluded.bidder_org_ids),
        )
        returning = stored.returning(RiskSignal.id, literal_column("xmax = 0", Boolean))
        found = (await session.execute(returning)).first()
        if found is None:
            continue
        row_id, inserted = found
        row = await session.get(RiskSignal, row_id, populate_existing=True)
        if row is not None:
            raised.append(row)
        await record_event(
            session,
            "risk.signal_raised" if inserted else "risk.signal_widened",
            {
                "signal": str(row_id),
                "tender": str(tender_id),
                "kind": signal.kind,
                "rule": RULE,
                "bidders": list(signal.bidders),
                "evidence": signal.evidence,
            },
            subject_id=tender_id,
        )
    return raised


async def on_bid_opened(session: AsyncSession, event: JournalEvent) -> None:
    """Journal subscriber: each opened bid re-runs detection for its tender, in the opening's transaction."""
    tender = event.payload.get("tender")
    if tender:
        await refresh_signals(session, uuid.UUID(str(tender)))


async def list_signals(session: AsyncSession, tender_id: uuid.UUID | None, kind: str | None) -> list[RiskSignal]:
    """Signals, newest first."""
    query = select(RiskSignal).order_by(RiskSignal.raised_at.desc(), RiskSignal.id)
    if tender_id is not None:
        query = query.where(RiskSignal.tender_id == tender_id)
    if kind is not None:
        query = query.where(RiskSignal.kind == kind)
    return list((await session.scalars(query)).all())
