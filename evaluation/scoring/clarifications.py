"""Rule 49: an abnormally low bid is asked for a written explanation by a deadline; a signed reply or it is invalid."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import db_now
from core.errors import InvalidInput, NotFound, RuleViolation
from core.identity.principal import Principal
from core.journal import record_event
from evaluation.scoring.models import Clarification
from evaluation.scoring.opened import opened_bids
from evaluation.scoring.rules import abnormally_low
from evaluation.scoring.services import open_for_acts, seat_of, template_of
from evaluation.scoring.signatures import verified_payload
from evaluation.scoring.states import ClarificationStatus

REPLY_TYPE = "sunbid.evaluation.clarification_reply"


async def request_clarification(
    session: AsyncSession,
    principal: Principal,
    tender_id: uuid.UUID,
    *,
    lot: int,
    bidder: uuid.UUID,
    question: str,
    hours: int,
) -> Clarification:
    """Rule 49: an abnormally low bid must explain itself in writing by a deadline."""
    _, tender = await seat_of(session, principal, tender_id)
    await open_for_acts(session, tender)
    template = template_of(tender)
    prices = {str(b.bidder): b.price for b in await opened_bids(session, tender_id) if b.lot == lot}
    if str(bidder) not in abnormally_low(prices, template.abnormal_low_ratio):
        raise RuleViolation(
            49, f"this bid is not abnormally low (below {template.abnormal_low_ratio} of the others' mean)"
        )
    now = await db_now(session)
    clarification = Clarification(
        tender_id=tender_id,
        lot_number=lot,
        bidder_id=bidder,
        question=question,
        deadline=now + timedelta(hours=hours),
        status=ClarificationStatus.OPEN.value,
    )
    session.add(clarification)
    await session.flush()
    await record_event(
        session,
        "evaluation.clarification_requested",
        {
            "tender": str(tender_id),
            "lot": lot,
            "bidder": str(bidder),
            "clarification": str(clarification.id),
            "deadline": clarification.deadline.isoformat(),
        },
        actor=principal.actor,
        subject_id=clarification.id,
    )
    return clarification


async def my_clarifications(session: AsyncSession, principal: Principal) -> list[Clarification]:
    """The clarification requests addressed to the caller's organization."""
    rows = await session.scalars(
        select(Clarification)
        .where(Clarification.bidder_id == principal.organization_id)
        .order_by(Clarification.created_at)
    )
    return list(rows.all())


async def reply_clarification(
    session: AsyncSession,
    principal: Principal,
    clarification_id: uuid.UUID,
    statement: str,
    roots: list[x509.Certificate],
) -> Clarification:
    """The bidder's signed written explanation, accepted only before the deadline on the database clock."""
    clarification = await session.scalar(
        select(Clarification).where(Clarification.id == clarification_id).with_for_update()
    )
    if clarification is None or clarification.bidder_id != principal.organization_id:
        raise NotFound(f"clarification {clarification_id} does not exist")
    now = await db_now(session)
    if clarification.status != ClarificationStatus.OPEN or now > clarification.deadline:
        raise RuleViolation(49, "the clarification deadline has passed; the bid is invalid without an explanation")
    payload, _ = await verified_payload(session, statement, principal.user_id, roots, now, REPLY_TYPE)
    if payload.get("clarification") != str(clarification.id):
        raise InvalidInput("statement: the payload names another clarification")
    clarification.status = ClarificationStatus.ANSWERED.value
    clarification.reply_statement = statement
    clarification.replied_at = now
    await record_event(
        session,
        "evaluation.clarification_answered",
        {
            "tender": str(clarification.tender_id),
            "clarification": str(clarification.id),
            "statement_sha256": hashlib.sha256(statement.encode()).hexdigest(),
        },
        actor=principal.actor,
        subject_id=clarification.id,
    )
    return clarification


async def lapse_clarifications(session: AsyncSession) -> int:
    """Chronograph step: an unanswered clarification past its deadline makes the bid invalid (rule 49)."""
    now = await db_now(session)
    due = (
        await session.scalars(
            select(Clarification)
            .where(Clarification.status == ClarificationStatus.OPEN.value, Clarification.deadline < now)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for clarification in due:
        clarification.status = ClarificationStatus.LAPSED.value
        await record_event(
            session,
            "evaluation.clarification_lapsed",
            {
                "tender": str(clarification.tender_id),
                "lot": clarification.lot_number,
                "bidder": str(clarification.bidder_id),
                "rule": 49,
            },
            subject_id=clarification.id,
        )
    return len(due)
