"""Bidders' questions: answered to everyone without naming who asked; only the agency sees the asker."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import db_now
from core.errors import Conflict, NotFound
from core.identity.principal import Principal
from core.journal import record_event
from trading.tenders.models import TenderQuestion
from trading.tenders.rules import bidders_sealed
from trading.tenders.services.access import is_manager, managed_tender, readable_tender
from trading.tenders.states import TenderStatus


async def ask(session: AsyncSession, principal: Principal, tender_id: uuid.UUID, text: str) -> TenderQuestion:
    """A bidder asks about a published tender before its deadline."""
    tender = await readable_tender(session, principal, tender_id)
    now = await db_now(session)
    if tender.status != TenderStatus.PUBLISHED or now >= tender.bid_deadline:
        raise Conflict("questions are taken only while the tender is open for bids")
    question = TenderQuestion(
        id=uuid.uuid4(),
        tender_id=tender.id,
        asker_user_id=principal.user_id,
        asker_organization_id=principal.organization_id,
        question=text,
        asked_at=now,
    )
    session.add(question)
    await session.flush()
    await record_event(
        session,
        "tender.question_asked",
        {"tender": str(tender.id), "question": str(question.id)},
        actor=principal.actor,
        subject_id=tender.id,
        confidential=True,
    )
    return question


async def answer(
    session: AsyncSession, principal: Principal, tender_id: uuid.UUID, question_id: uuid.UUID, text: str
) -> TenderQuestion:
    """The agency answers; the answer is published to all bidders at once."""
    tender = await managed_tender(session, principal, tender_id)
    question = await session.get(TenderQuestion, question_id, with_for_update=True)
    if question is None or question.tender_id != tender.id:
        raise NotFound(f"question {question_id} does not exist")
    if question.answer is not None:
        raise Conflict("this question is already answered; publish an amendment to change the answer")
    question.answer = text
    question.answered_at = await db_now(session)
    question.answered_by = principal.user_id
    await session.flush()
    await record_event(
        session,
        "tender.question_answered",
        {"tender": str(tender.id), "question": str(question.id), "question_text": question.question, "answer": text},
        actor=principal.actor,
        subject_id=tender.id,
    )
    return question


async def list_questions(
    session: AsyncSession, principal: Principal | None, tender_id: uuid.UUID
) -> tuple[list[TenderQuestion], bool]:
    """Answered questions for everyone, a bidder's own unanswered ones to it; every question for the agency; and
    whether the caller may see askers (the agency, once the deadline has passed: an asker is a potential bidder)."""
    tender = await readable_tender(session, principal, tender_id)
    manager = is_manager(principal, tender)
    query = select(TenderQuestion).where(TenderQuestion.tender_id == tender.id)
    if not manager:
        visible: ColumnElement[bool] = TenderQuestion.answer.is_not(None)
        if principal is not None:
            visible = or_(visible, TenderQuestion.asker_organization_id == principal.organization_id)
        query = query.where(visible)
    rows = await session.scalars(query.order_by(TenderQuestion.asked_at, TenderQuestion.id))
    sealed = bidders_sealed(tender.bid_deadline, tender.cancelled_at, await db_now(session))
    return list(rows.all()), manager and not sealed
