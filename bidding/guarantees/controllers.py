"""HTTP endpoints for guarantees: lodging a signed PDF, reading by role, the guarantor inbox and trusted roots."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide

from bidding.guarantees import offers, services, settlement
from bidding.guarantees.errors import NotAPdf
from bidding.guarantees.models import Guarantee, GuaranteeMessage, GuaranteeTrustRoot
from bidding.guarantees.schemas import GuaranteeOut, MessageOut, OpeningCheckOut, TrustRootIn, TrustRootOut
from core.identity.principal import Principal
from core.identity.roles import Role
from core.web import UnitOfWork, principal_dependency, requires, seal_operation, signed_in
from signing.ca import CertificateAuthority

PRINCIPAL = {"principal": Provide(principal_dependency, sync_to_thread=False)}
MAX_GUARANTEE_BYTES = 20 * 1024 * 1024
PDF = "application/pdf"


def guarantee_out(g: Guarantee) -> GuaranteeOut:
    """The API view of a guarantee."""
    return GuaranteeOut(
        id=g.id,
        tender_id=g.tender_id,
        lot_id=g.lot_id,
        bidder_id=g.bidder_id,
        guarantor_id=g.guarantor_id,
        number=g.number,
        amount=str(g.amount),
        currency=g.currency,
        valid_from=g.valid_from,
        valid_until=g.valid_until,
        signer_subject=g.signer_subject,
        timestamp_time=g.timestamp_time,
        pdf_sha256=g.pdf_sha256,
        status=g.status,
        status_reason=g.status_reason,
        opening_verified_at=g.opening_verified_at,
        data=g.data,
        created_at=g.created_at,
    )


def _message_out(m: GuaranteeMessage) -> MessageOut:
    return MessageOut(
        id=m.id,
        guarantee_id=m.guarantee_id,
        kind=m.kind,
        reason=m.reason,
        triggered_at=m.triggered_at,
        due_at=m.due_at,
        statement=m.statement,
        statement_sha256=m.statement_sha256,
        created_at=m.created_at,
        acknowledged_at=m.acknowledged_at,
    )


def _root_out(r: GuaranteeTrustRoot) -> TrustRootOut:
    return TrustRootOut(
        id=r.id,
        kind=r.kind,
        name=r.name,
        subject=r.subject,
        sha256=r.sha256,
        not_after=r.not_after,
        added_at=r.added_at,
    )


async def _answer(
    request: Request[Any, Any, Any], uow: UnitOfWork, principal: Principal, guarantee_id: uuid.UUID, *, accept: bool
) -> GuaranteeOut:
    """Answer an offer; the request is logged sealed under its tender, since it shows the bidder takes part."""
    async with uow() as session:
        guarantee = await offers.answer_offer(session, principal, guarantee_id, accept=accept)
    seal_operation(request, guarantee.tender_id)
    return guarantee_out(guarantee)


class GuaranteeController(Controller):
    """Guarantees lodged by bidders and guarantors, and the guarantor's inbox of releases and claims."""

    path = "/api/guarantees"
    tags = ["guarantees"]  # noqa: RUF012 (Litestar reads this class attribute)
    dependencies = PRINCIPAL

    @post(
        "/",
        guards=[requires(Role.BIDDER, Role.GUARANTOR)],
        request_max_body_size=MAX_GUARANTEE_BYTES,
        status_code=201,
        summary="Lodge a signed guarantee PDF (raw application/pdf body) for a tender lot",
    )
    async def lodge(
        self,
        request: Request[Any, Any, Any],
        tender_id: uuid.UUID,
        lot_id: uuid.UUID,
        uow: UnitOfWork,
        principal: Principal,
    ) -> GuaranteeOut:
        """Verified on arrival: signature to a trusted root at its time-stamp, then the data against the tender."""
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != PDF:
            raise NotAPdf(f"send the guarantee as the raw body with Content-Type: {PDF}, not {media_type or 'none'}")
        pdf = await request.body()
        ca: CertificateAuthority = request.app.state.ca
        async with uow() as session:
            guarantee = await services.lodge_guarantee(
                session, principal, tender_id=tender_id, lot_id=lot_id, pdf=pdf, platform_ca=ca.certificate
            )
        seal_operation(request, tender_id)
        return guarantee_out(guarantee)

    @get("/", guards=[requires(Role.BIDDER, Role.GUARANTOR)], summary="Guarantees my organization took out or issued")
    async def mine(self, uow: UnitOfWork, principal: Principal) -> list[GuaranteeOut]:
        """Bidders see their own; guarantors those they issued."""
        async with uow.read() as session:
            return [guarantee_out(g) for g in await services.list_mine(session, principal)]

    @get("/{guarantee_id:uuid}", guards=[signed_in], summary="One guarantee")
    async def show(self, guarantee_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> GuaranteeOut:
        """Its parties always; the tender's agency, tenderee and regulators after the bid deadline."""
        async with uow.read() as session:
            return guarantee_out(await services.get_guarantee(session, principal, guarantee_id))

    @get("/{guarantee_id:uuid}/pdf", guards=[signed_in], summary="The signed guarantee PDF", media_type=PDF)
    async def pdf(self, guarantee_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> Response[bytes]:
        """The exact bytes lodged, for anyone to verify independently."""
        async with uow.read() as session:
            guarantee = await services.get_guarantee(session, principal, guarantee_id, with_pdf=True)
        return Response(guarantee.pdf, media_type=PDF)

    @post(
        "/{guarantee_id:uuid}/accept",
        guards=[requires(Role.BIDDER)],
        status_code=200,
        summary="Accept a guarantee a guarantor lodged for my organization (bidder, before the deadline)",
    )
    async def accept(
        self, request: Request[Any, Any, Any], guarantee_id: uuid.UUID, uow: UnitOfWork, principal: Principal
    ) -> GuaranteeOut:
        """Only an accepted guarantee counts at the opening."""
        return await _answer(request, uow, principal, guarantee_id, accept=True)

    @post(
        "/{guarantee_id:uuid}/decline",
        guards=[requires(Role.BIDDER)],
        status_code=200,
        summary="Decline a guarantee a guarantor lodged for my organization (bidder, before the deadline)",
    )
    async def decline(
        self, request: Request[Any, Any, Any], guarantee_id: uuid.UUID, uow: UnitOfWork, principal: Principal
    ) -> GuaranteeOut:
        """A guarantee nobody applied for stays with nobody."""
        return await _answer(request, uow, principal, guarantee_id, accept=False)

    @get("/inbox", guards=[requires(Role.GUARANTOR)], summary="Releases and claims sent to my organization")
    async def inbox(self, uow: UnitOfWork, principal: Principal, pending: bool = False) -> list[MessageOut]:
        """Platform-signed 退保 and 索赔 statements, newest first."""
        async with uow.read() as session:
            messages = await settlement.inbox(session, principal, unacknowledged_only=pending)
        return [_message_out(m) for m in messages]

    @post(
        "/inbox/{message_id:uuid}/acknowledge",
        guards=[requires(Role.GUARANTOR)],
        status_code=200,
        summary="Acknowledge a release or claim",
    )
    async def acknowledge(self, message_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> MessageOut:
        """Record that the guarantor received the message."""
        async with uow() as session:
            return _message_out(await settlement.acknowledge(session, principal, message_id))


class TenderGuaranteeController(Controller):
    """A tender's guarantees, for the parties that run or supervise it, after the bid deadline only."""

    path = "/api/tenders/{tender_id:uuid}/guarantees"
    tags = ["guarantees"]  # noqa: RUF012 (Litestar reads this class attribute)
    dependencies = PRINCIPAL

    @get("/", guards=[requires(Role.AGENCY, Role.TENDEREE, Role.REGULATOR)], summary="A tender's guarantees")
    async def list_all(self, tender_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> list[GuaranteeOut]:
        """Refused with the same problem, whatever exists, until the bid deadline."""
        async with uow.read() as session:
            return [guarantee_out(g) for g in await services.list_for_tender(session, principal, tender_id)]

    @post(
        "/verify",
        guards=[requires(Role.AGENCY)],
        status_code=200,
        summary="Re-verify the tender's guarantees as the opening starts",
    )
    async def verify(
        self, tender_id: uuid.UUID, uow: UnitOfWork, principal: Principal, request: Request[Any, Any, Any]
    ) -> list[OpeningCheckOut]:
        """Each active guarantee is verified again; one that fails becomes invalid with its problem code."""
        ca: CertificateAuthority = request.app.state.ca
        async with uow() as session:
            await services.list_for_tender(session, principal, tender_id)
            results = await services.reverify_for_opening(session, tender_id, ca.certificate, principal.actor)
        return [OpeningCheckOut(guarantee_id=g.id, valid=f is None, problem=f.code if f else None) for g, f in results]


class TrustRootController(Controller):
    """Root certificates trusted for guarantor signatures: the operator manages them."""

    path = "/api/guarantee-roots"
    tags = ["guarantees"]  # noqa: RUF012 (Litestar reads this class attribute)
    dependencies = PRINCIPAL

    @post("/", guards=[requires(Role.OPERATOR)], status_code=201, summary="Trust a guarantor (or TSA) root")
    async def add(self, data: TrustRootIn, uow: UnitOfWork, principal: Principal) -> TrustRootOut:
        """Only CA certificates; adding the same root twice returns the existing one."""
        async with uow() as session:
            root = await services.add_trust_root(
                session, certificate_pem=data.certificate_pem, name=data.name, kind=data.kind, actor=principal.actor
            )
        return _root_out(root)

    @get("/", guards=[requires(Role.OPERATOR)], summary="Trusted guarantor roots")
    async def list_all(self, uow: UnitOfWork) -> list[TrustRootOut]:
        """Every trusted root, newest first."""
        async with uow.read() as session:
            return [_root_out(r) for r in await services.list_trust_roots(session)]
