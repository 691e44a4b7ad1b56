"""Remote evaluation (rules 37, 40, 45-53): entry declaration, compliance review, signed locked scores.

Experts see only their own committee's tender, and only after declaring no conflict on entry.
"""

from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal

from cryptography import x509
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import db_now
from core.errors import Conflict, InvalidInput, NotFound, RuleViolation
from core.identity.principal import Principal
from core.journal import Actor, record_event
from evaluation.draws.models import PanelMember
from evaluation.draws.states import SeatStatus
from evaluation.scoring.errors import ScoresLocked
from evaluation.scoring.models import BidReview, Evaluation, ScoreSheet
from evaluation.scoring.opened import OpenedBid, opened_bids
from evaluation.scoring.rules import (
    ChangeReason,
    RejectionGround,
    Template,
    check_criteria,
    parse_template,
)
from evaluation.scoring.signatures import verified_payload
from evaluation.scoring.states import EvaluationStatus, SheetStatus
from trading.tenders.models import Tender
from trading.tenders.services.stages import advance_tender
from trading.tenders.services.suspension import ensure_not_suspended
from trading.tenders.states import TenderStatus

SCORE_TYPE = "sunbid.evaluation.score"


def template_of(tender: Tender) -> Template:
    """The tender's scoring template, checked against rules 44-46."""
    return parse_template(
        tender.scoring_template,
        category=tender.category,
        legal_basis=tender.legal_basis,
        method=tender.evaluation_method,
    )


async def seat_of(
    session: AsyncSession, principal: Principal, tender_id: uuid.UUID, *, seated: bool = True
) -> tuple[PanelMember, Tender]:
    """The caller's active seat on this tender's committee; anyone else learns nothing (404)."""
    statuses = [SeatStatus.SEATED.value] if seated else [SeatStatus.ACCEPTED.value, SeatStatus.SEATED.value]
    member = await session.scalar(
        select(PanelMember).where(
            PanelMember.tender_id == tender_id,
            PanelMember.user_id == principal.user_id,
            PanelMember.status.in_(statuses),
        )
    )
    tender = await session.get(Tender, tender_id)
    if member is None or tender is None:
        hint = "" if seated else " (accept the invitation first)"
        raise NotFound(f"you have no {'seat' if seated else 'accepted seat'} on tender {tender_id}'s committee{hint}")
    return member, tender


async def open_evaluation(session: AsyncSession, tender_id: uuid.UUID) -> Evaluation:
    """The evaluation row, locked; created (and the tender moved to evaluating) on first entry."""
    evaluation = await session.scalar(select(Evaluation).where(Evaluation.tender_id == tender_id).with_for_update())
    if evaluation is None:
        evaluation = Evaluation(tender_id=tender_id, status=EvaluationStatus.OPEN.value)
        session.add(evaluation)
        await session.flush()
        tender = await session.get(Tender, tender_id)
        if tender is not None and tender.status == TenderStatus.OPENED:
            await advance_tender(session, tender_id, TenderStatus.EVALUATING, actor=Actor(), reason="evaluation opened")
    return evaluation


async def enter(
    session: AsyncSession, principal: Principal, tender_id: uuid.UUID, *, no_conflict: bool, declaration: str
) -> PanelMember:
    """Rule 37: the member declares on entry; a declared conflict recuses the seat and draws a replacement."""
    member, tender = await seat_of(session, principal, tender_id, seated=False)
    ensure_not_suspended(tender)
    if not no_conflict:
        from evaluation.draws.seats import leave_seat

        return await leave_seat(session, principal, member.id, SeatStatus.RECUSED, declaration or "declared conflict")
    if member.status == SeatStatus.SEATED:
        return member
    member.status = SeatStatus.SEATED.value
    member.declared_at = await db_now(session)
    member.declaration = declaration or "本人与投标人无利害关系，承诺回避事项已如实申报。"
    await open_evaluation(session, tender_id)
    await record_event(
        session,
        "evaluation.member_entered",
        {"tender": str(tender_id), "seat": member.seat, "declaration": member.declaration},
        actor=principal.actor,
        subject_id=member.id,
    )
    return member


async def open_for_acts(session: AsyncSession, tender: Tender) -> Evaluation:
    """The evaluation row, refusing every act while the tender is suspended or the evaluation is past open."""
    ensure_not_suspended(tender)
    evaluation = await open_evaluation(session, tender.id)
    if evaluation.status != EvaluationStatus.OPEN:
        raise Conflict(f"the evaluation is {evaluation.status}; reviews and scores are closed")
    return evaluation


async def bids_for_member(session: AsyncSession, principal: Principal, tender_id: uuid.UUID) -> list[OpenedBid]:
    """The opened bids, for a seated member of this tender's committee only."""
    await seat_of(session, principal, tender_id)
    return await opened_bids(session, tender_id)


async def bid_file(
    session: AsyncSession, principal: Principal, tender_id: uuid.UUID, lot: int, bidder: uuid.UUID, name: str
) -> tuple[uuid.UUID, str]:
    """(bid id, file name) of one file of an opened bid, for a seated member of this committee only."""
    await seat_of(session, principal, tender_id)
    bid = await _bid(session, tender_id, lot, bidder)
    if bid.bid_id is None or name not in {str(f.get("name")) for f in bid.files}:
        raise NotFound(f"the bid of {bidder} for lot {lot} has no file {name!r}")
    return bid.bid_id, name


async def _bid(session: AsyncSession, tender_id: uuid.UUID, lot: int, bidder: uuid.UUID) -> OpenedBid:
    for bid in await opened_bids(session, tender_id):
        if bid.lot == lot and bid.bidder == bidder:
            return bid
    raise NotFound(f"no opened bid of bidder {bidder} for lot {lot}")


