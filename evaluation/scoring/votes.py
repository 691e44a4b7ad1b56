"""Committee votes: more time (rule 41), the chair (rule 38) and rejecting all bids when too few are valid (rule 52)."""

from __future__ import annotations

import hashlib
import uuid

from cryptography import x509
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import db_now
from core.errors import Conflict, InvalidInput, NotFound, RuleViolation
from core.identity.principal import Principal
from core.identity.roles import Role
from core.journal import record_event
from evaluation.draws.models import PanelMember
from evaluation.draws.states import SeatStatus
from evaluation.scoring.models import CommitteeVote, Evaluation
from evaluation.scoring.services import open_for_acts, seat_of
from evaluation.scoring.signatures import verified_payload
from evaluation.scoring.verdicts import MIN_VALID_BIDS, verdicts_by_lot
from trading.tenders.models import Tender

REJECT_TYPE = "sunbid.evaluation.reject_all_vote"


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


async def _seated(session: AsyncSession, tender_id: uuid.UUID) -> list[PanelMember]:
    rows = await session.scalars(
        select(PanelMember)
        .where(PanelMember.tender_id == tender_id, PanelMember.status == SeatStatus.SEATED.value)
        .order_by(PanelMember.seat)
    )
    return list(rows.all())


async def _ballot(
    session: AsyncSession,
    tender_id: uuid.UUID,
    member: PanelMember,
    seated: list[PanelMember],
    kind: str,
    choice: str,
    **extra: str | None,
) -> dict[str, int]:
    """Store one member's vote on `kind` (once only); returns the count per choice among the seated members."""
    if await session.scalar(
        select(CommitteeVote.id).where(CommitteeVote.member_id == member.id, CommitteeVote.kind == kind)
    ):
        raise Conflict("you have already voted on this question")
    session.add(CommitteeVote(tender_id=tender_id, member_id=member.id, kind=kind, choice=choice, **extra))
    await session.flush()
    rows = await session.execute(
        select(CommitteeVote.choice, func.count())
        .where(
            CommitteeVote.tender_id == tender_id,
            CommitteeVote.kind == kind,
            CommitteeVote.member_id.in_([m.id for m in seated]),
        )
        .group_by(CommitteeVote.choice)
    )
    return {str(choice): int(count) for choice, count in rows.all()}


async def vote_chair(session: AsyncSession, principal: Principal, tender_id: uuid.UUID, seat: int) -> Evaluation:
    """Rule 38: the members elect their chair by majority; the purchaser's representative cannot chair (采购)."""
    member, tender = await seat_of(session, principal, tender_id)
    evaluation = await open_for_acts(session, tender)
    if evaluation.chair_member_id is not None:
        raise Conflict("the committee has elected its chair")
    seated = await _seated(session, tender_id)
    candidate = next((m for m in seated if m.seat == seat), None)
    if candidate is None:
        raise InvalidInput(f"seat {seat} holds no seated member", field="seat")
    if candidate.kind == "tenderee_rep" and tender.legal_basis == "procurement_law":
        raise RuleViolation(38, "the purchaser's representative cannot chair the committee (87号令 Art 45)")
    counts = await _ballot(session, tender_id, member, seated, "chair", str(seat))
    await record_event(
        session,
        "evaluation.chair_vote",
        {"tender": str(tender_id), "seat": member.seat, "for_seat": seat, "votes": counts[str(seat)]},
        actor=principal.actor,
        subject_id=member.id,
    )
    if counts[str(seat)] * 2 > len(seated):
        evaluation.chair_member_id = candidate.id
        await record_event(
            session,
            "evaluation.chair_elected",
            {"tender": str(tender_id), "seat": seat, "kind": candidate.kind, "votes": counts, "members": len(seated)},
            subject_id=candidate.id,
        )
    return evaluation


