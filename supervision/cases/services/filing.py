"""File a case: the procedure fits the tender's law, the window is open, prerequisites exist, clocks start."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import HolidaySnapshot, local_day
from core.confidential import commit_confidential
from core.db import db_now
from core.errors import InvalidInput
from core.holidays import load_snapshot
from core.identity.models import Organization
from core.identity.principal import Principal
from core.identity.roles import OrgType
from core.journal import record_event
from core.settings import Settings
from supervision.cases import rules
from supervision.cases.errors import PrerequisiteMissing
from supervision.cases.models import Case
from supervision.cases.schemas import CaseIn
from supervision.cases.services.access import confidential_for, public_actor, sealed_for
from supervision.cases.services.suspension import hold_contract, hold_suspension
from supervision.cases.states import ANSWERABLE, CaseKind, CaseStatus, Matter
from supervision.clocks.periods import period_end
from supervision.clocks.services import start_clock
from trading.tenders.models import Tender
from trading.tenders.services.access import readable_tender
from trading.tenders.states import TenderStatus


def stage_of(tender: Tender) -> str:
    """The tender's stage, looking through a suspension."""
    if tender.status == TenderStatus.SUSPENDED and tender.status_before_suspension:
        return tender.status_before_suspension
    return tender.status


async def _prior(session: AsyncSession, principal: Principal, data: CaseIn, kind: CaseKind) -> Case | None:
    """The complainant's own objection or challenge on the same tender and matter (the latest, or the named one)."""
    query = select(Case).where(
        Case.kind == kind.value,
        Case.tender_id == data.tender_id,
        Case.complainant_org_id == principal.organization_id,
        Case.matter == data.matter.value,
        Case.status.in_((CaseStatus.FILED.value, CaseStatus.ANSWERED.value)),
    )
    if data.prior_case_id is not None:
        query = query.where(Case.id == data.prior_case_id)
    return await session.scalar(query.order_by(Case.filed_at.desc()).limit(1))


async def _regulator(session: AsyncSession, data: CaseIn) -> uuid.UUID:
    if data.regulator_id is None:
        raise InvalidInput("regulator_id: a complaint names the regulator (行政监督部门) it is filed with")
    org = await session.get(Organization, data.regulator_id)
    if org is None or org.org_type != OrgType.REGULATOR:
        raise InvalidInput("regulator_id: not a registered regulator", field="regulator_id")
    return org.id


async def _complaint_window(
    session: AsyncSession,
    principal: Principal,
    data: CaseIn,
    tender: Tender,
    *,
    now: datetime,
    snapshot: HolidaySnapshot,
) -> tuple[Case | None, datetime, int]:
    known_on = data.known_on or local_day(now)
    if tender.legal_basis == rules.TENDERING:
        prior = (
            await _prior(session, principal, data, CaseKind.OBJECTION) if data.matter in rules.OBJECTION_FIRST else None
        )
        facts = rules.PriorCase(prior.answered_at, prior.answer_due_at) if prior and prior.answer_due_at else None
        return prior, rules.works_complaint_end(known_on, data.matter, facts, now, snapshot), 63
    prior = await _prior(session, principal, data, CaseKind.CHALLENGE)
    facts = rules.PriorCase(prior.answered_at, prior.answer_due_at) if prior and prior.answer_due_at else None
    return prior, rules.procurement_complaint_end(facts, now, snapshot), 67


