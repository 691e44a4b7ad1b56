"""Key release and decryption: a bidder releases its per-tender identity in the window and each of its sealed bids
that the identity opens is decrypted, checked against the bid it was sealed in, and read to that bidder alone.

Locks as in services.py: the opening row FOR SHARE, then only the releasing bidder's rows.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.bids.models import Bid
from bidding.opening import messages
from bidding.opening.access import PUBLIC, bidder_audience
from bidding.opening.context import OpeningContext
from bidding.opening.decrypt import DecryptFailed, Opened
from bidding.opening.errors import WindowClosed, WrongIdentity
from bidding.opening.models import OpenedBid
from bidding.opening.services import get_opening, opened_bids
from bidding.opening.states import READABLE, Cause, OpenedStatus, OpeningStatus, bid_transition
from core.confidential import format_time
from core.db import db_now
from core.identity.principal import Principal
from core.journal import record_event
from signing.envelope import InvalidKey, recipient_of
from signing.sealed_bid import OpeningSheet

B = OpenedStatus


def _sheet(opened: Opened) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    files = [{"name": f["name"], "sha256": f["sha256"]} for f in opened.manifest.get("files", [])]
    return OpeningSheet.from_manifest(opened.manifest).as_json(), files


def _check_manifest(row: OpenedBid, manifest: dict[str, Any]) -> None:
    if (manifest.get("tender"), manifest.get("lot"), manifest.get("bidder")) != (
        str(row.tender_id),
        row.lot_number,
        str(row.bidder_org_id),
    ):
        raise DecryptFailed("the manifest names another tender, lot or bidder than the bid it was sealed in")


async def open_with(ctx: OpeningContext, session: AsyncSession, row: OpenedBid, identity: str) -> Opened:
    """Decrypt one bid in the process pool and check that its manifest belongs to this very bid."""
    bid = await session.get(Bid, row.bid_id)
    if bid is None:
        raise DecryptFailed("the bid row vanished")
    opened = await ctx.decryptor.open(ctx.blobs.path_of(bid.ciphertext_sha256), identity, ctx.package_path(row.bid_id))
    _check_manifest(row, opened.manifest)
    return opened


async def mark_opened(
    session: AsyncSession, row: OpenedBid, opened: Opened, target: OpenedStatus, now: datetime, client: dict[str, Any]
) -> None:
    """Keep the sheet for 唱标 (not announced yet) and tell the bidder alone what was read from its bid."""
    row.status = bid_transition(OpenedStatus(row.status), target)
    row.sheet, row.files = _sheet(opened)
    row.opened_at = now
    row.opened_by = "escrow" if target is B.ESCROW_OPENED else "bidder"
    row.client = client
    await record_event(
        session,
        "opening.bid_decrypted",
        {"tender": str(row.tender_id), "bid": str(row.bid_id), "lot": row.lot_number, "by": row.opened_by},
        subject_id=row.bid_id,
    )
    await messages.post(
        session,
        row.tender_id,
        "bid.decrypted",
        bidder_audience(row.bidder_org_id),
        {"bid": str(row.bid_id), "lot": row.lot_number, "by": row.opened_by, "sheet": row.sheet},
    )


async def _progress(session: AsyncSession, tender_id: uuid.UUID) -> None:
    rows = [b for b in await opened_bids(session, tender_id) if b.status != B.UNOPENED]
    done = sum(1 for b in rows if OpenedStatus(b.status) in READABLE)
    await messages.post(session, tender_id, "decryption.progress", PUBLIC, {"decrypted": done, "total": len(rows)})


async def release_identity(
    ctx: OpeningContext,
    session: AsyncSession,
    principal: Principal,
    tender_id: uuid.UUID,
    identity: str,
    client: dict[str, Any],
) -> list[OpenedBid]:
    """A bidder releases its per-tender identity in the window; every sealed bid of its that it opens is opened."""
    opening = await get_opening(session, tender_id, lock="share")
    now = await db_now(session)
    if opening.status != OpeningStatus.DECRYPTING or now >= opening.window_closes_at:
        raise WindowClosed(f"the decryption window closed at {format_time(opening.window_closes_at)}")
    try:
        recipient = recipient_of(identity)
    except InvalidKey as exc:
        raise WrongIdentity("the released value is not an age X25519 identity") from exc
    # Only this bidder's rows are locked, and every decryption precedes the first hall message (whose seq lock
    # serializes the tender): different bidders' releases decrypt in parallel.
    mine = await session.scalars(
        select(OpenedBid)
        .where(
            OpenedBid.tender_id == tender_id,
            OpenedBid.bidder_org_id == principal.organization_id,
            OpenedBid.status == B.SEALED,
        )
        .order_by(OpenedBid.lot_number, OpenedBid.bid_id)
        .with_for_update()
    )
    matching = []
    for row in mine:
        bid = await session.get(Bid, row.bid_id)
        if bid is not None and bid.recipient == recipient:
            matching.append(row)
    if not matching:
        raise WrongIdentity("the identity matches none of your sealed bids' committed recipients")
    outcomes: list[tuple[OpenedBid, Opened | DecryptFailed]] = []
    for row in matching:
        await record_event(
            session,
            "opening.identity_released",
            {"tender": str(tender_id), "bid": str(row.bid_id), "recipient": recipient, "client": client},
            actor=principal.actor,
            subject_id=row.bid_id,
        )
        try:
            outcomes.append((row, await open_with(ctx, session, row, identity)))
        except DecryptFailed as exc:
            outcomes.append((row, exc))
    for row, opened in outcomes:
        if isinstance(opened, DecryptFailed):
            row.evidence = f"released identity {recipient} at {format_time(now)}; decryption failed: {opened.reason}"
            row.cause = Cause.BIDDER
            await messages.post(
                session,
                tender_id,
                "bid.decrypt_failed",
                bidder_audience(row.bidder_org_id),
                {"bid": str(row.bid_id), "reason": opened.reason},
            )
            continue
        await mark_opened(session, row, opened, B.DECRYPTED, now, client)
    await _progress(session, tender_id)
    return matching