async def vote_reject_all(
    session: AsyncSession, principal: Principal, tender_id: uuid.UUID, statement: str, roots: list[x509.Certificate]
) -> Evaluation:
    """Rule 52 (工程): below 3 valid bids, each member's signed vote on rejecting all; the majority decides."""
    member, tender = await seat_of(session, principal, tender_id)
    evaluation = await open_for_acts(session, tender)
    now = await db_now(session)
    payload, _ = await verified_payload(session, statement, principal.user_id, roots, now, REJECT_TYPE)
    if payload.get("tender") != str(tender_id):
        raise InvalidInput("statement: the payload names another tender", field="statement")
    lot, reject = payload.get("lot"), payload.get("reject_all")
    if not isinstance(lot, int) or isinstance(lot, bool) or not isinstance(reject, bool):
        raise InvalidInput("statement: the payload needs lot (integer) and reject_all (true or false)")
    if tender.legal_basis == "procurement_law":
        raise RuleViolation(52, "采购: fewer than 3 qualified bids means no evaluation; there is nothing to vote on")
    seated = await _seated(session, tender_id)
    verdicts = (await verdicts_by_lot(session, tender_id, seated)).get(lot)
    if verdicts is None:
        raise NotFound(f"lot {lot} has no opened bid")
    if not 0 < len(verdicts.valid) < MIN_VALID_BIDS:
        raise RuleViolation(
            52, f"lot {lot} has {len(verdicts.valid)} valid bids; the committee votes on rejecting all only for 1 or 2"
        )
    if str(lot) in evaluation.decisions:
        raise Conflict(f"the committee has decided on lot {lot}")
    choice = "reject" if reject else "continue"
    digest = hashlib.sha256(statement.encode()).hexdigest()
    counts = await _ballot(session, tender_id, member, seated, f"reject_all:{lot}", choice, statement=statement)
    await record_event(
        session,
        "evaluation.rejection_vote",
        {"tender": str(tender_id), "lot": lot, "seat": member.seat, "reject_all": reject, "statement_sha256": digest},
        actor=principal.actor,
        subject_id=member.id,
    )
    yes, no = counts.get("reject", 0), counts.get("continue", 0)
    if max(yes, no) * 2 > len(seated):
        decision = {
            "reject_all": yes > no,
            "for": yes,
            "against": no,
            "members": len(seated),
            "valid_bids": len(verdicts.valid),
            "decided_at": now.isoformat(),
        }
        evaluation.decisions = {**evaluation.decisions, str(lot): decision}
        await record_event(
            session,
            "evaluation.rejection_decided",
            {"tender": str(tender_id), "lot": lot, "rule": 52, **decision},
            subject_id=tender_id,
        )
    return evaluation


async def evaluation_state(session: AsyncSession, principal: Principal, tender_id: uuid.UUID) -> Evaluation:
    """The evaluation's state (status, chair, rule-52 decisions): seated members, the tender's parties, regulators."""
    tender = await session.get(Tender, tender_id)
    party = tender is not None and principal.organization_id in (tender.agency_id, tender.tenderee_id)
    if not (party or principal.has(Role.REGULATOR, Role.OPERATOR)):
        await seat_of(session, principal, tender_id)
    evaluation = await session.scalar(select(Evaluation).where(Evaluation.tender_id == tender_id))
    if evaluation is None:
        raise NotFound(f"tender {tender_id} is not under evaluation")
    return evaluation


async def vacate_chair(session: AsyncSession, member: PanelMember) -> None:
    """Rule 40 meets rule 38: a chair who leaves the committee leaves the chair; the members elect again."""
    evaluation = await session.scalar(
        select(Evaluation).where(Evaluation.tender_id == member.tender_id).with_for_update()
    )
    if evaluation is None or evaluation.chair_member_id != member.id:
        return
    evaluation.chair_member_id = None
    await session.execute(
        delete(CommitteeVote).where(CommitteeVote.tender_id == member.tender_id, CommitteeVote.kind == "chair")
    )
    await record_event(
        session,
        "evaluation.chair_vacated",
        {"tender": str(member.tender_id), "seat": member.seat},
        subject_id=member.id,
    )
