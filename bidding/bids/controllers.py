"""HTTP endpoints for sealed bids: streaming submission, receipts, withdrawal, and post-deadline bid activity."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Litestar, Request, Response, get, post
from litestar.di import Provide
from litestar.params import HeaderParameter
from litestar.response import Stream

from bidding.bids import services, sql, views
from bidding.bids.committer import BidCommitter
from bidding.bids.envelope import decode_envelope
from bidding.bids.models import Bid
from bidding.bids.platform import BidPlatform, build_platform
from bidding.bids.schemas import BidOut, CustodianOut, EscrowOut, ReceiptOut, SweepOut, WithdrawIn, WithdrawOut
from bidding.bids.storage import PROCESS_STARTED
from core.db import driver_connection
from core.grouped import GroupedLookup, grouped_on_driver
from core.identity.principal import Principal
from core.identity.roles import Role
from core.web import UnitOfWork, principal_dependency, requires, seal_operation, signed_in

UPLOAD_CEILING = 1 << 40
"""Litestar's per-route body limit, raised for the upload only; the operator's cap is settings.max_bid_bytes."""
SWEEP_GRACE_SECONDS = 3600
bidders = requires(Role.BIDDER)


def platform_dependency(request: Request[Any, Any, Any]) -> BidPlatform:
    """The platform's bid keys and blob store, built at startup by bids_lifespan."""
    platform: BidPlatform = request.app.state.bid_platform
    return platform


@dataclass(frozen=True)
class SubmitDesk:
    """What the upload route needs, resolved as one dependency: Litestar resolves two or more side by side in an
    anyio task group, a cost every upload of a deadline rush pays (docs/benchmarks.md)."""

    facts: FactsDesk
    platform: BidPlatform
    committer: BidCommitter
    principal: Principal


FactsDesk = GroupedLookup[sql.SubmissionKey, sql.SubmissionFacts | None]


def submit_desk(request: Request[Any, Any, Any]) -> SubmitDesk:
    """The grouped pre-check reads, the bid platform, the group committer and the signed-in bidder."""
    return SubmitDesk(
        request.app.state.submission_facts,
        platform_dependency(request),
        request.app.state.bid_committer,
        principal_dependency(request),
    )


