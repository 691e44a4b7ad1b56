"""Committee votes: more time (rule 41), the chair (rule 38) and rejecting all bids when too few are valid (rule 52)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict
from core.identity.principal import Principal
from core.journal import record_event
from evaluation.draws.models import PanelMember
from evaluation.draws.states import SeatStatus
from evaluation.scoring.models import CommitteeVote, Evaluation
from evaluation.scoring.services import open_for_acts, seat_of


async def vote_extension(session: AsyncSession, principal: Principal, tender_id: uuid.UUID, reason: str) -> Evaluation:
    """Rule 41: the evaluation time is extended when more than 1/3 of the members say it is insufficient."""
    member, tender = await seat_of(session, principal, tender_id)
    evaluation = await open_for_acts(session, tender)
    if await session.scalar(
        select(CommitteeVote.id).where(CommitteeVote.member_id == member.id, CommitteeVote.kind == "extension")
    ):
        raise Conflict("you have already asked for more time")
    session.add(CommitteeVote(tender_id=tender_id, member_id=member.id, kind="extension", reason=reason))
    await session.flush()
    votes = (
        await session.scalar(
            select(func.count()).where(CommitteeVote.tender_id == tender_id, CommitteeVote.kind == "extension")
        )
        or 0
    )
    members = (
        await session.scalar(
            select(func.count()).where(
                PanelMember.tender_id == tender_id, PanelMember.status == SeatStatus.SEATED.value
            )
        )
        or 0
    )
    await record_event(
        session,
        "evaluation.extension_vote",
        {"tender": str(tender_id), "votes": votes, "members": members},
        actor=principal.actor,
        subject_id=member.id,
    )
    if not evaluation.extended and votes * 3 > members:
        evaluation.extended = True
        await record_event(
            session, "evaluation.extended", {"tender": str(tender_id), "votes": votes, "members": members}
        )
    return evaluation
