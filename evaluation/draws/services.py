"""The draw (rules 33-39): commit to the eligible list, seed from the next ledger checkpoint, seat the drawn.

Nobody can steer the draw: the eligible list is fixed and committed in the journal (hence the ledger) before the
seed exists, and the seed is the root hash of the first checkpoint that covers that commitment.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.bids.models import Bid
from bidding.bids.states import BidStatus
from core.calendar import local_day
from core.db import db_now
from core.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from core.identity.models import Organization, User
from core.identity.principal import Principal
from core.identity.roles import OrgType, Role
from core.journal import Actor, JournalEvent, record_event
from core.ledger_view import first_checkpoint_covering
from evaluation.draws.errors import SeedNotYetAvailable
from evaluation.draws.models import Draw, DrawExclusion, PanelMember
from evaluation.draws.opening_bar import ATTENDED_OPENING, lock_bar, opening_attendees
from evaluation.draws.selection import ALGORITHM, Candidate, draw, eligible_digest, outcome_json
from evaluation.draws.states import ACTIVE, DrawStatus, SeatStatus
from evaluation.experts.models import ExpertProfile
from evaluation.experts.rules import SPECIALTIES, ConflictInput, conflicts, draw_bar, qualifies_for_works
from evaluation.scoring.rules import committee_composition
from trading.tenders.models import Tender
from trading.tenders.services.access import is_manager, managed_tender
from trading.tenders.services.suspension import ensure_not_suspended
from trading.tenders.states import TenderStatus

DRAWABLE = frozenset({TenderStatus.BIDDING_CLOSED, TenderStatus.OPENED, TenderStatus.EVALUATING})


async def _parties(session: AsyncSession, tender: Tender) -> dict[str, str]:
    """Credit codes of the tenderee and of every bidder (live bids and opened ones) mapped to their role."""
    bidder_ids = set(
        (
            await session.scalars(
                select(Bid.bidder_org_id).where(Bid.tender_id == tender.id, Bid.status == BidStatus.SUBMITTED.value)
            )
        ).all()
    )
    opened = await session.scalars(
        select(JournalEvent.payload["bidder"].astext).where(
            JournalEvent.event_type == "bid.opened", JournalEvent.payload["tender"].astext == str(tender.id)
        )
    )
    bidder_ids |= {uuid.UUID(b) for b in opened.all() if b}
    orgs = (
        await session.scalars(select(Organization).where(Organization.id.in_([*bidder_ids, tender.tenderee_id])))
    ).all()
    return {o.credit_code: ("tenderee" if o.id == tender.tenderee_id else "bidder") for o in orgs}


async def _agency_code(session: AsyncSession, tender: Tender) -> str | None:
    """The credit code of the tender's agency: its staff may not evaluate its own project (rule 38)."""
    agency = await session.get(Organization, tender.agency_id)
    return agency.credit_code if agency else None


async def eligible_experts(session: AsyncSession, tender: Tender) -> tuple[list[Candidate], list[dict[str, Any]]]:
    """The pool after rule 35, 37 and 38 checks; returns the eligible and the excluded with reasons."""
    now = await db_now(session)
    today = local_day(now)
    parties = await _parties(session, tender)
    agency_code = await _agency_code(session, tender)
    seated = set(
        (
            await session.scalars(
                select(PanelMember.expert_id).where(
                    PanelMember.tender_id == tender.id, PanelMember.status.in_([s.value for s in ACTIVE])
                )
            )
        ).all()
    )
    left = set(
        (await session.scalars(select(DrawExclusion.expert_id).where(DrawExclusion.tender_id == tender.id))).all()
    )
    profiles = (await session.scalars(select(ExpertProfile).order_by(ExpertProfile.id))).all()
    attended = await opening_attendees(session, tender, [p.user_id for p in profiles if p.user_id is not None])
    eligible, excluded = [], []
    for p in profiles:
        reasons = []
        if (bar := draw_bar(p.status, p.suspended_until, p.sanctioned_until, now)) is not None:
            reasons.append(bar)
        if agency_code is not None and p.employer_credit_code == agency_code:
            reasons.append("rule 38: staff of the tender's agency")
        if p.user_id is None:
            reasons.append("no platform account for remote evaluation")
        elif p.user_id in attended:
            reasons.append(ATTENDED_OPENING)
        if tender.category == "works" and not qualifies_for_works(p.title_level, p.practice_since, today):
            reasons.append("rule 35: fewer than 8 years or no senior title")
        reasons += conflicts(
            ConflictInput(p.employer_credit_code, p.past_employers, p.declared_relations), parties, today
        )
        if p.id in seated:
            reasons.append("already on the panel")
        if p.id in left:
            reasons.append("left this panel")
        if reasons:
            excluded.append({"id": str(p.id), "reasons": reasons})
        else:
            eligible.append(Candidate(str(p.id), tuple(sorted(p.specialties))))
    return eligible, excluded


