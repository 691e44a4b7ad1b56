"""The suspension lock (rules 7, 56, 64, 66, 67): set and lifted by supervision through these functions only.

A suspended tender refuses publishing, amending, opening, award actions and bid submission; callers check
`ensure_not_suspended` in the same transaction as the write it guards.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound, RuleViolation
from core.journal import Actor, record_event
from trading.tenders.models import Tender
from trading.tenders.services.access import TenderParties
from trading.tenders.states import TenderStatus, resume, transition

SUSPENSION_RULE = 64
"""The rule named by a refusal while suspended (条例 Arts 22, 54 and 62; 94号令 Art 28 suspend the same way)."""


class TenderSuspended(RuleViolation):
    """The tender is suspended pending an objection, challenge or complaint; its stage refuses every action."""

    status = 423
    code = "tender-suspended"
    title = "Tender suspended"

    def __init__(self, tender_id: uuid.UUID) -> None:
        super().__init__(
            SUSPENSION_RULE,
            f"tender {tender_id} is suspended pending an objection or complaint; no action may proceed until lifted",
            tender=str(tender_id),
        )


def ensure_not_suspended(tender: TenderParties) -> None:
    """Refuse any action on a suspended tender."""
    if tender.status == TenderStatus.SUSPENDED:
        raise TenderSuspended(tender.id)


async def _locked(session: AsyncSession, tender_id: uuid.UUID) -> Tender:
    tender = await session.scalar(
        select(Tender)
        .where(Tender.id == tender_id)
        .with_for_update(of=Tender)
        .execution_options(populate_existing=True)
    )
    if tender is None:
        raise NotFound(f"tender {tender_id} does not exist")
    return tender


async def suspend_tender(
    session: AsyncSession, tender_id: uuid.UUID, *, rule: int, reason: str, actor: Actor, case_id: uuid.UUID | None
) -> bool:
    """Suspend the tender's current stage; False (and nothing recorded) when it is already suspended."""
    tender = await _locked(session, tender_id)
    if tender.status == TenderStatus.SUSPENDED:
        return False
    current = TenderStatus(tender.status)
    tender.status = transition(current, TenderStatus.SUSPENDED).value
    tender.status_before_suspension = current.value
    await session.flush()
    await record_event(
        session,
        "tender.suspended",
        {
            "tender": str(tender.id),
            "rule": rule,
            "reason": reason,
            "case": str(case_id) if case_id else None,
            "from_status": current.value,
        },
        actor=actor,
        subject_id=tender.id,
    )
    return True


async def lift_suspension(
    session: AsyncSession, tender_id: uuid.UUID, *, rule: int, reason: str, actor: Actor, case_id: uuid.UUID | None
) -> bool:
    """Return the tender to the stage it was suspended from; False when it is not suspended."""
    tender = await _locked(session, tender_id)
    if tender.status != TenderStatus.SUSPENDED:
        return False
    before = TenderStatus(tender.status_before_suspension) if tender.status_before_suspension else None
    tender.status = resume(TenderStatus.SUSPENDED, before).value
    tender.status_before_suspension = None
    await session.flush()
    await record_event(
        session,
        "tender.resumed",
        {
            "tender": str(tender.id),
            "rule": rule,
            "reason": reason,
            "case": str(case_id) if case_id else None,
            "to_status": tender.status,
        },
        actor=actor,
        subject_id=tender.id,
    )
    return True
