"""HTTP for the expert pool: CSV import, qualification check and suspension by the operator."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import Provide

from core.identity.principal import Principal
from core.identity.roles import Role
from core.web import UnitOfWork, principal_dependency, requires, signed_in
from evaluation.experts import services
from evaluation.experts.models import ExpertProfile
from evaluation.experts.schemas import ExpertOut, ImportOut, QualificationIn, SuspensionIn


def expert_out(p: ExpertProfile) -> ExpertOut:
    """The profile as the API shows it."""
    return ExpertOut(
        id=p.id,
        pool_number=p.pool_number,
        name=p.name,
        user_id=p.user_id,
        specialties=p.specialties,
        title=p.title,
        title_level=p.title_level,
        practice_since=p.practice_since,
        employer_name=p.employer_name,
        employer_credit_code=p.employer_credit_code,
        past_employers=p.past_employers,
        declared_relations=p.declared_relations,
        region=p.region,
        status=p.status,
        qualification=p.qualification,
        suspended_until=p.suspended_until,
        suspension_reason=p.suspension_reason,
        sanctioned_until=p.sanctioned_until,
        sanction_reason=p.sanction_reason,
    )


DEPENDENCIES = {"principal": Provide(principal_dependency, sync_to_thread=False)}
IMPORT_DESCRIPTION = (
    "Body: a CSV file (`Content-Type: text/csv`, UTF-8, Excel's BOM allowed) whose header names "
    + ", ".join(f"`{c}`" for c in services.CSV_COLUMNS)
    + ". `specialties` is `code;code`; `title_level` one of junior, intermediate, senior, full_senior; "
    "`practice_since` a date; "
    + services.CSV_COLUMNS_NOTE
    + " A row whose `pool_number` exists updates that expert; each new expert waits for the operator's "
    "qualification check (`POST /api/experts/{id}/qualification`) before any draw."
)
SIGNED_IN = [signed_in]


class ExpertController(Controller):
    """/api/experts: the pool (评标专家库)."""

    path = "/api/experts"
    tags = ["evaluation"]  # noqa: RUF012 (Litestar reads this class attribute)
    guards = SIGNED_IN
    dependencies = DEPENDENCIES

    @post(
        "/import",
        guards=[requires(Role.OPERATOR)],
        status_code=201,
        summary="Import experts from CSV",
        description=IMPORT_DESCRIPTION,
    )
    async def import_csv(self, request: Request[Any, Any, Any], uow: UnitOfWork, principal: Principal) -> ImportOut:
        """text/csv body; columns in evaluation.experts.services.CSV_COLUMNS."""
        text = services.decode_csv(await request.body())
        async with uow() as session:
            created, updated, profiles = await services.import_csv(session, principal, text)
            return ImportOut(created=created, updated=updated, experts=[p.id for p in profiles])

    @get("/", summary="The pool (operator, regulators)")
    async def list_experts(self, uow: UnitOfWork, principal: Principal) -> list[ExpertOut]:
        """Every profile."""
        async with uow.read() as session:
            return [expert_out(p) for p in await services.list_experts(session, principal)]

    @get("/me", summary="My expert profile")
    async def me(self, uow: UnitOfWork, principal: Principal) -> ExpertOut:
        """The signed-in expert's profile."""
        async with uow.read() as session:
            return expert_out(await services.my_profile(session, principal))

    @get("/{expert_id:uuid}", summary="One expert")
    async def one(self, uow: UnitOfWork, principal: Principal, expert_id: uuid.UUID) -> ExpertOut:
        """The operator, regulators or the expert itself."""
        async with uow.read() as session:
            return expert_out(await services.get_expert(session, principal, expert_id))

    @post(
        "/{expert_id:uuid}/qualification",
        guards=[requires(Role.OPERATOR)],
        status_code=200,
        summary="Record the qualification check",
    )
    async def qualification(
        self, uow: UnitOfWork, principal: Principal, expert_id: uuid.UUID, data: QualificationIn
    ) -> ExpertOut:
        """Approve or reject after examining the documents."""
        async with uow() as session:
            documents = [msgspec.to_builtins(d) for d in data.documents]
            return expert_out(
                await services.check_qualification(
                    session, principal, expert_id, approved=data.approved, note=data.note, documents=documents
                )
            )

    @post("/{expert_id:uuid}/suspend", guards=[requires(Role.OPERATOR)], status_code=200, summary="Suspend")
    async def suspend(
        self, uow: UnitOfWork, principal: Principal, expert_id: uuid.UUID, data: SuspensionIn
    ) -> ExpertOut:
        """Out of every draw until reinstated or `until`."""
        async with uow() as session:
            return expert_out(await services.suspend(session, principal, expert_id, data.reason, data.until))

    @post("/{expert_id:uuid}/reinstate", guards=[requires(Role.OPERATOR)], status_code=200, summary="Reinstate")
    async def reinstate(self, uow: UnitOfWork, principal: Principal, expert_id: uuid.UUID) -> ExpertOut:
        """Back into the pool."""
        async with uow() as session:
            return expert_out(await services.reinstate(session, principal, expert_id))