async def commit_round(
    session: AsyncSession,
    tender: Tender,
    requested: dict[str, int],
    reserves: int,
    kind: str,
    actor: Actor,
    by: uuid.UUID,
) -> Draw:
    """Fix and commit the eligible list of one round (its seed is the next checkpoint's root); 422 if too few."""
    eligible, excluded = await eligible_experts(session, tender)
    for specialty, count in requested.items():
        available = sum(1 for c in eligible if specialty in c.specialties)
        if available < count:
            raise RuleViolation(
                40 if kind == "replacement" else 36,
                f"specialty {specialty}: only {available} eligible experts for {count} seats; the panel cannot be "
                "formed by draw",
                specialty=specialty,
            )
    number = len((await session.scalars(select(Draw.id).where(Draw.tender_id == tender.id))).all()) + 1
    draw_row = Draw(
        id=uuid.uuid4(),
        tender_id=tender.id,
        round=number,
        kind=kind,
        requested=requested,
        reserves=reserves,
        eligible=[{"id": c.id, "specialties": list(c.specialties)} for c in eligible],
        eligible_sha256=eligible_digest(eligible),
        excluded=excluded,
        commitment_seq=0,
        status=DrawStatus.COMMITTED.value,
        requested_by=by,
    )
    session.add(draw_row)
    await session.flush()
    event = await record_event(
        session,
        "evaluation.draw_committed",
        {
            "tender": str(tender.id),
            "draw": str(draw_row.id),
            "round": number,
            "kind": kind,
            "requested": requested,
            "reserves": reserves,
            "eligible_sha256": draw_row.eligible_sha256,
            "eligible_count": len(eligible),
            "algorithm": ALGORITHM,
        },
        actor=actor,
        subject_id=draw_row.id,
    )
    draw_row.commitment_seq = event.seq
    return draw_row


async def request_draw(
    session: AsyncSession,
    principal: Principal,
    tender_id: uuid.UUID,
    requested: dict[str, int],
    reserves: int,
    representatives: list[uuid.UUID],
) -> Draw:
    """The agency asks for specialties and counts; composition is checked (rules 33, 38) and the list committed."""
    tender = await managed_tender(session, principal, tender_id)
    ensure_not_suspended(tender)
    if TenderStatus(tender.status) not in DRAWABLE:
        raise InvalidInput(f"experts are drawn after the bid deadline; this tender is {tender.status}")
    unknown = [s for s in requested if s not in SPECIALTIES]
    if unknown or any(c < 1 for c in requested.values()):
        raise InvalidInput(f"specialties: unknown codes {unknown} or counts below 1 (known: {sorted(SPECIALTIES)})")
    committee_composition(tender.committee_size, sum(requested.values()), len(representatives))
    if len(set(representatives)) != len(representatives):
        raise RuleViolation(38, "a representative holds one seat")
    users = []
    for user_id in representatives:
        user = await session.get(User, user_id)
        if user is None or user.organization_id != tender.tenderee_id or Role.TENDEREE.value not in user.roles:
            raise RuleViolation(38, "a representative must be a user of the tenderee itself (never agency staff)")
        users.append(user)
    if await opening_attendees(session, tender, [u.id for u in users]):
        raise RuleViolation(
            38, "a representative who attended the bid opening cannot sit on the committee (87号令 Art 40)"
        )
    if await session.scalar(select(Draw.id).where(Draw.tender_id == tender.id).limit(1)):
        raise InvalidInput("this tender's committee has been drawn; replacements follow declines and recusals")
    for seat, user in enumerate(users, start=sum(requested.values()) + 1):
        session.add(
            PanelMember(
                tender_id=tender.id,
                user_id=user.id,
                kind="tenderee_rep",
                seat=seat,
                status=SeatStatus.ACCEPTED.value,
            )
        )
    return await commit_round(session, tender, requested, reserves, "initial", principal.actor, principal.user_id)


