"""Answer, accept, reject, suspend, decide and withdraw: each step settles its clock and is journaled."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.confidential import commit_confidential
from core.db import db_now
from core.errors import Conflict, Forbidden, a
from core.holidays import load_snapshot
from core.identity.principal import Principal
from core.journal import record_event
from core.settings import Settings
from supervision.cases import rules
from supervision.cases.models import Case
from supervision.cases.services.access import (
    confidential_for,
    ensure_handling_regulator,
    ensure_respondent,
    locked_case,
    public_actor,
)
from supervision.cases.services.suspension import (
    hold_contract,
    hold_suspension,
    release_contract,
    release_suspension,
    start_suspension_clock,
)
from supervision.cases.states import ANSWERABLE, CaseKind, CaseStatus, Matter, Outcome, transition
from supervision.clocks.periods import period_end
from supervision.clocks.services import settle_clocks, start_clock


def _step(case: Case, target: CaseStatus) -> None:
    case.status = transition(CaseKind(case.kind), CaseStatus(case.status), target).value


def _rule_of(case: Case, legal_basis: str) -> int:
    if case.kind == CaseKind.COMPLAINT:
        return 64 if legal_basis == rules.TENDERING else 67
    return rules.answer_period(CaseKind(case.kind), Matter(case.matter)).rule


async def _close_clocks(session: AsyncSession, case: Case) -> None:
    """On a decision or rejection: papers never sent and a reply never filed are cancelled, not met; the rest met."""
    for purpose in ("papers", "reply"):
        await settle_clocks(session, case.id, purpose, state="cancelled")
    await settle_clocks(session, case.id)


def _facts(case: Case, **facts: Any) -> dict[str, Any]:
    return {"case": str(case.id), "tender": str(case.tender_id), "kind": case.kind, "status": case.status, **facts}


async def _record(session: AsyncSession, principal: Principal, case: Case, event: str, **facts: Any) -> None:
    await record_event(session, event, _facts(case, **facts), actor=principal.actor, subject_id=case.id)


async def answer_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID, answer: str) -> Case:
    """The agency or tenderee answers an objection, challenge or inquiry; a suspension it caused lifts."""
    case, tender = await locked_case(session, principal, case_id)
    if CaseKind(case.kind) not in ANSWERABLE:
        raise Conflict("a complaint is decided by the regulator, not answered")
    ensure_respondent(principal, tender)
    _step(case, CaseStatus.ANSWERED)
    case.answer = answer
    case.answered_at = await db_now(session)
    case.answered_by = principal.user_id
    await settle_clocks(session, case.id, "answer")
    await release_suspension(
        session, case, rule=_rule_of(case, tender.legal_basis), reason="objection answered", actor=principal.actor
    )
    await release_contract(session, case, reason=f"{case.kind} answered", actor=principal.actor)
    await _record(session, principal, case, "case.answered", answered_at=case.answered_at.isoformat())
    return case


async def accept_complaint(session: AsyncSession, settings: Settings, principal: Principal, case_id: uuid.UUID) -> Case:
    """Rules 64 and 67: the regulator accepts a complaint; under 条例 Art 61 the 30 工作日 start now."""
    case, tender = await locked_case(session, principal, case_id)
    ensure_handling_regulator(principal, case)
    _step(case, CaseStatus.ACCEPTED)
    now = await db_now(session)
    case.accepted_at = now
    await settle_clocks(session, case.id, "acceptance")
    if tender.legal_basis == rules.TENDERING:
        snapshot = await load_snapshot(session, settings.unknown_holiday_year)
        period = rules.decision_period(tender.legal_basis)
        case.decision_due_at = period_end(now, period, snapshot)
        await start_clock(
            session,
            subject_type="case",
            subject_id=case.id,
            purpose="decision",
            period=period,
            due_at=case.decision_due_at,
            responsible_org_id=case.respondent_org_id,
            tender_id=tender.id,
            started_at=now,
        )
    else:
        await _start_papers_clock(session, settings, case, tender.id)
    await _record(
        session,
        principal,
        case,
        "case.accepted",
        decision_due_at=case.decision_due_at.isoformat() if case.decision_due_at else None,
        papers_due_at=case.papers_due_at.isoformat() if case.papers_due_at else None,
    )
    return case


async def _start_papers_clock(session: AsyncSession, settings: Settings, case: Case, tender_id: uuid.UUID) -> None:
    """Rule 67: the copy of the complaint goes to the parties within 8 工作日 of its receipt."""
    snapshot = await load_snapshot(session, settings.unknown_holiday_year)
    period = rules.PROCUREMENT_PAPERS
    case.papers_due_at = period_end(case.filed_at, period, snapshot)
    await start_clock(
        session,
        subject_type="case",
        subject_id=case.id,
        purpose="papers",
        period=period,
        due_at=case.papers_due_at,
        responsible_org_id=case.respondent_org_id,
        tender_id=tender_id,
        started_at=case.filed_at,
    )


async def reject_complaint(session: AsyncSession, principal: Principal, case_id: uuid.UUID, reason: str) -> Case:
    """Inadmissible or outside the regulator's authority: rejected with a reason; its clocks stop."""
    case, tender = await locked_case(session, principal, case_id)
    ensure_handling_regulator(principal, case)
    _step(case, CaseStatus.REJECTED)
    case.rejection_reason = reason
    await _close_clocks(session, case)
    await release_suspension(
        session, case, rule=_rule_of(case, tender.legal_basis), reason="complaint rejected", actor=principal.actor
    )
    await release_contract(session, case, reason="complaint rejected", actor=principal.actor)
    await _record(session, principal, case, "case.rejected", reason=reason)
    return case


