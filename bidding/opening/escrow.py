"""The escrow remedy (电子招标投标办法 Art 31): a quorum of custodians releases its shares of a bid's escrow key.

Each custodian opens its sealed share on its own machine and posts it with a signed statement binding the share's
SHA-256 to the bid; the statement goes into the journal, the share itself only until the bid is open.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.bids.models import BidEscrowShare
from bidding.opening import messages
from bidding.opening.access import PUBLIC
from bidding.opening.context import OpeningContext
from bidding.opening.decrypt import DecryptFailed
from bidding.opening.errors import ShareRefused, WindowClosed
from bidding.opening.models import EscrowRelease, OpenedBid
from bidding.opening.release import mark_opened, open_with
from bidding.opening.services import get_opening
from bidding.opening.states import OpenedStatus, OpeningStatus
from core.confidential import format_time
from core.db import db_now
from core.errors import Forbidden, NotFound
from core.identity.models import Certificate, Organization
from core.identity.principal import Principal
from core.journal import record_event
from signing.ca import public_key_sha256
from signing.shamir import Share, ShareError, combine_age_identity
from signing.statements import SignedStatement, StatementInvalid, verify_statement
from trading.tenders.models import Tender

RELEASE_TYPE = "sunbid.escrow-share-release/v1"


def release_payload(*, tender: str, bid: str, custodian: str, share: str) -> dict[str, Any]:
    """What a custodian signs: this share (by SHA-256) of this bid's escrow key, released for this tender."""
    digest = hashlib.sha256(share.strip().encode()).hexdigest()
    return {"type": RELEASE_TYPE, "tender": tender, "bid": bid, "custodian": custodian, "share_sha256": digest}


@dataclass(frozen=True)
class PendingShare:
    """A custodian's sealed share of one undecrypted bid, to open locally with its "custodian" identity."""

    bid_id: uuid.UUID
    lot: int
    bidder_name: str
    sealed: str
    released: bool


async def _custodian_tender(session: AsyncSession, principal: Principal, tender_id: uuid.UUID) -> Tender:
    tender = await session.get(Tender, tender_id)
    if tender is None:
        raise NotFound(f"tender {tender_id} does not exist")
    if principal.organization_id not in tender.custodian_org_ids:
        raise Forbidden("only the tender's escrow custodians release escrow shares")
    return tender


async def pending_shares(session: AsyncSession, principal: Principal, tender_id: uuid.UUID) -> list[PendingShare]:
    """The caller's sealed shares of every bid still undecrypted in the escrow period."""
    await _custodian_tender(session, principal, tender_id)
    opening = await get_opening(session, tender_id)
    if opening.status != OpeningStatus.ESCROW:
        return []
    rows = await session.execute(
        select(OpenedBid, BidEscrowShare)
        .join(BidEscrowShare, BidEscrowShare.bid_id == OpenedBid.bid_id)
        .where(
            OpenedBid.tender_id == tender_id,
            OpenedBid.status == OpenedStatus.UNDECRYPTED,
            BidEscrowShare.custodian_org_id == principal.organization_id,
        )
        .order_by(OpenedBid.lot_number, OpenedBid.bidder_name)
    )
    done = set(
        (
            await session.scalars(
                select(EscrowRelease.bid_id).where(EscrowRelease.custodian_org_id == principal.organization_id)
            )
        ).all()
    )
    return [
        PendingShare(
            row.bid_id,
            row.lot_number,
            row.bidder_name,
            base64.b64encode(share.sealed_share).decode(),
            row.bid_id in done,
        )
        for row, share in rows.all()
    ]


async def _verified(
    session: AsyncSession, ctx: OpeningContext, principal: Principal, text: str
) -> tuple[SignedStatement, dict[str, Any]]:
    try:
        statement = SignedStatement.from_json(text)
        payload = verify_statement(statement, [ctx.ca])
    except StatementInvalid as exc:
        raise ShareRefused(f"the signed statement does not verify: {exc.reason}") from exc
    found = await session.scalar(
        select(Certificate.id).where(
            Certificate.user_id == principal.user_id,
            Certificate.public_key_sha256 == public_key_sha256(statement.certificate),
            Certificate.revoked_at.is_(None),
        )
    )
    if found is None:
        raise ShareRefused("the statement is not signed with a certificate issued to you")
    return statement, payload