async def complete_draw_for(session: AsyncSession, principal: Principal, draw_id: uuid.UUID) -> Draw:
    """An agency completes only the draws of tenders it runs (the operator any; the chronograph calls complete_draw)."""
    row = await session.get(Draw, draw_id)
    tender = await session.get(Tender, row.tender_id) if row is not None else None
    if row is None or tender is None:
        raise NotFound(f"draw {draw_id} does not exist")
    if not principal.has(Role.OPERATOR) and not is_manager(principal, tender):
        raise NotFound(f"draw {draw_id} does not exist")
    return await complete_draw(session, draw_id)


async def complete_draw(session: AsyncSession, draw_id: uuid.UUID) -> Draw:
    """Seat the drawn experts once the seed exists; SeedNotYetAvailable before the covering checkpoint."""
    row = await session.scalar(select(Draw).where(Draw.id == draw_id).with_for_update())
    if row is None:
        raise NotFound(f"draw {draw_id} does not exist")
    if row.status != DrawStatus.COMMITTED:
        return row
    tender = await session.get(Tender, row.tender_id)
    if tender is not None:
        await lock_bar(session, tender)  # the hall reads members, then waiting draws: not this commit in between
    checkpoint = await first_checkpoint_covering(session, row.commitment_seq)
    if checkpoint is None:
        raise SeedNotYetAvailable("the draw waits for the next signed ledger checkpoint to take its seed")
    candidates = [Candidate(c["id"], tuple(c["specialties"])) for c in row.eligible]
    outcome = draw(checkpoint.root, str(row.id), candidates, row.requested, row.reserves)
    row.seed = checkpoint.root.hex()
    row.checkpoint_size = checkpoint.size
    row.checkpoint_note = checkpoint.note
    row.outcome = outcome_json(outcome)
    row.status = DrawStatus.DRAWN.value
    row.drawn_at = await db_now(session)
    taken = await session.scalars(select(PanelMember.seat).where(PanelMember.tender_id == row.tender_id))
    seats = sorted(taken.all())
    replaced = await _vacated(session, row.tender_id) if row.kind == "replacement" else []
    next_seat = 1 if row.kind == "initial" else max(seats, default=0) + 1
    for pick in outcome.members:
        profile = await session.get(ExpertProfile, uuid.UUID(pick.expert))
        vacated = replaced.pop(0) if replaced else None
        session.add(
            PanelMember(
                tender_id=row.tender_id,
                draw_id=row.id,
                expert_id=uuid.UUID(pick.expert),
                user_id=profile.user_id if profile else None,
                kind="expert",
                specialty=pick.specialty,
                seat=vacated.seat if vacated else next_seat,
                status=SeatStatus.INVITED.value,
                replaces=vacated.id if vacated else None,
            )
        )
        if vacated is None:
            next_seat += 1
    await session.flush()
    await record_event(
        session,
        "evaluation.draw_completed",
        {
            "tender": str(row.tender_id),
            "draw": str(row.id),
            "checkpoint_size": checkpoint.size,
            "seed": row.seed,
            "seats": len(outcome.members),
            "reserves": len(outcome.reserves),
        },
        subject_id=row.id,
    )
    return row


