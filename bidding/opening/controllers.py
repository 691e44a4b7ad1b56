"""HTTP endpoints of the opening; the websocket hall is in hall.py."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from litestar import Controller, Litestar, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter

from bidding.opening import context, escrow, objections, record, release, services, views
from bidding.opening.context import OpeningContext
from bidding.opening.decrypt import Decryptor
from bidding.opening.notify import HallHub, listen_dsn
from bidding.opening.schemas import (
    CauseIn,
    IdOut,
    MessageOut,
    OpenedBidOut,
    OpeningOut,
    PendingShareOut,
    ReleaseIn,
    ReleaseOut,
    SeqOut,
    ShareIn,
    ShareOut,
    StatementIn,
    TextIn,
)
from bidding.opening.states import Cause
from core.identity.principal import Principal
from core.identity.roles import Role
from core.schemas import BIGINT_MAX
from core.web import UnitOfWork, optional_principal_dependency, principal_dependency, requires, signed_in

PDF = "application/pdf"
MAX_RECORD_BYTES = 20 * 1024 * 1024
bidders = requires(Role.BIDDER)
agencies = requires(Role.AGENCY)


@asynccontextmanager
async def opening_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Decryption pool and hall hub for this process (after bids_lifespan: it needs the bid blob store)."""
    decryptor = Decryptor()
    settings = app.state.settings
    context.configure(
        OpeningContext(app.state.bid_platform.blobs, settings.blob_dir / "opened", decryptor, app.state.ca.certificate)
    )
    hub = HallHub(app.state.session_factory, listen_dsn(app.state.engine.url.render_as_string(hide_password=False)))
    app.state.hall_hub = hub
    await hub.start()
    try:
        yield
    finally:
        await hub.stop()
        decryptor.shutdown()


def _client(request: Request[Any, Any, Any]) -> dict[str, Any]:
    host = request.client.host if request.client else None
    return {"ip": host, "user_agent": request.headers.get("user-agent"), "fingerprint": None}