@asynccontextmanager
async def bids_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Load the receipt key and TSA, then sweep what a crash of an earlier process left behind."""
    platform = await asyncio.to_thread(build_platform, app.state.settings, app.state.ca)
    app.state.bid_platform = platform
    pool = app.state.driver_pool
    app.state.bid_committer = BidCommitter(platform, lambda: driver_connection(pool))
    app.state.submission_facts = grouped_on_driver(pool, sql.submission_facts)
    async with app.state.session_factory() as session:
        await views.sweep_orphans(session, platform.blobs, PROCESS_STARTED)
    try:
        yield
    finally:
        await app.state.bid_committer.close()


def bid_out(bid: Bid | sql.NewBid) -> BidOut:
    """The API view of one bid version."""
    return BidOut(
        id=bid.id,
        tender_id=bid.tender_id,
        lot=bid.lot_number,
        bidder_org_id=bid.bidder_org_id,
        version=bid.version,
        status=bid.status,
        sha256=bid.ciphertext_sha256,
        size=bid.ciphertext_size,
        recipient=bid.recipient,
        received_at=bid.received_at,
        receipt_id=bid.receipt_id,
        withdrawn_at=bid.withdrawn_at,
    )


class BidController(Controller):
    """Sealed bids (rules 21-23): nothing here tells anyone but the bidder that a bid exists before the deadline."""

    path = "/api/bids"
    tags = ["bids"]  # noqa: RUF012 (Litestar reads this class attribute)
    dependencies = {  # noqa: RUF012 (Litestar reads this class attribute)
        "principal": Provide(principal_dependency, sync_to_thread=False),
        "platform": Provide(platform_dependency, sync_to_thread=False),
    }

    @get("/escrow/{tender_id:uuid}", guards=[signed_in], summary="A tender's escrow quorum and custodian recipients")
    async def escrow(self, tender_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> EscrowOut:
        """Public keys only: seal one escrow share to each custodian."""
        async with uow.read() as session:
            tender, custodians = await views.escrow_info(session, principal, tender_id)
        return EscrowOut(
            tender_id=tender.id,
            quorum=tender.escrow_quorum,
            custodians=[
                CustodianOut(organization_id=c.organization_id, name=c.name, recipient=c.recipient) for c in custodians
            ],
        )

    @post(
        "/",
        guards=[bidders],
        request_max_body_size=UPLOAD_CEILING,
        status_code=201,
        dependencies={"desk": Provide(submit_desk, sync_to_thread=False)},
        summary="Submit a sealed bid version (raw age file body; bidder)",
    )
    async def submit(
        self,
        request: Request[Any, Any, Any],
        *,
        desk: SubmitDesk,
        statement: Annotated[
            str, HeaderParameter(name="sunbid-statement", description="base64 of the signed submission statement")
        ],
        escrow: Annotated[str, HeaderParameter(name="sunbid-escrow", description="base64 of the escrow share bundle")],
    ) -> ReceiptOut:
        """Streams the body (never held in memory), commits before the deadline, answers with the receipt."""
        envelope = decode_envelope(desk.platform, statement, escrow)
        seal_operation(request, envelope.submission.tender_id)
        length = request.headers.get("content-length")
        bid = await services.submit_bid(
            desk.facts.get,
            desk.platform,
            desk.committer,
            desk.principal,
            envelope,
            chunks=request.stream(),
            content_length=int(length) if length and length.isdigit() else None,
        )
        return ReceiptOut(bid=bid_out(bid), receipt=bid.receipt)

    @get("/", guards=[bidders], summary="My organization's bid versions (bidder)")
    async def mine(self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID | None = None) -> list[BidOut]:
        """Own bids only, whatever the tender."""
        async with uow.read() as session:
            rows = await views.own_bids(session, principal, tender_id)
        return [bid_out(b) for b in rows]

    @get("/{bid_id:uuid}", guards=[signed_in], summary="One bid version")
    async def show(self, bid_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> BidOut:
        """The same 404 for another bidder's bid as for an id that never existed."""
        async with uow.read() as session:
            return bid_out(await views.visible_bid(session, principal, bid_id))

    @get("/{bid_id:uuid}/receipt", guards=[signed_in], summary="The signed receipt, byte for byte")
    async def receipt(self, bid_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> Response[bytes]:
        """Save it as is: `sunbid receipt verify` checks every byte."""
        async with uow.read() as session:
            bid = await views.visible_bid(session, principal, bid_id)
        return Response(content=bid.receipt.encode(), media_type="application/json")

    @get("/{bid_id:uuid}/ciphertext", guards=[signed_in], summary="The sealed bid file (age)")
    async def ciphertext(
        self, bid_id: uuid.UUID, uow: UnitOfWork, platform: BidPlatform, principal: Principal
    ) -> Stream:
        """Still encrypted: readable only with the bidder's identity or a custodian quorum."""
        async with uow.read() as session:
            bid = await views.visible_bid(session, principal, bid_id)
        return Stream(
            platform.blobs.read(bid.ciphertext_sha256),
            media_type="application/octet-stream",
            headers={"X-Content-SHA256": bid.ciphertext_sha256},
        )

    @post("/{bid_id:uuid}/withdraw", guards=[bidders], status_code=200, summary="Withdraw a bid version (bidder)")
    async def withdraw(
        self, bid_id: uuid.UUID, data: WithdrawIn, uow: UnitOfWork, platform: BidPlatform, principal: Principal
    ) -> WithdrawOut:
        """Rule 23: until the deadline, with a signed withdrawal statement."""
        async with uow() as session:
            bid = await services.withdraw_bid(session, platform, principal, bid_id, data.statement)
        return WithdrawOut(bid=bid_out(bid), receipt=bid.withdrawal_receipt or "")

    @get(
        "/tenders/{tender_id:uuid}",
        guards=[requires(Role.AGENCY, Role.TENDEREE, Role.REGULATOR, Role.OPERATOR)],
        summary="A tender's bid activity (after the deadline only)",
    )
    async def activity(self, tender_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> list[BidOut]:
        """Refused identically for every tender before its deadline."""
        async with uow.read() as session:
            rows = await views.tender_bids(session, principal, tender_id)
        return [bid_out(b) for b in rows]

    @post("/maintenance/sweep", guards=[requires(Role.OPERATOR)], status_code=200, summary="Remove orphan uploads")
    async def sweep(self, uow: UnitOfWork, platform: BidPlatform) -> SweepOut:
        """Unfinished uploads and uncommitted blobs older than an hour (the startup sweep takes all older ones)."""
        async with uow.read() as session:
            await views.sweep_orphans(session, platform.blobs, time.time() - SWEEP_GRACE_SECONDS)
        return SweepOut(swept=True)
