"""Submit and withdraw sealed bids: verify the signed statement, stream the ciphertext durably, then commit in one
transaction that checks the deadline with the database clock under a share lock on the tender row.

Order of a submission (principle 6): stage + fsync -> rename + fsync dirs -> one transaction (deadline, version,
shares, ledger commitment, time-stamped receipt) -> commit -> the receipt goes back. A crash anywhere before the
commit leaves no row (the sweep removes the blob); after it, the bid and its receipt are both durable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import AsyncIterable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.bids import rules
from bidding.bids.errors import BidNotFound, CiphertextMismatch, EscrowRefused, StatementRefused
from bidding.bids.models import Bid, BidEscrowShare
from bidding.bids.platform import BidPlatform
from bidding.bids.states import BidStatus, transition
from bidding.bids.views import escrow_recipients
from core.confidential import commit_confidential, format_time
from core.db import db_now
from core.errors import Conflict, NotFound, TooLarge
from core.identity.models import Certificate, Organization
from core.identity.principal import Principal
from signing.ca import public_key_sha256
from signing.receipts import issue_receipt
from signing.sealed_bid import parse_escrow_bundle
from signing.statements import SignedStatement, StatementInvalid, verify_statement
from trading.parties.standing import ensure_may_bid
from trading.tenders.models import Tender, TenderLot
from trading.tenders.services.access import readable_tender

Unit = Callable[[], AbstractAsyncContextManager[AsyncSession]]
RECEIPT_TYPE = "sunbid.bid-receipt/v1"
WITHDRAWAL_RECEIPT_TYPE = "sunbid.bid-withdrawal-receipt/v1"
MAX_SEALED_SHARE = 8 * 1024


@dataclass(frozen=True)
class Envelope:
    """The request's signed statement and escrow bundle, decoded but not yet checked against the database."""

    statement: SignedStatement
    payload: dict[str, Any]
    submission: rules.Submission
    escrow: dict[str, Any]


def _b64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise StatementRefused(f"{what} is not base64") from exc


def verified_statement(platform: BidPlatform, text: str | bytes) -> tuple[SignedStatement, dict[str, Any]]:
    """A statement whose signature, canonical form and certificate chain to the platform CA all check."""
    try:
        statement = SignedStatement.from_json(text)
        return statement, verify_statement(statement, platform.trust_roots)
    except StatementInvalid as exc:
        raise StatementRefused(f"the signed statement does not verify: {exc.reason}") from exc


def decode_envelope(platform: BidPlatform, statement_b64: str, escrow_b64: str) -> Envelope:
    """Header values -> a verified statement and an escrow bundle whose hash the statement signs."""
    statement, payload = verified_statement(platform, _b64(statement_b64, "the statement header"))
    submission = rules.parse_submission(payload)
    escrow_bytes = _b64(escrow_b64, "the escrow header")
    if hashlib.sha256(escrow_bytes).hexdigest() != submission.escrow_sha256:
        raise StatementRefused("the escrow shares are not the ones the statement signs (escrow_sha256 differs)")
    try:
        escrow = parse_escrow_bundle(escrow_bytes)
    except (ValueError, binascii.Error) as exc:
        raise EscrowRefused(f"escrow: {exc}") from exc
    return Envelope(statement, payload, submission, escrow)


async def _check_signer(session: AsyncSession, principal: Principal, statement: SignedStatement) -> None:
    """The statement's certificate is one the platform issued to this very user and has not revoked."""
    key_sha256 = public_key_sha256(statement.certificate)
    found = await session.scalar(
        select(Certificate.id).where(
            Certificate.user_id == principal.user_id,
            Certificate.public_key_sha256 == key_sha256,
            Certificate.revoked_at.is_(None),
        )
    )
    if found is None:
        raise StatementRefused("the statement is not signed with a certificate issued to you")


async def _check_escrow(session: AsyncSession, tender: Tender, escrow: dict[str, Any]) -> None:
    """One share per custodian of the tender, sealed to its registered recipient, with the tender's quorum."""
    if escrow["quorum"] != tender.escrow_quorum:
        raise EscrowRefused(f"escrow: the tender's quorum is {tender.escrow_quorum}")
    expected = {str(c.organization_id): c.recipient for c in await escrow_recipients(session, tender)}
    given = {s["custodian"]: s["recipient"] for s in escrow["shares"]}
    if len(given) != len(escrow["shares"]) or given != expected:
        raise EscrowRefused("escrow: one share per custodian, sealed to its recipient from GET /api/bids/escrow")
    if any(len(s["sealed"]) > MAX_SEALED_SHARE for s in escrow["shares"]):
        raise EscrowRefused("escrow: a sealed share is too large")


