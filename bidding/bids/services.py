"""Submit and withdraw sealed bids: verify the signed statement, stream the ciphertext durably, then commit in one
transaction that checks the deadline with the database clock under a share lock on the tender row.

Order of a submission (principle 6): stage + fsync -> rename + fsync dirs -> one transaction (deadline, version,
shares, ledger commitment, time-stamped receipt) -> commit -> the receipt goes back. Submission runs on the
plain-SQL driver lane (bidding.bids.sql); withdrawal, rare, stays on the ORM. A crash anywhere before the
commit leaves no row (the sweep removes the blob); after it, the bid and its receipt are both durable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import AsyncIterable
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.bids import rules, sql
from bidding.bids.errors import BidNotFound, CiphertextMismatch, EscrowRefused, StatementRefused
from bidding.bids.models import Bid
from bidding.bids.platform import BidPlatform
from bidding.bids.states import BidStatus, transition
from core.confidential import commit_confidential, commit_confidential_on_driver, format_time
from core.db import DriverUnits, db_now
from core.errors import Conflict, NotFound, TooLarge
from core.identity.models import Certificate
from core.identity.principal import Principal
from signing.ca import public_key_sha256
from signing.receipts import issue_receipt
from signing.sealed_bid import parse_escrow_bundle
from signing.statements import SignedStatement, StatementInvalid, verify_statement
from trading.parties.standing import check_not_debarred
from trading.tenders.models import Tender
from trading.tenders.services.access import may_read
from trading.tenders.services.suspension import ensure_not_suspended

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


def _check_escrow(facts: sql.SubmissionFacts, escrow: dict[str, Any]) -> None:
    """One share per custodian of the tender, sealed to its registered recipient, with the tender's quorum."""
    if escrow["quorum"] != facts.escrow_quorum:
        raise EscrowRefused(f"escrow: the tender's quorum is {facts.escrow_quorum}")
    expected: dict[str, str] = {}
    for org_id, recipient in zip(facts.custodian_org_ids, facts.custodian_recipients, strict=True):
        if recipient is None:
            raise Conflict(f"custodian {org_id} has not registered an age recipient yet (sunbid keys init --age)")
        expected[str(org_id)] = recipient
    given = {s["custodian"]: s["recipient"] for s in escrow["shares"]}
    if len(given) != len(escrow["shares"]) or given != expected:
        raise EscrowRefused("escrow: one share per custodian, sealed to its recipient from GET /api/bids/escrow")
    if any(len(s["sealed"]) > MAX_SEALED_SHARE for s in escrow["shares"]):
        raise EscrowRefused("escrow: a sealed share is too large")


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


def _open_for(principal: Principal, tender: sql.SubmissionFacts | sql.LockedTender, lot: int) -> uuid.UUID:
    """The checks every submission passes twice (before the upload and when committing); the lot's id."""
    if not may_read(principal, tender):
        raise NotFound(f"tender {tender.id} does not exist")
    if tender.lot_id is None:
        raise NotFound(f"tender {tender.id} has no lot {lot}")
    ensure_not_suspended(tender)
    check_not_debarred(tender.debarred_until, tender.now)
    rules.check_open(tender.now, tender.bid_deadline, tender.status)
    return tender.lot_id


async def precheck_submission(lanes: DriverUnits, principal: Principal, envelope: Envelope) -> None:
    """Everything that can be refused before a single byte of ciphertext is accepted (one statement)."""
    sub = envelope.submission
    if sub.bidder_id != principal.organization_id:
        raise StatementRefused("the statement's bidder is not your organization")
    async with lanes.driver_read() as connection:
        facts = await sql.submission_facts(
            connection,
            sub.tender_id,
            sub.lot,
            principal.organization_id,
            principal.user_id,
            public_key_sha256(envelope.statement.certificate),
        )
    if facts is None:
        raise NotFound(f"tender {sub.tender_id} does not exist")
    _open_for(principal, facts, sub.lot)
    if not facts.signer_certified:
        raise StatementRefused("the statement is not signed with a certificate issued to you")
    _check_escrow(facts, envelope.escrow)
    expected = facts.last_version + 1
    if sub.version != expected:
        raise Conflict(f"the statement's version is {sub.version}; your next version for this lot is {expected}")


