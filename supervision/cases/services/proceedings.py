"""A complaint before the regulator: papers to the parties, their reply, and excluded time (rules 64, 67)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import db_now
from core.errors import Conflict
from core.holidays import load_snapshot
from core.identity.principal import Principal
from core.journal import record_event
from core.settings import Settings
from supervision.cases import rules
from supervision.cases.models import Case
from supervision.cases.services.access import ensure_handling_regulator, ensure_respondent, locked_case
from supervision.cases.states import CaseKind, CaseStatus
from supervision.clocks.models import ClockPause, StatutoryClock
from supervision.clocks.pauses import pause_clock, pauses_of, resume_clock
from supervision.clocks.periods import period_end
from supervision.clocks.services import open_clock, settle_clocks, start_clock


async def _record(session: AsyncSession, principal: Principal, case: Case, event: str, **facts: Any) -> None:
    payload = {"case": str(case.id), "tender": str(case.tender_id), "kind": case.kind, "status": case.status, **facts}
    await record_event(session, event, payload, actor=principal.actor, subject_id=case.id)


def _accepted_complaint(case: Case) -> None:
    if case.kind != CaseKind.COMPLAINT or case.status != CaseStatus.ACCEPTED:
        raise Conflict(f"papers and replies belong to an accepted complaint; this {case.kind} is {case.status}")


async def record_papers_sent(
    session: AsyncSession, settings: Settings, principal: Principal, case_id: uuid.UUID
) -> Case:
    """The regulator sent the complaint's copy to the respondent and parties; their reply clock starts (rule 67)."""
    case, tender = await locked_case(session, principal, case_id)
    ensure_handling_regulator(principal, case)
    _accepted_complaint(case)
    if case.papers_sent_at is not None:
        raise Conflict(f"the papers were already sent at {case.papers_sent_at.isoformat()}")
    now = await db_now(session)
    case.papers_sent_at = now
    await settle_clocks(session, case.id, "papers")
    if tender.legal_basis == rules.PROCUREMENT:
        snapshot = await load_snapshot(session, settings.unknown_holiday_year)
        period = rules.PROCUREMENT_REPLY
        case.reply_due_at = period_end(now, period, snapshot)
        await start_clock(
            session,
            subject_type="case",
            subject_id=case.id,
            purpose="reply",
            period=period,
            due_at=case.reply_due_at,
            responsible_org_id=tender.agency_id,
            tender_id=tender.id,
            started_at=now,
        )
    await _record(
        session,
        principal,
        case,
        "case.papers_sent",
        papers_sent_at=now.isoformat(),
        reply_due_at=case.reply_due_at.isoformat() if case.reply_due_at else None,
    )
    return case


async def record_reply(session: AsyncSession, principal: Principal, case_id: uuid.UUID, reply: str) -> Case:
    """The respondent (the tender's agency or purchaser) files its written reply with the regulator (rule 67)."""
    case, tender = await locked_case(session, principal, case_id)
    ensure_respondent(principal, tender)
    _accepted_complaint(case)
    if case.papers_sent_at is None:
        raise Conflict("the reply answers the papers, which the regulator has not sent yet")
    if case.replied_at is not None:
        raise Conflict(f"the reply was already filed at {case.replied_at.isoformat()}")
    case.reply = reply
    case.replied_at = await db_now(session)
    case.replied_by = principal.user_id
    await settle_clocks(session, case.id, "reply")
    await _record(session, principal, case, "case.replied", replied_at=case.replied_at.isoformat())
    return case


async def _decision_clock(session: AsyncSession, case: Case) -> StatutoryClock:
    clock = await open_clock(session, case.id, "decision")
    if clock is None:
        raise Conflict(f"this {case.status} {case.kind} has no running decision clock")
    return clock


async def pause_decision(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, kind: str, reason: str
) -> ClockPause:
    """Excluded time starts (testing, appraisal, expert review, supplementing): the decision clock stops."""
    case, tender = await locked_case(session, principal, case_id)
    ensure_handling_regulator(principal, case)
    rule = rules.check_excludable(tender.legal_basis, kind)
    clock = await _decision_clock(session, case)
    pause = await pause_clock(session, clock, kind=kind, reason=reason, now=await db_now(session), by=principal.user_id)
    await _record(
        session, principal, case, "case.clock_paused", rule=rule, exclusion=kind, reason=reason, clock=str(clock.id)
    )
    return pause


async def resume_decision(
    session: AsyncSession, settings: Settings, principal: Principal, case_id: uuid.UUID
) -> ClockPause:
    """Excluded time ends: the decision is due later by the days excluded."""
    case, _ = await locked_case(session, principal, case_id)
    ensure_handling_regulator(principal, case)
    clock = await _decision_clock(session, case)
    snapshot = await load_snapshot(session, settings.unknown_holiday_year)
    pause = await resume_clock(session, clock, now=await db_now(session), by=principal.user_id, snapshot=snapshot)
    case.decision_due_at = clock.due_at
    await _record(
        session,
        principal,
        case,
        "case.clock_resumed",
        exclusion=pause.kind,
        excluded_days=pause.excluded_days,
        decision_due_at=clock.due_at.isoformat(),
    )
    return pause


async def case_pauses(session: AsyncSession, case_id: uuid.UUID) -> list[ClockPause]:
    """Every pause recorded on the case's clocks, oldest first."""
    ids = list((await session.scalars(select(StatutoryClock.id).where(StatutoryClock.subject_id == case_id))).all())
    return await pauses_of(session, ids)
