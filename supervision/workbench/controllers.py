"""HTTP endpoints of the regulator workbench (JSON); every one is for regulators only."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.di import Provide
from litestar.params import Parameter

from core.identity.principal import Principal
from core.identity.roles import Role
from core.journal import JournalEvent
from core.oplog import OperationLogEntry, RuleAlert
from core.web import UnitOfWork, principal_dependency, requires
from supervision.signals.models import RiskSignal
from supervision.signals.services import list_signals
from supervision.workbench import accountability, services
from supervision.workbench.models import AccountabilityRecord
from supervision.workbench.schemas import (
    AccountabilityIn,
    AccountabilityOut,
    EventOut,
    LogEntryOut,
    SignalOut,
    TenderRowOut,
    TrailOut,
)

Limit = Annotated[int, Parameter(ge=1, le=5000)]
RuleNumber = Annotated[int | None, Parameter(ge=1, le=1000)]


def log_filter(
    tender: uuid.UUID | None = None,
    user: uuid.UUID | None = None,
    organization: uuid.UUID | None = None,
    rule: RuleNumber = None,
    since: date | None = None,
    until: date | None = None,
) -> services.LogFilter:
    """The query filters the alert log and the operation log share."""
    return services.LogFilter(tender, user, organization, rule, since, until)


LOG_FILTER = {"flt": Provide(log_filter, sync_to_thread=False)}


def event_out(event: JournalEvent) -> EventOut:
    """A journal event for the trail."""
    return EventOut(
        id=event.id,
        event_type=event.event_type,
        recorded_at=event.recorded_at,
        actor_user_id=event.actor_user_id,
        organization_id=event.organization_id,
        subject_id=event.subject_id,
        payload=event.payload,
        payload_sha256=event.payload_sha256.hex(),
    )


def log_out(row: OperationLogEntry | RuleAlert) -> LogEntryOut:
    """An operation-log row or a rule alert."""
    extra = {"code": row.code, "detail": row.detail} if isinstance(row, RuleAlert) else {}
    return LogEntryOut(
        id=row.id,
        occurred_at=row.occurred_at,
        method=row.method,
        route=row.route,
        path=row.path,
        status=row.status,
        user_id=row.user_id,
        organization_id=row.organization_id,
        ip=row.ip,
        user_agent=row.user_agent,
        tender_id=row.tender_id,
        subject_id=row.subject_id,
        rule=row.rule,
        **extra,
    )


def signal_out(row: RiskSignal) -> SignalOut:
    """A risk signal."""
    return SignalOut(
        id=row.id,
        tender_id=row.tender_id,
        lot=row.lot,
        kind=row.kind,
        rule=row.rule,
        bidder_org_ids=list(row.bidder_org_ids),
        evidence=row.evidence,
        raised_at=row.raised_at,
    )


def record_out(row: AccountabilityRecord) -> AccountabilityOut:
    """An accountability record."""
    return AccountabilityOut(
        id=row.id,
        kind=row.kind,
        target_org_id=row.target_org_id,
        target_user_id=row.target_user_id,
        tender_id=row.tender_id,
        case_id=row.case_id,
        rule=row.rule,
        reason=row.reason,
        until=row.until,
        issued_by=row.issued_by,
        issuer_org_id=row.issuer_org_id,
        issued_at=row.issued_at,
        event_id=row.event_id,
        event_sha256=row.event_sha256,
    )


class WorkbenchController(Controller):
    """What a regulator watches: trails, alerts, the Art 49 log, rule-51 signals, deviations, sanctions."""

    path = "/api/supervision"
    tags = ["supervision"]  # noqa: RUF012 (Litestar reads this class attribute)
    guards = [requires(Role.REGULATOR)]  # noqa: RUF012 (Litestar reads this class attribute)
    dependencies = {"principal": Provide(principal_dependency, sync_to_thread=False)}  # noqa: RUF012

    @get("/tenders", summary="Every published tender with open cases, cards, signals and contract holds")
    async def tenders(self, uow: UnitOfWork) -> list[TenderRowOut]:
        """Newest first."""
        async with uow.read() as session:
            rows = await services.tender_summaries(session)
        return [
            TenderRowOut(
                id=r.tender.id,
                title=r.tender.title,
                status=r.tender.status,
                legal_basis=r.tender.legal_basis,
                bid_deadline=r.tender.bid_deadline,
                open_cases=r.open_cases,
                cards=r.cards,
                signals=r.signals,
                contract_holds=r.contract_holds,
            )
            for r in rows
        ]

    @get("/tenders/{tender_id:uuid}/trail", summary="A tender's audit trail (no bid activity before the deadline)")
    async def trail(self, tender_id: uuid.UUID, uow: UnitOfWork) -> TrailOut:
        """Journal events in order."""
        async with uow.read() as session:
            tender, sealed, events = await services.audit_trail(session, tender_id)
        return TrailOut(
            tender_id=tender.id,
            status=tender.status,
            bid_deadline=tender.bid_deadline,
            sealed=sealed,
            events=[event_out(e) for e in events],
        )

    @get("/alerts", summary="Refused rule violations", dependencies=LOG_FILTER)
    async def alerts(
        self,
        *,
        uow: UnitOfWork,
        flt: services.LogFilter,
        limit: Limit = 500,
    ) -> list[LogEntryOut]:
        """Newest first; sealed traffic only after its tender's deadline, and never with its detail."""
        async with uow.read() as session:
            return [log_out(r) for r in await services.rule_alerts(session, flt, limit)]

    @get("/operation-log", summary="Operation log (电子招标投标办法 Art 49)", dependencies=LOG_FILTER)
    async def operation_log(
        self,
        *,
        uow: UnitOfWork,
        flt: services.LogFilter,
        limit: Limit = 500,
    ) -> list[LogEntryOut]:
        """Every state-changing request with time, IP and user; bid traffic only after its deadline."""
        async with uow.read() as session:
            return [log_out(r) for r in await services.operation_log(session, flt, limit)]

    @get("/signals", summary="Rule-51 risk signals with evidence")
    async def signals(
        self, uow: UnitOfWork, tender: uuid.UUID | None = None, kind: str | None = None
    ) -> list[SignalOut]:
        """Raised from the opening's events, so none exist before the opening."""
        async with uow.read() as session:
            return [signal_out(s) for s in await list_signals(session, tender, kind)]

    @get("/deviations", summary="Expert deviation flags from the evaluation")
    async def deviations(self, uow: UnitOfWork, tender: uuid.UUID | None = None) -> list[EventOut]:
        """`evaluation.deviation_flagged` events as the evaluation records them."""
        async with uow.read() as session:
            return [event_out(e) for e in await services.deviation_flags(session, tender)]

    @get("/accountability", summary="Accountability records")
    async def records(
        self,
        uow: UnitOfWork,
        organization: uuid.UUID | None = None,
        kind: Literal["warning", "expert_suspension", "debarment"] | None = None,
    ) -> list[AccountabilityOut]:
        """Newest first."""
        async with uow.read() as session:
            return [record_out(r) for r in await accountability.list_records(session, organization, kind)]

    @post("/accountability", summary="Issue a warning, expert suspension or debarment")
    async def issue(self, data: AccountabilityIn, uow: UnitOfWork, principal: Principal) -> AccountabilityOut:
        """Journaled; a debarment makes bid submission refuse the party until `until`."""
        async with uow() as session:
            record = await accountability.issue_record(
                session,
                principal,
                kind=data.kind,
                target_org_id=data.target_org_id,
                target_user_id=data.target_user_id,
                tender_id=data.tender_id,
                case_id=data.case_id,
                rule=data.rule,
                reason=data.reason,
                until=data.until,
            )
            return record_out(record)