async def release_share(
    ctx: OpeningContext,
    session: AsyncSession,
    principal: Principal,
    tender_id: uuid.UUID,
    bid_id: uuid.UUID,
    share: str,
    statement_text: str,
) -> tuple[int, int, bool]:
    """Record one signed share release; at the quorum, rebuild the escrow key and open the bid.

    Returns (shares released, quorum, whether the bid is now open).
    """
    tender = await _custodian_tender(session, principal, tender_id)
    opening = await get_opening(session, tender_id, lock="share")
    now = await db_now(session)
    if opening.status != OpeningStatus.ESCROW or opening.escrow_closes_at is None or now >= opening.escrow_closes_at:
        raise WindowClosed("escrow shares are accepted only in the escrow period after the decryption window")
    statement, payload = await _verified(session, ctx, principal, statement_text)
    expected = release_payload(
        tender=str(tender_id), bid=str(bid_id), custodian=str(principal.organization_id), share=share
    )
    if payload != expected:
        raise ShareRefused("the statement does not sign this share of this bid for your organization")
    try:
        Share.decode(share)
    except ShareError as exc:
        raise ShareRefused(f"the share does not parse: {exc}") from exc
    row = await session.get(OpenedBid, bid_id, with_for_update=True)
    if row is None or row.tender_id != tender_id or row.status != OpenedStatus.UNDECRYPTED:
        raise ShareRefused("this bid is not waiting for the escrow remedy")
    exists = await session.scalar(
        select(EscrowRelease.id).where(
            EscrowRelease.bid_id == bid_id, EscrowRelease.custodian_org_id == principal.organization_id
        )
    )
    if exists is not None:
        raise ShareRefused("your organization has already released its share of this bid")
    text = statement.to_json()
    session.add(
        EscrowRelease(
            bid_id=bid_id,
            custodian_org_id=principal.organization_id,
            released_by=principal.user_id,
            statement=text,
            share=share.strip(),
        )
    )
    await session.flush()
    await record_event(
        session,
        "escrow.share_released",
        {"tender": str(tender_id), "bid": str(bid_id), "custodian": str(principal.organization_id), "statement": text},
        actor=principal.actor,
        subject_id=bid_id,
    )
    releases = list((await session.scalars(select(EscrowRelease).where(EscrowRelease.bid_id == bid_id))).all())
    org = await session.get(Organization, principal.organization_id)
    await messages.post(
        session,
        tender_id,
        "escrow.share_released",
        PUBLIC,
        {
            "bid": str(bid_id),
            "custodian_name": org.name if org else "",
            "released": len(releases),
            "quorum": tender.escrow_quorum,
        },
    )
    if len(releases) < tender.escrow_quorum:
        return len(releases), tender.escrow_quorum, False
    opened = await _rebuild_and_open(ctx, session, row, [r.share or "" for r in releases], now)
    if opened:
        for release in releases:
            release.share = None
    return len(releases), tender.escrow_quorum, opened


async def _rebuild_and_open(
    ctx: OpeningContext, session: AsyncSession, row: OpenedBid, shares: list[str], now: Any
) -> bool:
    try:
        identity = combine_age_identity(shares)
        opened = await open_with(ctx, session, row, identity)
    except (ShareError, DecryptFailed) as exc:
        reason = exc.reason if isinstance(exc, DecryptFailed) else str(exc)
        row.evidence = f"{row.evidence or ''}; escrow quorum at {format_time(now)} could not open it: {reason}".lstrip(
            "; "
        )
        await record_event(
            session,
            "opening.escrow_failed",
            {"tender": str(row.tender_id), "bid": str(row.bid_id), "reason": reason},
            subject_id=row.bid_id,
        )
        return False
    del identity
    await mark_opened(
        session, row, opened, OpenedStatus.ESCROW_OPENED, now, {"ip": None, "user_agent": None, "fingerprint": None}
    )
    return True