async def _vacated(session: AsyncSession, tender_id: uuid.UUID) -> list[PanelMember]:
    """Seats left by declines or recusals that no later seat replaces yet."""
    members = (await session.scalars(select(PanelMember).where(PanelMember.tender_id == tender_id))).all()
    filled = {m.replaces for m in members if m.replaces}
    return sorted(
        (m for m in members if m.status in (SeatStatus.DECLINED, SeatStatus.RECUSED) and m.id not in filled),
        key=lambda m: m.seat,
    )


async def complete_due_draws(session: AsyncSession) -> int:
    """Chronograph step: complete every committed draw whose commitment a checkpoint now covers."""
    done = 0
    for draw_id in (await session.scalars(select(Draw.id).where(Draw.status == DrawStatus.COMMITTED.value))).all():
        try:
            await complete_draw(session, draw_id)
            done += 1
        except SeedNotYetAvailable:
            continue
    return done


async def committee(session: AsyncSession, tender_id: uuid.UUID) -> list[PanelMember]:
    """Every seat of a tender, in seat order."""
    rows = await session.scalars(
        select(PanelMember).where(PanelMember.tender_id == tender_id).order_by(PanelMember.seat, PanelMember.created_at)
    )
    return list(rows.all())


def composition_counts(members: list[PanelMember]) -> Counter[str]:
    """Active seats by kind."""
    return Counter(m.kind for m in members if m.status in ACTIVE)


async def draws_of(session: AsyncSession, principal: Principal, tender_id: uuid.UUID) -> list[Draw]:
    """A tender's draw rounds for its agency, tenderee, regulators and the operator (names stay hidden: rule 39)."""
    tender = await session.get(Tender, tender_id)
    if tender is None:
        raise NotFound(f"tender {tender_id} does not exist")
    if not (
        principal.has(Role.REGULATOR, Role.OPERATOR)
        or principal.organization_id in (tender.agency_id, tender.tenderee_id)
    ):
        raise Forbidden("draws are visible to the tender's agency and tenderee, regulators and the operator")
    return list((await session.scalars(select(Draw).where(Draw.tender_id == tender_id).order_by(Draw.round))).all())


async def publish_draws(session: AsyncSession, tender_id: uuid.UUID) -> None:
    """The result is fixed: publish every round's record (rule 39) so anyone can replay it."""
    now = await db_now(session)
    for row in (
        await session.scalars(select(Draw).where(Draw.tender_id == tender_id, Draw.published_at.is_(None)))
    ).all():
        row.published_at = now
        await record_event(
            session,
            "evaluation.draw_published",
            {"tender": str(tender_id), "draw": str(row.id), "seed": row.seed},
            subject_id=row.id,
        )


async def draw_record(session: AsyncSession, draw_id: uuid.UUID) -> dict[str, Any]:
    """The published record: inputs, commitment, checkpoint, seed and outcome with names; public once published."""
    row = await session.get(Draw, draw_id)
    if row is None or row.published_at is None:
        raise NotFound(f"draw {draw_id} has no published record (names stay confidential until the result: rule 39)")
    names = {}
    for pick in [*(row.outcome or {}).get("members", []), *(row.outcome or {}).get("reserves", [])]:
        profile = await session.get(ExpertProfile, uuid.UUID(pick["expert"]))
        names[pick["expert"]] = profile.name if profile else ""
    commitment = await session.scalar(select(JournalEvent).where(JournalEvent.seq == row.commitment_seq))
    return {
        "format": "sunbid-draw-record/v1",
        "algorithm": ALGORITHM,
        "draw_id": str(row.id),
        "tender": str(row.tender_id),
        "round": row.round,
        "kind": row.kind,
        "requested": row.requested,
        "reserves": row.reserves,
        "eligible": row.eligible,
        "eligible_sha256": row.eligible_sha256,
        "commitment_event": str(commitment.id) if commitment else None,
        "checkpoint": {"size": row.checkpoint_size, "root": row.seed, "note": row.checkpoint_note},
        "seed": row.seed,
        "outcome": row.outcome,
        "names": names,
        "published_at": row.published_at.isoformat(),
    }


def is_expert_org(principal: Principal) -> bool:
    """Expert-pool users act only on their own seats."""
    return principal.org_type is OrgType.EXPERT_POOL
