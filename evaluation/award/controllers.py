"""HTTP for the award: candidates (public), decision, notice, contract and report to the regulator."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import Provide

from core.identity.principal import Principal
from core.identity.roles import Role
from core.schemas import LotNumber, Out, Strict
from core.web import UnitOfWork, principal_dependency, requires
from evaluation.award import services
from evaluation.award.models import Award
from evaluation.award.ocds import award_release
from signing.platform_signer import load_or_create_platform_signer

PARTY = requires(Role.AGENCY, Role.TENDEREE)


DEPENDENCIES = {"principal": Provide(principal_dependency, sync_to_thread=False)}


class DecisionIn(Strict):
    """The chosen rank; any rank but 1 needs a reason (rule 57)."""

    lot: LotNumber = 1
    rank: Annotated[int, msgspec.Meta(ge=1, le=3)] = 1
    reason: Annotated[str, msgspec.Meta(max_length=4000)] | None = None


class ContractIn(Strict):
    """The contract's outcome for a lot."""

    lot: LotNumber = 1
    signed: bool = True
    note: Annotated[str, msgspec.Meta(max_length=4000)] | None = None


class LotIn(Strict):
    """A lot number."""

    lot: LotNumber = 1


class AwardOut(Out):
    """One lot's award and its clocks."""

    id: uuid.UUID
    lot: int
    status: str
    candidates: list[dict[str, Any]]
    publicity_ends_at: datetime | None
    decision_due: datetime | None
    winner_id: uuid.UUID | None
    winner_rank: int | None
    decision_reason: str | None
    notified_at: datetime | None
    contract_due: datetime | None
    regulator_report_due: datetime | None
    overdue: list[str]


def award_out(a: Award) -> AwardOut:
    """An award as the API shows it."""
    return AwardOut(
        id=a.id,
        lot=a.lot_number,
        status=a.status,
        candidates=a.candidates,
        publicity_ends_at=a.publicity_ends_at,
        decision_due=a.decision_due,
        winner_id=a.winner_id,
        winner_rank=a.winner_rank,
        decision_reason=a.decision_reason,
        notified_at=a.notified_at,
        contract_due=a.contract_due,
        regulator_report_due=a.regulator_report_due,
        overdue=list(a.overdue),
    )


class AwardController(Controller):
    """/api/awards/{tender_id}."""

    path = "/api/awards/{tender_id:uuid}"
    tags = ["evaluation"]  # noqa: RUF012 (Litestar reads this class attribute)
    dependencies = DEPENDENCIES

    @get("/", summary="Candidates and award clocks (public)")
    async def awards(self, uow: UnitOfWork, tender_id: uuid.UUID) -> list[AwardOut]:
        """Published once the report is signed."""
        async with uow.read() as session:
            return [award_out(a) for a in await services.awards_of(session, tender_id)]

    @get("/ocds", summary="The result notice as an OCDS award release")
    async def ocds(self, request: Request[Any, Any, Any], uow: UnitOfWork, tender_id: uuid.UUID) -> dict[str, Any]:
        """Validated offline with libcoveocds in the tests."""
        async with uow.read() as session:
            notified = [a for a in await services.awards_of(session, tender_id) if a.notice]
        if not notified:
            from core.errors import NotFound

            raise NotFound(f"tender {tender_id} has no award notice yet")
        return award_release(notified[-1].notice or {}, str(request.base_url).rstrip("/"))

    @post("/decision", guards=[PARTY], status_code=200, summary="Determine the winner")
    async def decide(self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID, data: DecisionIn) -> AwardOut:
        """After the publicity; rank 1 unless a recorded reason."""
        async with uow() as session:
            return award_out(await services.decide(session, principal, tender_id, data.lot, data.rank, data.reason))

    @post("/notice", guards=[PARTY], status_code=200, summary="Send the signed award notice to all at once")
    async def notice(
        self, request: Request[Any, Any, Any], uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID
    ) -> dict[str, Any]:
        """One signed notice; `award.notified` per lot; the 30-day contract clock starts."""
        settings = request.app.state.settings
        key, cert = load_or_create_platform_signer(settings.platform_key_dir / "statements", request.app.state.ca)
        async with uow() as session:
            return await services.notify(session, principal, tender_id, key, cert)

    @post("/contract", guards=[PARTY], status_code=200, summary="Record the contract's outcome")
    async def contract(self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID, data: ContractIn) -> AwardOut:
        """Signed releases the guarantees; refused claims the winner's."""
        async with uow() as session:
            return award_out(
                await services.record_contract(session, principal, tender_id, data.lot, data.signed, data.note)
            )

    @post("/regulator-report", guards=[PARTY], status_code=200, summary="Report to the regulator (rule 62)")
    async def regulator_report(
        self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID, data: LotIn
    ) -> AwardOut:
        """Within 15 日 of the decision."""
        async with uow() as session:
            return award_out(await services.report_to_regulator(session, principal, tender_id, data.lot))
