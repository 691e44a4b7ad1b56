"""Submit and withdraw sealed bids: verify the signed statement, stream the ciphertext durably, then commit in one
transaction that checks the deadline with the database clock under a share lock on the tender row.

Order of a submission (principle 6): stream and hash -> (fsync, rename, fsync dirs) while the batch reads its facts
and signs its receipts -> one transaction (deadline, version, shares, ledger commitment, time-stamped receipt), only
once every upload of the batch is on disk -> commit -> the receipt goes back. Submission runs on the
plain-SQL driver lane (bidding.bids.sql), its commit grouped with concurrent ones (bidding.bids.committer);
withdrawal, rare, stays on the ORM. A crash anywhere before the commit leaves no row (the sweep removes the blob);
after it, the bid and its receipt are both durable.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.bids import rules, sql
from bidding.bids.checks import check_escrow, open_for
from bidding.bids.committer import BidCommitter
from bidding.bids.envelope import Envelope, verified_statement
from bidding.bids.errors import BidNotFound, CiphertextMismatch, StatementRefused
from bidding.bids.models import Bid
from bidding.bids.platform import BidPlatform
from bidding.bids.states import BidStatus, withdrawal
from bidding.bids.storage import StagedUpload
from core.confidential import commit_confidential, format_time
from core.db import db_now
from core.errors import Conflict, NotFound, TooLarge
from core.identity.models import Certificate
from core.identity.principal import Principal
from signing.ca import public_key_sha256
from signing.receipts import issue_receipt
from signing.sealed_bid import WITHDRAWAL_RECEIPT_TYPE
from signing.statements import SignedStatement
from trading.tenders.models import Tender


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
    key = sql.slot_key((tender_id, lot_id, org))
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


FactsLookup = Callable[[sql.SubmissionKey], Awaitable[sql.SubmissionFacts | None]]
"""How a pre-check reads its facts: `sql.submission_facts` for one key, grouped with concurrent ones in the app."""


async def precheck_submission(facts_of: FactsLookup, principal: Principal, envelope: Envelope) -> None:
    """Everything that can be refused before a single byte of ciphertext is accepted (one statement)."""
    sub = envelope.submission
    if sub.bidder_id != principal.organization_id:
        raise StatementRefused("the statement's bidder is not your organization")
    facts = await facts_of(
        sql.SubmissionKey(
            sub.tender_id,
            sub.lot,
            principal.organization_id,
            principal.user_id,
            public_key_sha256(envelope.statement.certificate),
        )
    )
    if facts is None:
        raise NotFound(f"tender {sub.tender_id} does not exist")
    open_for(principal, facts, sub.lot)
    if not facts.signer_certified:
        raise StatementRefused("the statement is not signed with a certificate issued to you")
    check_escrow(facts, envelope.escrow)
    expected = facts.last_version + 1
    if sub.version != expected:
        raise Conflict(f"the statement's version is {sub.version}; your next version for this lot is {expected}")


async def _abandon(platform: BidPlatform, committer: BidCommitter, staging: asyncio.Future[StagedUpload]) -> None:
    """Stop an upload whose submission was refused, and drop what it wrote."""
    staging.cancel()
    await _drop(platform, committer, staging)


async def _drop(platform: BidPlatform, committer: BidCommitter, staging: asyncio.Future[StagedUpload]) -> None:
    """Once the staging has ended, remove its temp file, and the blob it published unless a committed bid names that
    ciphertext (an identical upload, a client's retry, may have committed meanwhile: the orphan sweep takes a blob
    that a bid committing just now leaves unnamed)."""
    outcome = (await asyncio.gather(staging, return_exceptions=True))[0]
    if not isinstance(outcome, StagedUpload):
        return
    if outcome.created and await committer.blob_in_use(outcome.sha256):
        return
    await platform.blobs.discard(outcome)


async def submit_bid(
    facts_of: FactsLookup,
    platform: BidPlatform,
    committer: BidCommitter,
    principal: Principal,
    envelope: Envelope,
    *,
    chunks: AsyncIterable[bytes],
    content_length: int | None = None,
) -> sql.NewBid:
    """Verify, stream, make durable, commit; the returned bid carries its receipt and is already committed.

    The upload starts streaming while the pre-check runs (its round trip would otherwise delay every byte); a
    refusal cancels it and removes what it wrote."""
    sub = envelope.submission
    if sub.size > platform.max_bytes or (content_length is not None and content_length > platform.max_bytes):
        raise TooLarge(f"a bid may be at most {platform.max_bytes} bytes on this platform")
    if content_length is not None and content_length != sub.size:
        raise CiphertextMismatch("the upload's length is not the size the statement signs")
    received: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    staging = asyncio.ensure_future(platform.blobs.stage(chunks, sub.size, publish_as=sub.sha256, received=received))
    try:
        await precheck_submission(facts_of, principal, envelope)
        await asyncio.wait([received, cast("asyncio.Future[Any]", staging)], return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        await _abandon(platform, committer, staging)
        raise
    if not received.done() or received.result() != sub.sha256:
        staged = await staging
        if (staged.sha256, staged.size) != (sub.sha256, sub.size):
            await platform.blobs.discard(staged)
            raise CiphertextMismatch("the uploaded bytes are not the ciphertext the statement signs (SHA-256 differs)")
    try:
        return await committer.commit(principal, envelope, durable=staging)
    except asyncio.CancelledError:
        raise  # the batch may still commit this bid: the blob stays, and the orphan sweep takes it if not
    except BaseException:
        await _drop(platform, committer, staging)
        raise


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
    bid.status = withdrawal(BidStatus(bid.status), bid.version)
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
