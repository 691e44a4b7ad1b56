"""Later stages (opening, evaluation, award) move a tender along its statuses only through this function."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.journal import Actor, record_event
from trading.tenders.models import Tender
from trading.tenders.services.suspension import ensure_not_suspended
from trading.tenders.states import TenderStatus, transition


async def advance_tender(
    session: AsyncSession, tender_id: uuid.UUID, target: TenderStatus, *, actor: Actor, reason: str
) -> Tender:
    """Lock the tender, refuse while suspended, apply a lawful transition and journal it."""
    tender = await session.scalar(
        select(Tender)
        .where(Tender.id == tender_id)
        .with_for_update(of=Tender)
        .execution_options(populate_existing=True)
    )
    if tender is None:
        raise NotFound(f"tender {tender_id} does not exist")
    ensure_not_suspended(tender)
    previous = tender.status
    tender.status = transition(TenderStatus(previous), target).value
    await session.flush()
    await record_event(
        session,
        "tender.status_changed",
        {"tender": str(tender.id), "from": previous, "to": tender.status, "reason": reason},
        actor=actor,
        subject_id=tender.id,
    )
    return tender