async def review_bid(
    session: AsyncSession,
    principal: Principal,
    tender_id: uuid.UUID,
    *,
    lot: int,
    bidder: uuid.UUID,
    passed: bool,
    grounds: list[RejectionGround],
    note: str,
) -> BidReview:
    """Qualification and compliance: pass, or fail naming rule-50 grounds; one locked verdict per member and bid."""
    member, tender = await seat_of(session, principal, tender_id)
    await open_for_acts(session, tender)
    bid = await _bid(session, tender_id, lot, bidder)
    if not passed and not grounds:
        raise RuleViolation(50, "a rejected bid needs at least one ground (条例 Art 51)")
    if passed and tender.ceiling_price is not None and bid.price > tender.ceiling_price:
        raise RuleViolation(
            50,
            f"the bid's price {bid.price} is above the ceiling price {tender.ceiling_price}: it cannot pass; reject it "
            f"with the ground {RejectionGround.ABOVE_CEILING.value} (条例 Art 51)",
        )
    existing = await session.scalar(
        select(BidReview.id).where(
            BidReview.member_id == member.id, BidReview.lot_number == lot, BidReview.bidder_id == bidder
        )
    )
    if existing is not None:
        raise ScoresLocked("your review of this bid is recorded and locked")
    review = BidReview(
        tender_id=tender_id,
        member_id=member.id,
        lot_number=lot,
        bidder_id=bidder,
        passed=passed,
        grounds=[g.value for g in grounds],
        note=note or None,
    )
    session.add(review)
    await session.flush()
    await record_event(
        session,
        "evaluation.bid_reviewed",
        {
            "tender": str(tender_id),
            "lot": lot,
            "bidder": str(bidder),
            "seat": member.seat,
            "passed": passed,
            "grounds": review.grounds,
        },
        actor=principal.actor,
        subject_id=review.id,
    )
    return review


async def _store_sheet(
    session: AsyncSession,
    principal: Principal,
    tender_id: uuid.UUID,
    statement: str,
    roots: list[x509.Certificate],
    reason: ChangeReason | None,
) -> ScoreSheet:
    member, tender = await seat_of(session, principal, tender_id)
    await open_for_acts(session, tender)
    now = await db_now(session)
    payload, _ = await verified_payload(session, statement, principal.user_id, roots, now, SCORE_TYPE)
    if payload.get("tender") != str(tender_id):
        raise InvalidInput("statement: the payload names another tender")
    try:
        lot, bidder = int(payload["lot"]), uuid.UUID(str(payload["bidder"]))
    except (KeyError, ValueError) as exc:
        raise InvalidInput("statement: the payload needs lot and bidder") from exc
    await _bid(session, tender_id, lot, bidder)
    scores = check_criteria(template_of(tender), payload.get("criteria") or {})
    current = await session.scalar(
        select(ScoreSheet)
        .where(
            ScoreSheet.member_id == member.id,
            ScoreSheet.lot_number == lot,
            ScoreSheet.bidder_id == bidder,
            ScoreSheet.status == SheetStatus.LOCKED.value,
        )
        .with_for_update()
    )
    if current is not None and reason is None:
        raise ScoresLocked("scores are locked once signed; a change needs a rule-53 reason (POST .../scores/revisions)")
    if current is None and reason is not None:
        raise NotFound("there is no locked score to revise for this bid")
    if current is not None:
        current.status = SheetStatus.SUPERSEDED.value
    sheet = ScoreSheet(
        tender_id=tender_id,
        member_id=member.id,
        lot_number=lot,
        bidder_id=bidder,
        version=(current.version + 1) if current else 1,
        criteria={k: str(v) for k, v in scores.items()},
        subjective_total=sum(scores.values(), Decimal(0)),
        statement=statement,
        statement_sha256=hashlib.sha256(statement.encode()).hexdigest(),
        status=SheetStatus.LOCKED.value,
        change_reason=reason.value if reason else None,
    )
    session.add(sheet)
    await session.flush()
    await record_event(
        session,
        "evaluation.score_revised" if reason else "evaluation.score_signed",
        {
            "tender": str(tender_id),
            "lot": lot,
            "bidder": str(bidder),
            "seat": member.seat,
            "statement_sha256": sheet.statement_sha256,
            "version": sheet.version,
            "reason": sheet.change_reason,
        },
        actor=principal.actor,
        subject_id=sheet.id,
    )
    return sheet


async def submit_score(
    session: AsyncSession, principal: Principal, tender_id: uuid.UUID, statement: str, roots: list[x509.Certificate]
) -> ScoreSheet:
    """Store a member's signed score for one bid; it is locked from then on."""
    return await _store_sheet(session, principal, tender_id, statement, roots, None)


async def revise_score(
    session: AsyncSession,
    principal: Principal,
    tender_id: uuid.UUID,
    statement: str,
    reason: ChangeReason,
    roots: list[x509.Certificate],
) -> ScoreSheet:
    """Rule 53: a locked score changes only for a sum error, out-of-range, inconsistent or abnormal scores."""
    return await _store_sheet(session, principal, tender_id, statement, roots, reason)


async def void_scores(session: AsyncSession, member_id: uuid.UUID) -> int:
    """Rule 40: a replaced member's scores are void."""
    result = await session.execute(
        update(ScoreSheet)
        .where(ScoreSheet.member_id == member_id, ScoreSheet.status == SheetStatus.LOCKED.value)
        .values(status=SheetStatus.VOID.value)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def seat_number(session: AsyncSession, member_id: uuid.UUID | None) -> int | None:
    """The seat number of a committee member, or None."""
    member = await session.get(PanelMember, member_id) if member_id else None
    return member.seat if member else None
