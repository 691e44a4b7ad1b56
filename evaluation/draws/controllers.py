"""HTTP for draws (agency), seats (experts) and published draw records (public)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, get, post
from litestar.di import Provide

from core.identity.principal import Principal
from core.identity.roles import Role
from core.web import UnitOfWork, principal_dependency, requires, signed_in
from evaluation.draws import seats, services
from evaluation.draws.models import Draw
from evaluation.draws.schemas import DrawIn, DrawOut, LeaveIn, SeatOut
from evaluation.draws.states import SeatStatus


def draw_out(d: Draw) -> DrawOut:
    """A round without the eligible list (published only with the record)."""
    return DrawOut(
        id=d.id,
        tender_id=d.tender_id,
        round=d.round,
        kind=d.kind,
        status=d.status,
        requested=d.requested,
        reserves=d.reserves,
        eligible_sha256=d.eligible_sha256,
        eligible_count=len(d.eligible),
        seed=d.seed,
        checkpoint_size=d.checkpoint_size,
        published_at=d.published_at,
    )


DEPENDENCIES = {"principal": Provide(principal_dependency, sync_to_thread=False)}


class DrawController(Controller):
    """/api/tenders/{id}/draws and /api/draws/{id}."""

    path = "/api"
    tags = ["evaluation"]  # noqa: RUF012 (Litestar reads this class attribute)
    dependencies = DEPENDENCIES

    @post("/tenders/{tender_id:uuid}/draws", guards=[requires(Role.AGENCY)], status_code=201, summary="Request a draw")
    async def request_draw(self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID, data: DrawIn) -> DrawOut:
        """Commit to the eligible list now; the seats follow the next ledger checkpoint."""
        async with uow() as session:
            row = await services.request_draw(
                session, principal, tender_id, data.specialties, data.reserves, data.representatives
            )
            return draw_out(row)

    @get("/tenders/{tender_id:uuid}/draws", guards=[signed_in], summary="A tender's draw rounds")
    async def list_draws(self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID) -> list[DrawOut]:
        """Commitments and seeds; names stay confidential (rule 39)."""
        async with uow.read() as session:
            return [draw_out(d) for d in await services.draws_of(session, principal, tender_id)]

    @post(
        "/draws/{draw_id:uuid}/complete",
        guards=[requires(Role.AGENCY, Role.OPERATOR)],
        status_code=200,
        summary="Seat the drawn experts once the seed exists",
    )
    async def complete(self, uow: UnitOfWork, principal: Principal, draw_id: uuid.UUID) -> DrawOut:
        """409 draw-seed-pending until a checkpoint covers the commitment (the chronograph also does this); 404 for
        another agency's draw."""
        async with uow() as session:
            return draw_out(await services.complete_draw_for(session, principal, draw_id))

    @get("/draws/{draw_id:uuid}/record", summary="The published draw record (after the result)")
    async def record(self, uow: UnitOfWork, draw_id: uuid.UUID) -> dict[str, Any]:
        """Inputs, commitment, checkpoint, seed and outcome: replay with `sunbid draw replay FILE`."""
        async with uow.read() as session:
            return await services.draw_record(session, draw_id)

    @get("/seats", guards=[requires(Role.EXPERT)], summary="My committee seats")
    async def my_seats(self, uow: UnitOfWork, principal: Principal) -> list[SeatOut]:
        """Invitations and seats of the signed-in expert."""
        async with uow.read() as session:
            return [
                SeatOut(
                    id=m.id,
                    tender_id=t.id,
                    tender_title=t.title,
                    seat=m.seat,
                    kind=m.kind,
                    specialty=m.specialty,
                    status=m.status,
                )
                for m, t in await seats.my_seats(session, principal)
            ]

    @post("/seats/{member_id:uuid}/accept", guards=[requires(Role.EXPERT)], status_code=200, summary="Accept")
    async def accept(self, uow: UnitOfWork, principal: Principal, member_id: uuid.UUID) -> dict[str, str]:
        """Confirm attendance."""
        async with uow() as session:
            member = await seats.accept_seat(session, principal, member_id)
            return {"id": str(member.id), "status": member.status}

    @post("/seats/{member_id:uuid}/decline", guards=[requires(Role.EXPERT)], status_code=200, summary="Decline")
    async def decline(
        self, uow: UnitOfWork, principal: Principal, member_id: uuid.UUID, data: LeaveIn
    ) -> dict[str, str]:
        """The seat is refilled from the reserve list, or by a new round drawn the same way (rule 40)."""
        async with uow() as session:
            member = await seats.leave_seat(session, principal, member_id, SeatStatus.DECLINED, data.reason)
            return {"id": str(member.id), "status": member.status}