async def _open_lot(session: AsyncSession, principal: Principal, tender_id: uuid.UUID, lot: int) -> TenderLot:
    await readable_tender(session, principal, tender_id)
    row = await session.scalar(select(TenderLot).where(TenderLot.tender_id == tender_id, TenderLot.number == lot))
    if row is None:
        raise NotFound(f"tender {tender_id} has no lot {lot}")
    return row


async def _locked_tender(session: AsyncSession, tender_id: uuid.UUID) -> Tender:
    """Share lock: bids go in concurrently, but a deadline change (FOR UPDATE) waits for them and vice versa."""
    tender = await session.scalar(
        select(Tender)
        .where(Tender.id == tender_id)
        .with_for_update(read=True, of=Tender)
        .execution_options(populate_existing=True)
    )
    if tender is None:
        raise NotFound(f"tender {tender_id} does not exist")
    return tender


async def _serialize_bidder(session: AsyncSession, tender_id: uuid.UUID, lot_id: uuid.UUID, org: uuid.UUID) -> None:
    """One transaction at a time per bidder and lot, so versions stay gapless and one version stays live."""
    key = f"sunbid/bid/{tender_id}/{lot_id}/{org}"
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


async def _last_version(session: AsyncSession, tender_id: uuid.UUID, lot_id: uuid.UUID, org: uuid.UUID) -> int:
    value = await session.scalar(
        select(func.max(Bid.version)).where(Bid.tender_id == tender_id, Bid.lot_id == lot_id, Bid.bidder_org_id == org)
    )
    return int(value or 0)


async def precheck_submission(session: AsyncSession, principal: Principal, envelope: Envelope) -> None:
    """Everything that can be refused before a single byte of ciphertext is accepted."""
    sub = envelope.submission
    if sub.bidder_id != principal.organization_id:
        raise StatementRefused("the statement's bidder is not your organization")
    lot = await _open_lot(session, principal, sub.tender_id, sub.lot)
    tender = await _locked_tender(session, sub.tender_id)
    await ensure_may_bid(session, tender, principal.organization_id)
    rules.check_open(await db_now(session), tender.bid_deadline, tender.status)
    await _check_signer(session, principal, envelope.statement)
    await _check_escrow(session, tender, envelope.escrow)
    expected = await _last_version(session, tender.id, lot.id, principal.organization_id) + 1
    if sub.version != expected:
        raise Conflict(f"the statement's version is {sub.version}; your next version for this lot is {expected}")


async def submit_bid(
    unit: Unit,
    platform: BidPlatform,
    principal: Principal,
    envelope: Envelope,
    *,
    chunks: AsyncIterable[bytes],
    content_length: int | None = None,
) -> Bid:
    """Verify, stream, make durable, commit; the returned bid carries its receipt and is already committed."""
    sub = envelope.submission
    if sub.size > platform.max_bytes or (content_length is not None and content_length > platform.max_bytes):
        raise TooLarge(f"a bid may be at most {platform.max_bytes} bytes on this platform")
    if content_length is not None and content_length != sub.size:
        raise CiphertextMismatch("the upload's length is not the size the statement signs")
    async with unit() as session:
        await precheck_submission(session, principal, envelope)
    staged = await platform.blobs.stage(chunks, sub.size)
    if (staged.sha256, staged.size) != (sub.sha256, sub.size):
        await platform.blobs.discard(staged)
        raise CiphertextMismatch("the uploaded bytes are not the ciphertext the statement signs (SHA-256 differs)")
    created = await platform.blobs.publish(staged)
    try:
        async with unit() as session:
            bid = await _commit_submission(session, platform, principal, envelope)
    except BaseException:
        if created:
            await platform.blobs.remove(sub.sha256)
        raise
    return bid