async def submit_bid(
    lanes: DriverUnits,
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
    await precheck_submission(lanes, principal, envelope)
    staged = await platform.blobs.stage(chunks, sub.size)
    if (staged.sha256, staged.size) != (sub.sha256, sub.size):
        await platform.blobs.discard(staged)
        raise CiphertextMismatch("the uploaded bytes are not the ciphertext the statement signs (SHA-256 differs)")
    created = await platform.blobs.publish(staged)
    try:
        async with lanes.driver() as connection:
            bid = await _commit_submission(connection, platform, principal, envelope)
    except BaseException:
        if created:
            await platform.blobs.remove(sub.sha256)
        raise
    return bid


async def _commit_submission(
    connection: asyncpg.Connection, platform: BidPlatform, principal: Principal, envelope: Envelope
) -> Bid:
    """The committing transaction in six plain statements: lock, serialize, supersede, ledger, receipt, insert."""
    sub = envelope.submission
    tender = await sql.lock_tender(connection, sub.tender_id, sub.lot, principal.organization_id)
    if tender is None:
        raise NotFound(f"tender {sub.tender_id} does not exist")
    lot_id = _open_for(principal, tender, sub.lot)
    await sql.serialize_bidder(connection, tender.id, lot_id, principal.organization_id)
    last_version, superseded = await sql.supersede_live(connection, tender.id, lot_id, principal.organization_id)
    if sub.version != last_version + 1:
        raise Conflict("another version of this bid was committed meanwhile; sign the next version and retry")
    if superseded is not None:
        transition(BidStatus.SUBMITTED, BidStatus.SUPERSEDED)
    statement_text = envelope.statement.to_json()
    bid = Bid(
        id=uuid.uuid4(),
        tender_id=tender.id,
        lot_id=lot_id,
        lot_number=sub.lot,
        bidder_org_id=principal.organization_id,
        submitted_by=principal.user_id,
        version=sub.version,
        status=BidStatus.SUBMITTED,
        ciphertext_sha256=sub.sha256,
        ciphertext_size=sub.size,
        recipient=sub.recipient,
        statement=statement_text,
        statement_sha256=hashlib.sha256(statement_text.encode()).hexdigest(),
        received_at=tender.now,
        receipt_id=uuid.uuid4(),
        receipt="",
    )
    facts: dict[str, Any] = {
        "receipt": str(bid.receipt_id),
        "bid": str(bid.id),
        "tender": str(tender.id),
        "lot": str(lot_id),
        "lot_number": sub.lot,
        "bidder": str(principal.organization_id),
        "bidder_name": tender.bidder_name or "",
        "version": bid.version,
        "sha256": bid.ciphertext_sha256,
        "size": bid.ciphertext_size,
        "recipient": bid.recipient,
        "statement_sha256": bid.statement_sha256,
        "supersedes": str(superseded) if superseded is not None else None,
        "received_at": format_time(tender.now),
    }
    commitment = await commit_confidential_on_driver(
        connection,
        tender.id,
        "bid.submitted",
        facts,
        recorded_at=tender.now,
        actor=principal.actor,
        subject_id=bid.id,
    )
    receipt = await issue_receipt(
        platform.signer,
        platform.tsa,
        {"type": RECEIPT_TYPE, **facts, "ledger_commitment": commitment.commitment.hex()},
    )
    bid.receipt = receipt.to_json()
    shares = [
        sql.EscrowShareRow(uuid.UUID(share["custodian"]), share["recipient"], base64.b64decode(share["sealed"]))
        for share in envelope.escrow["shares"]
    ]
    await sql.insert_bid(
        connection,
        {column: getattr(bid, column) for column in sql.BID_COLUMNS},
        shares,
    )
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
