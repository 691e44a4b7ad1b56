"""HTTP endpoints for cases: bidders file, agencies and tenderees answer, regulators handle, the public reads."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import Provide

from core.identity.principal import Principal
from core.identity.roles import Role
from core.settings import Settings
from core.web import UnitOfWork, principal_dependency, requires, seal_operation, signed_in
from supervision.cases.models import Case
from supervision.cases.schemas import (
    AnswerIn,
    CaseIn,
    CaseOut,
    DecisionIn,
    DecisionOut,
    PauseIn,
    PauseOut,
    ReasonIn,
    ReplyIn,
)
from supervision.cases.services import access, filing, handling, proceedings
from supervision.cases.states import CaseKind, CaseStatus
from supervision.clocks.models import ClockPause

bidders = requires(Role.BIDDER)
respondents = requires(Role.AGENCY, Role.TENDEREE)
regulators = requires(Role.REGULATOR)


def case_out(case: Case) -> CaseOut:
    """The API view of a case."""
    return CaseOut(
        id=case.id,
        kind=case.kind,
        matter=case.matter,
        tender_id=case.tender_id,
        complainant_org_id=case.complainant_org_id,
        respondent_org_id=case.respondent_org_id,
        prior_case_id=case.prior_case_id,
        title=case.title,
        grounds=case.grounds,
        known_on=case.known_on,
        filed_at=case.filed_at,
        status=case.status,
        answer_due_at=case.answer_due_at,
        answer=case.answer,
        answered_at=case.answered_at,
        acceptance_due_at=case.acceptance_due_at,
        accepted_at=case.accepted_at,
        rejection_reason=case.rejection_reason,
        decision_due_at=case.decision_due_at,
        outcome=case.outcome,
        decision=case.decision,
        decided_at=case.decided_at,
        published_at=case.published_at,
        holds_suspension=case.holds_suspension,
        holds_contract_lock=case.holds_contract_lock,
        papers_due_at=case.papers_due_at,
        papers_sent_at=case.papers_sent_at,
        reply_due_at=case.reply_due_at,
        reply=case.reply,
        replied_at=case.replied_at,
    )


def pause_out(pause: ClockPause) -> PauseOut:
    """The API view of a clock pause."""
    return PauseOut(
        id=pause.id,
        clock_id=pause.clock_id,
        kind=pause.kind,
        reason=pause.reason,
        started_at=pause.started_at,
        ended_at=pause.ended_at,
        excluded_days=pause.excluded_days,
        due_before=pause.due_before,
        due_after=pause.due_after,
    )


def decision_out(case: Case, *, name_complainant: bool) -> DecisionOut:
    """The public view of a published decision; the complainant is named only once bidding has closed."""
    if case.outcome is None or case.decision is None or case.decided_at is None or case.published_at is None:
        raise ValueError(f"case {case.id} has no published decision")
    return DecisionOut(
        id=case.id,
        tender_id=case.tender_id,
        complainant_org_id=case.complainant_org_id if name_complainant else None,
        regulator_org_id=case.respondent_org_id,
        matter=case.matter,
        title=case.title,
        outcome=case.outcome,
        decision=case.decision,
        decided_at=case.decided_at,
        published_at=case.published_at,
    )


class CaseController(Controller):
    """Objections, challenges, inquiries and complaints (rules 7-8, 30, 32, 56, 63-67)."""

    path = "/api/cases"
    tags = ["cases"]  # noqa: RUF012 (Litestar reads this class attribute)
    dependencies = {"principal": Provide(principal_dependency, sync_to_thread=False)}  # noqa: RUF012

    @post("/", guards=[bidders], summary="File an objection, challenge, inquiry or complaint")
    async def file(
        self, request: Request[Any, Any, Any], data: CaseIn, uow: UnitOfWork, settings: Settings, principal: Principal
    ) -> CaseOut:
        """Refused outside its statutory window or without the objection or challenge it needs first."""
        seal_operation(request, data.tender_id)
        async with uow() as session:
            return case_out(await filing.file_case(session, settings, principal, data))

    @get("/", guards=[signed_in], summary="Cases the caller may see")
    async def list_cases(
        self,
        uow: UnitOfWork,
        principal: Principal,
        tender: uuid.UUID | None = None,
        kind: CaseKind | None = None,
        status: CaseStatus | None = None,
    ) -> list[CaseOut]:
        """The complainant's own, the tender parties', or (for regulators) all."""
        async with uow.read() as session:
            return [case_out(c) for c in await access.list_cases(session, principal, tender, kind, status)]

    @get("/decisions", summary="Published complaint decisions (public)")
    async def decisions(self, uow: UnitOfWork, tender: uuid.UUID | None = None) -> list[DecisionOut]:
        """Anyone may read a published decision."""
        async with uow.read() as session:
            decisions = await access.published_decisions(session, tender)
            return [decision_out(case, name_complainant=closed) for case, closed in decisions]

    @get("/{case_id:uuid}", guards=[signed_in], summary="One case")
    async def read(self, case_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> CaseOut:
        """404 for anyone who may not know it exists."""
        async with uow.read() as session:
            return case_out(await access.readable_case(session, principal, case_id))

    @post("/{case_id:uuid}/answer", guards=[respondents], status_code=200, summary="Answer (agency or tenderee)")
    async def answer(self, case_id: uuid.UUID, data: AnswerIn, uow: UnitOfWork, principal: Principal) -> CaseOut:
        """Within 3 日 (rules 7, 56), 3 工作日 (rule 65) or 7 工作日 (rule 66)."""
        async with uow() as session:
            return case_out(await handling.answer_case(session, principal, case_id, data.answer))

    @post("/{case_id:uuid}/withdraw", guards=[bidders], status_code=200, summary="Withdraw (complainant)")
    async def withdraw(
        self, request: Request[Any, Any, Any], case_id: uuid.UUID, uow: UnitOfWork, principal: Principal
    ) -> CaseOut:
        """Clocks are cancelled and any suspension the case holds lifts; logged sealed, as the filing was."""
        async with uow() as session:
            if (tender_id := await access.case_tender(session, case_id)) is not None:
                seal_operation(request, tender_id)
            return case_out(await handling.withdraw_case(session, principal, case_id))

    @post("/{case_id:uuid}/accept", guards=[regulators], status_code=200, summary="Accept a complaint")
    async def accept(self, case_id: uuid.UUID, uow: UnitOfWork, settings: Settings, principal: Principal) -> CaseOut:
        """Within 3 工作日 (rule 64) or 5 工作日 (rule 67)."""
        async with uow() as session:
            return case_out(await handling.accept_complaint(session, settings, principal, case_id))

    @post("/{case_id:uuid}/reject", guards=[regulators], status_code=200, summary="Reject a complaint")
    async def reject(self, case_id: uuid.UUID, data: ReasonIn, uow: UnitOfWork, principal: Principal) -> CaseOut:
        """Inadmissible or outside the regulator's authority, with the reason."""
        async with uow() as session:
            return case_out(await handling.reject_complaint(session, principal, case_id, data.reason))

    @post("/{case_id:uuid}/suspend", guards=[regulators], status_code=200, summary="Suspend the tender")
    async def suspend(
        self, case_id: uuid.UUID, data: ReasonIn, uow: UnitOfWork, settings: Settings, principal: Principal
    ) -> CaseOut:
        """Rules 64 and 67: the tender's stage refuses every action until lifted."""
        async with uow() as session:
            return case_out(await handling.order_suspension(session, settings, principal, case_id, data.reason))

    @post("/{case_id:uuid}/lift", guards=[regulators], status_code=200, summary="Lift the suspension")
    async def lift(self, case_id: uuid.UUID, data: ReasonIn, uow: UnitOfWork, principal: Principal) -> CaseOut:
        """Before the decision, with a reason."""
        async with uow() as session:
            return case_out(await handling.lift_case_suspension(session, principal, case_id, data.reason))

    @post("/{case_id:uuid}/contract-hold", guards=[regulators], status_code=200, summary="Hold contract signing")
    async def contract_hold(self, case_id: uuid.UUID, data: ReasonIn, uow: UnitOfWork, principal: Principal) -> CaseOut:
        """Rules 64 and 67: no contract is signed until the complaint is decided; the tender itself goes on."""
        async with uow() as session:
            return case_out(await handling.order_contract_hold(session, principal, case_id, data.reason))

    @post("/{case_id:uuid}/contract-release", guards=[regulators], status_code=200, summary="Release contract signing")
    async def contract_release(
        self, case_id: uuid.UUID, data: ReasonIn, uow: UnitOfWork, principal: Principal
    ) -> CaseOut:
        """Before the decision, with a reason."""
        async with uow() as session:
            return case_out(await handling.release_contract_hold(session, principal, case_id, data.reason))

    @post("/{case_id:uuid}/decide", guards=[regulators], status_code=200, summary="Decide and publish")
    async def decide(self, case_id: uuid.UUID, data: DecisionIn, uow: UnitOfWork, principal: Principal) -> CaseOut:
        """Within 30 工作日 (rules 64, 67); the decision is published and the suspension lifts."""
        async with uow() as session:
            return case_out(await handling.decide_complaint(session, principal, case_id, data.outcome, data.decision))

    @post("/{case_id:uuid}/papers-sent", guards=[regulators], status_code=200, summary="Record the papers sent")
    async def papers_sent(
        self, case_id: uuid.UUID, uow: UnitOfWork, settings: Settings, principal: Principal
    ) -> CaseOut:
        """Rule 67: within 8 工作日; the respondent's 5 工作日 reply clock starts."""
        async with uow() as session:
            return case_out(await proceedings.record_papers_sent(session, settings, principal, case_id))

    @post("/{case_id:uuid}/reply", guards=[respondents], status_code=200, summary="File the reply (respondent)")
    async def reply(self, case_id: uuid.UUID, data: ReplyIn, uow: UnitOfWork, principal: Principal) -> CaseOut:
        """Rule 67: within 5 工作日 of receiving the papers."""
        async with uow() as session:
            return case_out(await proceedings.record_reply(session, principal, case_id, data.reply))

    @get("/{case_id:uuid}/pauses", guards=[signed_in], summary="Excluded time on the case's clocks")
    async def pauses(self, case_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> list[PauseOut]:
        """Who may read the case may read its pauses."""
        async with uow.read() as session:
            await access.readable_case(session, principal, case_id)
            return [pause_out(p) for p in await proceedings.case_pauses(session, case_id)]

    @post("/{case_id:uuid}/pauses", guards=[regulators], summary="Start excluded time (pause the decision clock)")
    async def pause(self, case_id: uuid.UUID, data: PauseIn, uow: UnitOfWork, principal: Principal) -> PauseOut:
        """Rules 64, 67: testing, appraisal, expert review or supplementing do not count."""
        async with uow() as session:
            return pause_out(await proceedings.pause_decision(session, principal, case_id, data.kind, data.reason))

    @post("/{case_id:uuid}/pauses/end", guards=[regulators], status_code=200, summary="End excluded time")
    async def resume(self, case_id: uuid.UUID, uow: UnitOfWork, settings: Settings, principal: Principal) -> PauseOut:
        """The decision clock runs again, due later by the days excluded."""
        async with uow() as session:
            return pause_out(await proceedings.resume_decision(session, settings, principal, case_id))
