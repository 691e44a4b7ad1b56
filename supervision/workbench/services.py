"""Regulator reads: tenders with their trail, rule alerts, the operation log and evaluation deviation flags."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, ScalarSelect, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Base, db_now
from core.errors import NotFound
from core.journal import JournalEvent
from core.oplog import OperationLogEntry, RuleAlert
from supervision.cases.models import Case
from supervision.clocks.models import ClockCard
from supervision.clocks.periods import day_bounds
from supervision.signals.models import RiskSignal
from supervision.workbench.visibility import tender_filter, unsealed
from trading.tenders.models import ContractHold, Tender

SEALED_EVENT_PREFIXES = ("bid.", "guarantee.")
"""Event families that name bidders: before the deadline the trail shows none of them, not even a count."""
DEVIATION_EVENT = "evaluation.deviation_flagged"


@dataclass(frozen=True)
class TenderSummary:
    """A tender on the workbench with its open cases, cards, signals and contract holds in force (rule 66)."""

    tender: Tender
    open_cases: int
    cards: int
    signals: int
    contract_holds: int


def _count(table: type[Base], *where: ColumnElement[bool]) -> ScalarSelect[int]:
    """A correlated count per tender row."""
    return select(func.count()).select_from(table).where(*where).correlate(Tender).scalar_subquery()


async def tender_summaries(session: AsyncSession) -> list[TenderSummary]:
    """Every published tender, newest first, with its counts (one statement, whatever the number of tenders)."""
    rows = await session.execute(
        select(
            Tender,
            _count(Case, Case.tender_id == Tender.id, Case.status.in_(("filed", "accepted"))),
            _count(ClockCard, ClockCard.tender_id == Tender.id),
            _count(RiskSignal, RiskSignal.tender_id == Tender.id),
            _count(ContractHold, ContractHold.tender_id == Tender.id, ContractHold.lifted_at.is_(None)),
        )
        .where(Tender.published_at.is_not(None))
        .order_by(Tender.created_at.desc(), Tender.id)
    )
    return [TenderSummary(tender, cases, cards, signals, holds) for tender, cases, cards, signals, holds in rows.all()]


async def audit_trail(session: AsyncSession, tender_id: uuid.UUID) -> tuple[Tender, bool, list[JournalEvent]]:
    """The tender's journal events in order; before its deadline no bid, guarantee or blinded event appears."""
    tender = await session.get(Tender, tender_id)
    if tender is None or tender.published_at is None:
        raise NotFound(f"tender {tender_id} does not exist")
    case_ids = select(Case.id).where(Case.tender_id == tender_id)
    query = (
        select(JournalEvent)
        .where(
            or_(
                JournalEvent.subject_id == tender_id,
                JournalEvent.payload["tender"].astext == str(tender_id),
                JournalEvent.subject_id.in_(case_ids),
            )
        )
        .order_by(JournalEvent.seq)
    )
    sealed = await db_now(session) < tender.bid_deadline
    if sealed:
        query = query.where(JournalEvent.confidential_until_opening.is_(False))
        for prefix in SEALED_EVENT_PREFIXES:
            query = query.where(JournalEvent.event_type.not_like(prefix + "%"))
    return tender, sealed, list((await session.scalars(query)).all())


@dataclass(frozen=True)
class LogFilter:
    """Filters of the operation log and the alerts; dates are Asia/Shanghai days, inclusive."""

    tender_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    rule: int | None = None
    since: date | None = None
    until: date | None = None


def _window(table: type[OperationLogEntry] | type[RuleAlert], flt: LogFilter) -> list[object]:
    clauses: list[object] = [unsealed(table), tender_filter(table, flt.tender_id)]
    if flt.user_id is not None:
        clauses.append(table.user_id == flt.user_id)
    if flt.organization_id is not None:
        clauses.append(table.organization_id == flt.organization_id)
    if flt.rule is not None:
        clauses.append(table.rule == flt.rule)
    start, end = day_bounds(flt.since, flt.until)
    if start is not None:
        clauses.append(table.occurred_at >= start)
    if end is not None:
        clauses.append(table.occurred_at <= end)
    return clauses


async def operation_log(session: AsyncSession, flt: LogFilter, limit: int) -> list[OperationLogEntry]:
    """Art 49 entries, newest first; sealed ones only once their tender's deadline has passed."""
    query = select(OperationLogEntry).where(*_window(OperationLogEntry, flt))  # type: ignore[arg-type]
    query = query.order_by(OperationLogEntry.occurred_at.desc(), OperationLogEntry.id).limit(limit)
    return list((await session.scalars(query)).all())


async def rule_alerts(session: AsyncSession, flt: LogFilter, limit: int) -> list[RuleAlert]:
    """Refused rule violations, newest first; sealed ones only after their tender's deadline."""
    query = select(RuleAlert).where(*_window(RuleAlert, flt))  # type: ignore[arg-type]
    query = query.order_by(RuleAlert.occurred_at.desc(), RuleAlert.id).limit(limit)
    return list((await session.scalars(query)).all())


async def deviation_flags(session: AsyncSession, tender_id: uuid.UUID | None) -> list[JournalEvent]:
    """Expert deviation flags the evaluation records (`evaluation.deviation_flagged`), oldest first."""
    query = select(JournalEvent).where(JournalEvent.event_type == DEVIATION_EVENT).order_by(JournalEvent.seq)
    if tender_id is not None:
        query = query.where(JournalEvent.payload["tender"].astext == str(tender_id))
    return list((await session.scalars(query)).all())