async def file_case(session: AsyncSession, settings: Settings, principal: Principal, data: CaseIn) -> Case:
    """A bidder's objection, challenge, inquiry or complaint, refused outside its statutory window."""
    tender = await readable_tender(session, principal, data.tender_id)
    rules.check_procedure(data.kind, tender.legal_basis)
    now = await db_now(session)
    snapshot = await load_snapshot(session, settings.unknown_holiday_year)
    known_on = data.known_on or local_day(now)
    rules.check_known_on(known_on, now)
    prior: Case | None = None
    respondent = tender.agency_id
    if data.kind is CaseKind.OBJECTION:
        rules.check_objection_intake(data.matter, now, stage_of(tender), tender.bid_deadline)
    elif data.kind is CaseKind.CHALLENGE:
        rules.check_before(now, rules.challenge_intake_end(known_on, snapshot), 66, "the 7 工作日 challenge window")
    elif data.kind is CaseKind.COMPLAINT:
        respondent = await _regulator(session, data)
        prior, end, rule = await _complaint_window(session, principal, data, tender, now=now, snapshot=snapshot)
        rules.check_before(now, end, rule, "the complaint window")
    if data.prior_case_id is not None and prior is None:
        raise PrerequisiteMissing(63, "prior_case_id is not your objection or challenge on this tender and matter")
    case = Case(
        id=uuid.uuid4(),
        kind=data.kind.value,
        matter=data.matter.value,
        tender_id=tender.id,
        complainant_org_id=principal.organization_id,
        filed_by=principal.user_id,
        respondent_org_id=respondent,
        prior_case_id=prior.id if prior else None,
        title=data.title,
        grounds=data.grounds,
        known_on=known_on,
        filed_at=now,
        status=CaseStatus.FILED.value,
    )
    session.add(case)
    await session.flush()
    await _start_clocks(session, case, tender, now, snapshot)
    await _record_filing(session, principal, case, tender, now)
    actor = public_actor(principal, tender, now)
    if rules.suspends_on_filing(data.kind, data.matter):
        rule = 7 if data.matter is Matter.DOCUMENTS else 56
        await hold_suspension(session, case, rule=rule, reason="objection pending answer", actor=actor)
    if rules.locks_contract_on_filing(data.kind):
        await hold_contract(session, case, rule=66, reason="challenge pending answer", actor=actor)
    return case


async def _start_clocks(
    session: AsyncSession, case: Case, tender: Tender, now: datetime, snapshot: HolidaySnapshot
) -> None:
    kind = CaseKind(case.kind)
    common: dict[str, Any] = {"subject_type": "case", "subject_id": case.id, "tender_id": tender.id, "started_at": now}
    if kind in ANSWERABLE:
        period = rules.answer_period(kind, Matter(case.matter))
        case.answer_due_at = period_end(now, period, snapshot)
        await start_clock(
            session,
            purpose="answer",
            period=period,
            due_at=case.answer_due_at,
            responsible_org_id=tender.agency_id,
            **common,
        )
        return
    acceptance = rules.acceptance_period(tender.legal_basis)
    case.acceptance_due_at = period_end(now, acceptance, snapshot)
    await start_clock(
        session,
        purpose="acceptance",
        period=acceptance,
        due_at=case.acceptance_due_at,
        responsible_org_id=case.respondent_org_id,
        **common,
    )
    if tender.legal_basis == rules.PROCUREMENT:
        decision = rules.decision_period(tender.legal_basis)
        case.decision_due_at = period_end(now, decision, snapshot)
        await start_clock(
            session,
            purpose="decision",
            period=decision,
            due_at=case.decision_due_at,
            responsible_org_id=case.respondent_org_id,
            **common,
        )
    await session.flush()


async def _record_filing(
    session: AsyncSession, principal: Principal, case: Case, tender: Tender, now: datetime
) -> None:
    """Before the deadline a filing would name a potential bidder (rule 12), so it enters the ledger blinded."""
    facts = {
        "case": str(case.id),
        "kind": case.kind,
        "matter": case.matter,
        "tender": str(tender.id),
        "complainant": str(case.complainant_org_id),
        "respondent": str(case.respondent_org_id),
        "prior_case": str(case.prior_case_id) if case.prior_case_id else None,
        "answer_due_at": case.answer_due_at.isoformat() if case.answer_due_at else None,
        "acceptance_due_at": case.acceptance_due_at.isoformat() if case.acceptance_due_at else None,
    }
    if confidential_for(principal, tender, now):
        await commit_confidential(session, tender.id, "case.filed", facts, actor=principal.actor, subject_id=case.id)
    else:
        if sealed_for(principal, tender, now):  # a cancelled tender: its bidders stay unnamed for good
            facts.pop("complainant")
        await record_event(session, "case.filed", facts, actor=public_actor(principal, tender, now), subject_id=case.id)