class OpeningController(Controller):
    """The opening (rules 24-30): state, key release, escrow, objections, the record."""

    path = "/api/openings/{tender_id:uuid}"
    tags = ["opening"]  # noqa: RUF012 (Litestar reads this class attribute)
    dependencies = {  # noqa: RUF012 (Litestar reads this class attribute)
        "principal": Provide(principal_dependency, sync_to_thread=False),
        "caller": Provide(optional_principal_dependency, sync_to_thread=False),
    }

    @get("/", summary="The opening's state, and the reading once made")
    async def show(self, tender_id: uuid.UUID, uow: UnitOfWork, caller: Principal | None) -> OpeningOut:
        """Public; sheets appear at the reading (a bidder sees its own once decrypted)."""
        async with uow.read() as session:
            opening, rows, _ = await views.opening_view(session, caller, tender_id)
        bids = [
            OpenedBidOut(
                bid=r.bid_id,
                lot=r.lot_number,
                bidder=r.bidder_org_id,
                bidder_name=r.bidder_name,
                status=r.status,
                price=(r.sheet or {}).get("price"),
                duration_days=(r.sheet or {}).get("duration_days"),
                quality=(r.sheet or {}).get("quality"),
                guarantee=r.guarantee,
                cause=r.cause if opening.announced_at else None,
            )
            for r in rows
        ]
        return OpeningOut(
            tender_id=tender_id,
            status=opening.status,
            started_at=opening.started_at,
            window_closes_at=opening.window_closes_at,
            escrow_closes_at=opening.escrow_closes_at,
            announced_at=opening.announced_at,
            published_at=opening.published_at,
            failed_lots=list(opening.failed_lots),
            bids=bids,
        )

    @get("/messages", summary="Hall messages after a seq (what the websocket would have sent)")
    async def hall_messages(
        self,
        tender_id: uuid.UUID,
        uow: UnitOfWork,
        caller: Principal | None,
        after: Annotated[int, Parameter(ge=0, le=BIGINT_MAX)] = 0,
    ) -> list[MessageOut]:
        """Catch-up by seq for the caller's seat."""
        async with uow.read() as session:
            rows = await views.visible_messages(session, caller, tender_id, after)
        return [MessageOut(m.seq, m.kind, m.audience, m.created_at, m.data) for m in rows]

    @post("/sign-in", guards=[bidders], status_code=200, summary="Sign in to the opening (attendance)")
    async def sign_in(self, tender_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> SeqOut:
        """Records the bidder's attendance."""
        async with uow() as session:
            count = await services.sign_in(session, principal, tender_id)
        return SeqOut(count)

    @post("/release", guards=[bidders], status_code=200, summary="Release your per-tender identity (decrypt)")
    async def release(
        self,
        tender_id: uuid.UUID,
        data: ReleaseIn,
        uow: UnitOfWork,
        principal: Principal,
        request: Request[Any, Any, Any],
    ) -> ReleaseOut:
        """Checked against the recipient committed at submission; decrypted in a worker process."""
        async with uow() as session:
            rows = await release.release_identity(
                context.current(), session, principal, tender_id, data.identity.strip(), _client(request)
            )
            out = [{"bid": str(r.bid_id), "lot": r.lot_number, "status": r.status} for r in rows]
        async with uow() as session:
            announced = await services.maybe_announce(session, tender_id)
        return ReleaseOut(out, announced)

    @post("/announcements", guards=[agencies], status_code=200, summary="The host speaks to the hall")
    async def announce(self, tender_id: uuid.UUID, data: TextIn, uow: UnitOfWork, principal: Principal) -> SeqOut:
        """The frame carries the time this request reached the server (stamp)."""
        stamp = time.time()
        async with uow() as session:
            seat = await views.seat_in(session, principal, tender_id)
            seq = await objections.host_announcement(session, principal, seat, tender_id, data.text, stamp)
        return SeqOut(seq)

    @post("/objections", guards=[bidders], status_code=201, summary="Raise an objection in the hall (rule 30)")
    async def object(self, tender_id: uuid.UUID, data: TextIn, uow: UnitOfWork, principal: Principal) -> IdOut:
        """Answered on the spot by the agency."""
        async with uow() as session:
            seat = await views.seat_in(session, principal, tender_id)
            row = await objections.raise_objection(session, principal, seat, tender_id, data.text)
        return IdOut(row.id)

    @post("/objections/{objection_id:uuid}/answer", guards=[agencies], status_code=200, summary="Answer an objection")
    async def answer(
        self, tender_id: uuid.UUID, objection_id: uuid.UUID, data: TextIn, uow: UnitOfWork, principal: Principal
    ) -> IdOut:
        """Recorded and read to the hall."""
        async with uow() as session:
            seat = await views.seat_in(session, principal, tender_id)
            await objections.answer_objection(session, principal, seat, tender_id, objection_id, data.text)
        return IdOut(objection_id)

    @post(
        "/bids/{bid_id:uuid}/cause", guards=[agencies], status_code=200, summary="Record a decryption failure's cause"
    )
    async def cause(
        self, tender_id: uuid.UUID, bid_id: uuid.UUID, data: CauseIn, uow: UnitOfWork, principal: Principal
    ) -> IdOut:
        """Rule 27: bidder -> revoked, platform or CA -> withdrawn, with evidence."""
        async with uow() as session:
            seat = await views.seat_in(session, principal, tender_id)
            if seat.role.value != "host":
                from core.errors import Forbidden

                raise Forbidden("only the tender's agency records causes")
            await services.record_cause(session, principal, tender_id, bid_id, Cause(data.cause), data.evidence)
        return IdOut(bid_id)

    @get("/escrow", guards=[signed_in], summary="Your sealed escrow shares of undecrypted bids (custodians)")
    async def pending(self, tender_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> list[PendingShareOut]:
        """Open each locally with your custodian identity."""
        async with uow.read() as session:
            rows = await escrow.pending_shares(session, principal, tender_id)
        return [PendingShareOut(r.bid_id, r.lot, r.bidder_name, r.sealed, r.released) for r in rows]

    @post("/escrow/{bid_id:uuid}", guards=[signed_in], status_code=200, summary="Release your escrow share of a bid")
    async def release_share(
        self, tender_id: uuid.UUID, bid_id: uuid.UUID, data: ShareIn, uow: UnitOfWork, principal: Principal
    ) -> ShareOut:
        """At the quorum the escrow key is rebuilt and opens the bid."""
        async with uow() as session:
            released, quorum, opened = await escrow.release_share(
                context.current(), session, principal, tender_id, bid_id, data.share, data.statement
            )
        announced = False
        if opened:
            async with uow() as session:
                announced = await services.maybe_announce(session, tender_id)
        return ShareOut(released, quorum, opened, announced)

    @get("/record.pdf", guards=[signed_in], media_type=PDF, summary="The rendered opening record, to sign")
    async def rendered(self, tender_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> Response[bytes]:
        """The unsigned record; the agency signs it locally (sunbid opening sign-record)."""
        del principal
        async with uow.read() as session:
            pdf = await record.render_record(session, tender_id)
        return Response(pdf, media_type=PDF)

    @post("/record", guards=[agencies], status_code=200, summary="Publish the agency-signed opening record")
    async def publish(
        self, tender_id: uuid.UUID, request: Request[Any, Any, Any], uow: UnitOfWork, principal: Principal
    ) -> IdOut:
        """Body: the PDF with the agency's PAdES signature appended."""
        body = await request.body()
        if len(body) > MAX_RECORD_BYTES:
            from core.errors import TooLarge

            raise TooLarge("the signed record is too large")
        async with uow() as session:
            await record.publish_signed_record(context.current(), session, principal, tender_id, body)
        return IdOut(tender_id)

    @get("/record", media_type=PDF, summary="The published, signed opening record (public)")
    async def published(self, tender_id: uuid.UUID, uow: UnitOfWork) -> Response[bytes]:
        """Anyone may download and verify it."""
        async with uow.read() as session:
            pdf = await record.published_record(session, tender_id)
        return Response(
            pdf, media_type=PDF, headers={"content-disposition": f'attachment; filename="opening-{tender_id}.pdf"'}
        )

    @post("/record/confirmations", guards=[bidders], status_code=201, summary="Confirm or dispute the record")
    async def confirm(self, tender_id: uuid.UUID, data: StatementIn, uow: UnitOfWork, principal: Principal) -> IdOut:
        """A signed statement naming the record's SHA-256 and a verdict."""
        async with uow() as session:
            row = await record.confirm_record(context.current(), session, principal, tender_id, data.statement)
        return IdOut(row.id)