async def order_suspension(
    session: AsyncSession, settings: Settings, principal: Principal, case_id: uuid.UUID, reason: str
) -> Case:
    """Rules 64 and 67: the regulator suspends the tender while it handles the complaint."""
    case, tender = await locked_case(session, principal, case_id)
    ensure_handling_regulator(principal, case)
    if case.status not in (CaseStatus.FILED, CaseStatus.ACCEPTED):
        raise Conflict(f"{a(case.status)} complaint cannot suspend the tender")
    if case.holds_suspension:
        raise Conflict("this complaint already holds the tender suspended")
    rule = _rule_of(case, tender.legal_basis)
    await hold_suspension(session, case, rule=rule, reason=reason, actor=principal.actor)
    await start_suspension_clock(session, settings, case, tender)
    await _record(session, principal, case, "case.suspension_ordered", rule=rule, reason=reason)
    return case


async def lift_case_suspension(session: AsyncSession, principal: Principal, case_id: uuid.UUID, reason: str) -> Case:
    """The regulator lifts the suspension this complaint holds before deciding it."""
    case, tender = await locked_case(session, principal, case_id)
    ensure_handling_regulator(principal, case)
    if not case.holds_suspension:
        raise Conflict("this complaint holds no suspension")
    await release_suspension(
        session, case, rule=_rule_of(case, tender.legal_basis), reason=reason, actor=principal.actor
    )
    await _record(session, principal, case, "case.suspension_lifted", reason=reason)
    return case


async def order_contract_hold(session: AsyncSession, principal: Principal, case_id: uuid.UUID, reason: str) -> Case:
    """Rules 64 and 67: the regulator stops contract signing (not the whole tender) until it decides the complaint."""
    case, tender = await locked_case(session, principal, case_id)
    ensure_handling_regulator(principal, case)
    if case.status not in (CaseStatus.FILED, CaseStatus.ACCEPTED):
        raise Conflict(f"{a(case.status)} complaint cannot hold contract signing")
    if case.holds_contract_lock:
        raise Conflict("this complaint already holds contract signing")
    rule = _rule_of(case, tender.legal_basis)
    await hold_contract(session, case, rule=rule, reason=reason, actor=principal.actor)
    await _record(session, principal, case, "case.contract_hold_ordered", rule=rule, reason=reason)
    return case


async def release_contract_hold(session: AsyncSession, principal: Principal, case_id: uuid.UUID, reason: str) -> Case:
    """The regulator lets contract signing resume before deciding the complaint."""
    case, _ = await locked_case(session, principal, case_id)
    ensure_handling_regulator(principal, case)
    if not case.holds_contract_lock:
        raise Conflict("this complaint holds no contract hold")
    await release_contract(session, case, reason=reason, actor=principal.actor)
    await _record(session, principal, case, "case.contract_hold_released", reason=reason)
    return case


async def decide_complaint(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, outcome: Outcome, decision: str
) -> Case:
    """The regulator's decision, published at once; the suspension this complaint holds lifts."""
    case, tender = await locked_case(session, principal, case_id)
    ensure_handling_regulator(principal, case)
    _step(case, CaseStatus.DECIDED)
    now = await db_now(session)
    case.outcome = outcome.value
    case.decision = decision
    case.decided_at = now
    case.decided_by = principal.user_id
    case.published_at = now
    await _close_clocks(session, case)
    await release_suspension(
        session, case, rule=_rule_of(case, tender.legal_basis), reason="complaint decided", actor=principal.actor
    )
    await release_contract(session, case, reason="complaint decided", actor=principal.actor)
    await _record(
        session, principal, case, "case.decided", outcome=outcome.value, decision=decision, published_at=now.isoformat()
    )
    return case


async def withdraw_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> Case:
    """The complainant withdraws; clocks are cancelled and any suspension it held lifts."""
    case, tender = await locked_case(session, principal, case_id)
    if principal.organization_id != case.complainant_org_id:
        raise Forbidden("only the complainant may withdraw a case")
    _step(case, CaseStatus.WITHDRAWN)
    now = await db_now(session)
    case.withdrawn_at = now
    await settle_clocks(session, case.id, state="cancelled")
    actor = public_actor(principal, tender, now)
    rule = _rule_of(case, tender.legal_basis)
    await release_suspension(session, case, rule=rule, reason="case withdrawn", actor=actor)
    await release_contract(session, case, reason="case withdrawn", actor=actor)
    if confidential_for(principal, tender, now):
        await commit_confidential(
            session, tender.id, "case.withdrawn", _facts(case), actor=principal.actor, subject_id=case.id
        )
    else:
        await record_event(session, "case.withdrawn", _facts(case), actor=actor, subject_id=case.id)
    return case
