"""Committee seats (rules 37 and 40): the expert's invitations, acceptance, declines and recusals, and the refill.

A seat left for a statutory reason is refilled the same way it was drawn: the next unused reserve of the same
specialty from the committed rounds, else a new committed round seeded by the next ledger checkpoint.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import db_now
from core.errors import NotFound
from core.identity.principal import Principal
from core.journal import SYSTEM, record_event
from evaluation.draws.models import Draw, DrawExclusion, PanelMember
from evaluation.draws.opening_bar import opening_attendees
from evaluation.draws.services import commit_round
from evaluation.draws.states import SeatStatus, transition
from evaluation.experts.models import ExpertProfile
from evaluation.experts.rules import draw_bar
from trading.tenders.models import Tender
from trading.tenders.services.suspension import ensure_not_suspended


async def _own_seat(session: AsyncSession, principal: Principal, member_id: uuid.UUID) -> PanelMember:
    member = await session.scalar(select(PanelMember).where(PanelMember.id == member_id).with_for_update())
    if member is None or member.user_id != principal.user_id:
        raise NotFound(f"committee seat {member_id} does not exist")
    return member


async def my_seats(session: AsyncSession, principal: Principal) -> list[tuple[PanelMember, Tender]]:
    """The signed-in expert's invitations and seats."""
    rows = await session.execute(
        select(PanelMember, Tender)
        .join(Tender, Tender.id == PanelMember.tender_id)
        .where(PanelMember.user_id == principal.user_id)
        .order_by(PanelMember.created_at)
    )
    return [(m, t) for m, t in rows.all()]


async def accept_seat(session: AsyncSession, principal: Principal, member_id: uuid.UUID) -> PanelMember:
    """The drawn expert confirms attendance."""
    member = await _own_seat(session, principal, member_id)
    member.status = transition(SeatStatus(member.status), SeatStatus.ACCEPTED).value
    await record_event(
        session,
        "evaluation.seat_accepted",
        {"tender": str(member.tender_id), "seat": member.seat},
        actor=principal.actor,
        subject_id=member.id,
    )
    return member


async def leave_seat(
    session: AsyncSession, principal: Principal, member_id: uuid.UUID, status: SeatStatus, reason: str
) -> PanelMember:
    """Decline or recuse (rule 40): the seat's scores are void and a replacement is drawn the same way."""
    member = await _own_seat(session, principal, member_id)
    tender = await session.get(Tender, member.tender_id)
    if tender is not None:
        ensure_not_suspended(tender)
    member.status = transition(SeatStatus(member.status), status).value
    member.leave_reason = reason
    if member.expert_id is not None:
        session.add(DrawExclusion(tender_id=member.tender_id, expert_id=member.expert_id, reason=status.value))
    await session.flush()
    from evaluation.scoring.services import void_scores
    from evaluation.scoring.votes import vacate_chair

    voided = await void_scores(session, member.id)
    await vacate_chair(session, member)
    await record_event(
        session,
        f"evaluation.seat_{status.value}",
        {"tender": str(member.tender_id), "seat": member.seat, "reason": reason, "voided_scores": voided},
        actor=principal.actor,
        subject_id=member.id,
    )
    if member.kind == "expert" and member.specialty and tender is not None:
        await _replace(session, tender, member)
    return member


async def _replace(session: AsyncSession, tender: Tender, member: PanelMember) -> None:
    """Take the next unused reserve of the same specialty from the drawn rounds, else commit a new round."""
    draws = (await session.scalars(select(Draw).where(Draw.tender_id == tender.id).order_by(Draw.round))).all()
    used = set((await session.scalars(select(PanelMember.expert_id).where(PanelMember.tender_id == tender.id))).all())
    left = set(
        (await session.scalars(select(DrawExclusion.expert_id).where(DrawExclusion.tender_id == tender.id))).all()
    )
    now = await db_now(session)
    for row in draws:
        for pick in (row.outcome or {}).get("reserves", []):
            expert_id = uuid.UUID(pick["expert"])
            if pick["specialty"] != member.specialty or expert_id in used or expert_id in left:
                continue
            profile = await session.get(ExpertProfile, expert_id)
            if profile is None or draw_bar(profile.status, profile.suspended_until, profile.sanctioned_until, now):
                continue
            if profile.user_id is not None and await opening_attendees(session, tender, [profile.user_id]):
                continue  # a reserve who entered the opening hall after the draw (rule 38)
            session.add(
                PanelMember(
                    tender_id=tender.id,
                    draw_id=row.id,
                    expert_id=expert_id,
                    user_id=profile.user_id,
                    kind="expert",
                    specialty=member.specialty,
                    seat=member.seat,
                    status=SeatStatus.INVITED.value,
                    replaces=member.id,
                )
            )
            await session.flush()
            await record_event(
                session,
                "evaluation.seat_replaced",
                {"tender": str(tender.id), "seat": member.seat, "from": "reserve", "draw": str(row.id)},
                subject_id=member.id,
            )
            return
    initial = draws[0] if draws else None
    await commit_round(
        session,
        tender,
        {member.specialty or "": 1},
        0,
        "replacement",
        SYSTEM,
        initial.requested_by if initial else tender.created_by,
    )