async def _commit_submission(
    session: AsyncSession, platform: BidPlatform, principal: Principal, envelope: Envelope
) -> Bid:
    sub = envelope.submission
    tender = await _locked_tender(session, sub.tender_id)
    await ensure_may_bid(session, tender, principal.organization_id)
    now = await db_now(session)
    rules.check_open(now, tender.bid_deadline, tender.status)
    lot = await _open_lot(session, principal, tender.id, sub.lot)
    await _serialize_bidder(session, tender.id, lot.id, principal.organization_id)
    if sub.version != await _last_version(session, tender.id, lot.id, principal.organization_id) + 1:
        raise Conflict("another version of this bid was committed meanwhile; sign the next version and retry")
    live = await session.scalar(
        select(Bid)
        .where(
            Bid.tender_id == tender.id,
            Bid.lot_id == lot.id,
            Bid.bidder_org_id == principal.organization_id,
            Bid.status == BidStatus.SUBMITTED,
        )
        .with_for_update()
    )
    if live is not None:
        live.status = transition(BidStatus(live.status), BidStatus.SUPERSEDED)
        await session.flush()
    statement_text = envelope.statement.to_json()
    bid = Bid(
        id=uuid.uuid4(),
        tender_id=tender.id,
        lot_id=lot.id,
        lot_number=lot.number,
        bidder_org_id=principal.organization_id,
        submitted_by=principal.user_id,
        version=sub.version,
        status=BidStatus.SUBMITTED,
        ciphertext_sha256=sub.sha256,
        ciphertext_size=sub.size,
        recipient=sub.recipient,
        statement=statement_text,
        statement_sha256=hashlib.sha256(statement_text.encode()).hexdigest(),
        received_at=now,
        receipt_id=uuid.uuid4(),
        receipt="",
    )
    session.add(bid)
    for share in envelope.escrow["shares"]:
        session.add(
            BidEscrowShare(
                bid_id=bid.id,
                custodian_org_id=uuid.UUID(share["custodian"]),
                recipient=share["recipient"],
                sealed_share=base64.b64decode(share["sealed"]),
            )
        )
    await session.flush()
    org = await session.get(Organization, principal.organization_id)
    facts: dict[str, Any] = {
        "receipt": str(bid.receipt_id),
        "bid": str(bid.id),
        "tender": str(tender.id),
        "lot": str(lot.id),
        "lot_number": lot.number,
        "bidder": str(principal.organization_id),
        "bidder_name": org.name if org else "",
        "version": bid.version,
        "sha256": bid.ciphertext_sha256,
        "size": bid.ciphertext_size,
        "recipient": bid.recipient,
        "statement_sha256": bid.statement_sha256,
        "supersedes": str(live.id) if live is not None else None,
        "received_at": format_time(now),
    }
    commitment = await commit_confidential(
        session, tender.id, "bid.submitted", facts, actor=principal.actor, subject_id=bid.id
    )
    receipt = await issue_receipt(
        platform.signer,
        platform.tsa,
        {"type": RECEIPT_TYPE, **facts, "ledger_commitment": commitment.commitment.hex()},
    )
    bid.receipt = receipt.to_json()
    await session.flush()
    return bid


async def withdraw_bid(
    session: AsyncSession, platform: BidPlatform, principal: Principal, bid_id: uuid.UUID, statement_text: str
) -> Bid:
    """Rule 23: a live version may be withdrawn until the deadline, by a statement the bidder signs."""
    found = await session.get(Bid, bid_id)
    if found is None or found.bidder_org_id != principal.organization_id:
        raise BidNotFound()
    tender = await _locked_tender(session, found.tender_id)
    now = await db_now(session)
    rules.check_open(now, tender.bid_deadline, tender.status)
    await _serialize_bidder(session, found.tender_id, found.lot_id, found.bidder_org_id)
    bid = await session.scalar(
        select(Bid).where(Bid.id == bid_id).with_for_update().execution_options(populate_existing=True)
    )
    if bid is None:
        raise BidNotFound()
    statement, payload = verified_statement(platform, statement_text)
    rules.check_withdrawal(
        payload,
        {
            "bid": str(bid.id),
            "tender": str(bid.tender_id),
            "lot": bid.lot_number,
            "bidder": str(bid.bidder_org_id),
            "version": bid.version,
        },
    )
    await _check_signer(session, principal, statement)
    bid.status = transition(BidStatus(bid.status), BidStatus.WITHDRAWN)
    bid.withdrawn_at = now
    bid.withdrawal_statement = statement.to_json()
    facts: dict[str, Any] = {
        "bid": str(bid.id),
        "tender": str(bid.tender_id),
        "lot": str(bid.lot_id),
        "lot_number": bid.lot_number,
        "bidder": str(bid.bidder_org_id),
        "version": bid.version,
        "statement_sha256": hashlib.sha256(bid.withdrawal_statement.encode()).hexdigest(),
        "withdrawn_at": format_time(now),
    }
    commitment = await commit_confidential(
        session, bid.tender_id, "bid.withdrawn", facts, actor=principal.actor, subject_id=bid.id
    )
    receipt = await issue_receipt(
        platform.signer,
        platform.tsa,
        {"type": WITHDRAWAL_RECEIPT_TYPE, **facts, "ledger_commitment": commitment.commitment.hex()},
    )
    bid.withdrawal_receipt = receipt.to_json()
    await session.flush()
    return bid
