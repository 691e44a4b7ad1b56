"""Rule 38 (87号令 Art 40: 评标委员会成员不得参加开标活动; 政府采购 only): the committee and the opening stay apart.

The opening hall (bidding) records who entered it signed in; the draw reads that record here, and the hall asks
`refuse_committee_member` (registered in sunbid/) before it admits anyone. Both sides take the tender's bar lock
first and hold it to their commit, so a hall entry and a seating at the same moment cannot both pass unseen.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.opening.attendance import attendees
from core.errors import RuleViolation
from core.identity.principal import Principal
from evaluation.draws.models import Draw, PanelMember
from evaluation.draws.states import ACTIVE, DrawStatus
from evaluation.experts.models import ExpertProfile
from trading.tenders.models import Tender
from trading.tenders.rules import LegalBasis

ATTENDED_OPENING = "rule 38: attended the bid opening (87号令 Art 40)"


def bars_opening_attendees(tender: Tender) -> bool:
    """Rule 38 keeps the committee and the opening apart in 政府采购 only."""
    return tender.legal_basis == LegalBasis.PROCUREMENT_LAW.value


async def lock_bar(session: AsyncSession, tender: Tender) -> None:
    """In 采购, the tender's rule-38 lock to the end of the caller's transaction: hall entries and seatings take turns.

    The tender row's key-share lock comes first, as the attendance row's foreign key would take it later: a hall
    entry never holds the advisory lock while it waits for a draw request's row lock, nor the other way round."""
    if not bars_opening_attendees(tender):
        return
    await session.execute(select(Tender.id).where(Tender.id == tender.id).with_for_update(read=True, key_share=True))
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"rule-38:{tender.id}", 0))))


async def opening_attendees(session: AsyncSession, tender: Tender, user_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Of these users, those rule 38 keeps off the tender's committee for having entered its hall (call it in the
    transaction that seats them)."""
    if not bars_opening_attendees(tender):
        return set()
    await lock_bar(session, tender)
    return await attendees(session, tender.id, user_ids)


async def refuse_committee_member(session: AsyncSession, principal: Principal, tender: Tender) -> None:
    """The hall's admission check: in 采购 a member of the tender's committee, or an expert in one of its draws
    still waiting for its seed (who may yet be invited), does not attend its opening."""
    if not bars_opening_attendees(tender):
        return
    await lock_bar(session, tender)
    member = await session.scalar(
        select(PanelMember.id).where(
            PanelMember.tender_id == tender.id,
            PanelMember.user_id == principal.user_id,
            PanelMember.status.in_([s.value for s in ACTIVE]),
        )
    )
    experts = [
        str(e)
        for e in await session.scalars(select(ExpertProfile.id).where(ExpertProfile.user_id == principal.user_id))
    ]
    pending = None
    if experts:
        pending = await session.scalar(
            select(Draw.id).where(
                Draw.tender_id == tender.id,
                Draw.status == DrawStatus.COMMITTED.value,
                or_(*(Draw.eligible.contains([{"id": e}]) for e in experts)),
            )
        )
    if member is not None or pending is not None:
        raise RuleViolation(
            38,
            "members of this tender's evaluation committee, drawn or being drawn, do not attend its opening "
            "(87号令 Art 40)",
        )
