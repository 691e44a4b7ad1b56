"""Group commit for sealed bids: submissions that finish uploading while a batch is being committed go together in
the next one (up to CONCURRENT_BATCHES in flight), so a deadline rush costs two statements and one WAL flush per
batch instead of a transaction per bid.

A bid joins the queue once its bytes are hashed, while its fsync is still under way. A batch reads its facts in
one statement (database time, tenders, lots, bidders, versions) and checks each bid on its own (deadline by the
database clock, suspension, debarment, version), refusing it alone. The valid ones get their records, commitments
and signed receipts in Python while the disk catches up (in a rush the uploads end together, and their fsyncs would
otherwise leave the CPU idle and then the signing leave the disk idle); then, once every upload of the batch is on
disk, one call of `sunbid_commit_bids` takes the locks, re-checks what could have changed meanwhile, and writes them
all in its own transaction, while the flusher already prepares the next batch. If the batch fails
(a change found by that re-check, or anything else), its bids are retried one by one, so a bad bid fails alone. A
bid's receipt goes back only after the statement that holds it has committed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bidding.bids import sql
from bidding.bids.checks import open_for
from bidding.bids.envelope import RECEIPT_TYPE, Envelope
from bidding.bids.platform import BidPlatform
from bidding.bids.states import BidStatus, transition
from core.confidential import ConfidentialAct, PreparedConfidential, format_time, prepare_confidential
from core.errors import Conflict, DomainError, NotFound
from core.grouped import Flushers
from core.identity.principal import Principal
from signing.receipts import issue_receipt

logger = logging.getLogger("sunbid.bids")
Lane = Callable[[], AbstractAsyncContextManager[asyncpg.Connection]]
BATCH_LIMIT = 128
CONCURRENT_BATCHES = 3
"""Batches in flight at once: while one waits on the database another fills (measured: 3 beats 1 and 6 in
bench/bid_ingest.py). `sunbid_commit_bids` takes its locks in one order (tenders by id, bidder keys sorted), so
batches cannot deadlock, and two bids of one bidder and lot still commit one after the other."""


@dataclass
class _Pending:
    principal: Principal
    envelope: Envelope
    done: asyncio.Future[sql.NewBid]
    durable: asyncio.Future[Any] | None
    tender: sql.CommitFacts | None = field(default=None)

    @property
    def key(self) -> tuple[uuid.UUID, int, uuid.UUID]:
        sub = self.envelope.submission
        return sub.tender_id, sub.lot, self.principal.organization_id


class BidCommitter:
    """One per process: `commit` queues a verified, durably stored upload and returns its committed bid."""

    def __init__(
        self,
        platform: BidPlatform,
        connection: Lane,
        batch_limit: int = BATCH_LIMIT,
        concurrency: int = CONCURRENT_BATCHES,
    ) -> None:
        self._platform = platform
        self._connection = connection
        self._batch_limit = batch_limit
        self._queue: list[_Pending] = []
        self._flushers = Flushers(concurrency)
        self._writers: set[asyncio.Task[None]] = set()

    async def commit(
        self, principal: Principal, envelope: Envelope, durable: asyncio.Future[Any] | None = None
    ) -> sql.NewBid:
        """The bid, committed with its receipt; the refusal of this bid alone if it fails its checks.

        `durable` is the upload's fsync and publication, still under way: the batch reads its facts and signs its
        receipts meanwhile, and writes no row before it is done (its failure refuses this bid alone)."""
        done: asyncio.Future[sql.NewBid] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(principal, envelope, done, durable))
        self._flushers.ensure(self._flush)
        return await asyncio.shield(done)

    async def close(self) -> None:
        """Let the batches under way finish (at shutdown)."""
        await self._flushers.wait()
        await asyncio.gather(*self._writers, return_exceptions=True)

    async def _flush(self) -> None:
        while self._queue:
            batch: list[_Pending] = []
            later: list[_Pending] = []
            keys: set[tuple[uuid.UUID, int, uuid.UUID]] = set()
            for pending in self._queue[: self._batch_limit]:
                (later if pending.key in keys else batch).append(pending)
                keys.add(pending.key)
            del self._queue[: self._batch_limit]
            self._queue[:0] = later
            try:
                ready = await self._prepare(batch)
            except Exception as exc:
                await self._fall_back(batch, exc)
                continue
            if ready is not None:
                writer = asyncio.create_task(self._write_when_durable(ready))
                self._writers.add(writer)
                writer.add_done_callback(self._writers.discard)

    async def _write_when_durable(self, ready: _Prepared) -> None:
        """The batch's write, once its uploads are on disk; meanwhile the flusher prepares the next batch."""
        try:
            await self._write(ready)
        except Exception as exc:
            await self._fall_back(ready.batch, exc)

    async def _fall_back(self, batch: list[_Pending], exc: Exception) -> None:
        """A failed batch: refuse a lone bid, or commit each bid again alone, so a bad one fails alone."""
        if len(batch) == 1:
            _refuse(batch[0], exc)
            return
        logger.warning("a batch of %d bids failed; committing them one by one", len(batch), exc_info=exc)
        for pending in batch:
            if not pending.done.done():
                pending.tender = None
                try:
                    ready = await self._prepare([pending])
                    if ready is not None:
                        await self._write(ready)
                except Exception as alone:
                    _refuse(pending, alone)

    def _checked(self, batch: list[_Pending], found: list[sql.CommitFacts | None]) -> list[_Pending]:
        """Check each bid against its facts; refuse the failures, keep the rest."""
        valid: list[_Pending] = []
        for pending, facts in zip(batch, found, strict=True):
            if facts is None:
                _refuse(pending, NotFound(f"tender {pending.key[0]} does not exist"))
                continue
            try:
                open_for(pending.principal, facts, pending.key[1])
            except DomainError as exc:
                _refuse(pending, exc)
                continue
            if facts.revealed:
                _refuse(pending, Conflict(f"tender {facts.id} is past its sealed period; no bid can be added"))
            elif pending.envelope.submission.version != facts.last_version + 1:
                _refuse(
                    pending,
                    Conflict("another version of this bid was committed meanwhile; sign the next version and retry"),
                )
            else:
                pending.tender = facts
                valid.append(pending)
        return valid

    async def _prepare(self, batch: list[_Pending]) -> _Prepared | None:
        """Read the batch's facts, refuse the bids that fail their checks, and make the rest's records,
        commitments and signed receipts in Python (no row is written yet); None when no bid is left."""
        async with self._connection() as connection:
            found = await sql.commit_facts(connection, [p.key for p in batch])
        batch = self._checked(batch, found)
        if not batch:
            return None
        bids, facts, expected = [], [], []
        for pending in batch:
            tender = _facts(pending)
            if tender.live_id is not None:
                transition(BidStatus.SUBMITTED, BidStatus.SUPERSEDED)
            bid, fact = _new_bid(pending, tender.live_id)
            bids.append(bid)
            facts.append(fact)
            expected.append(tender)
        confidential = prepare_confidential(
            [
                ConfidentialAct(
                    bid.tender_id,
                    "bid.submitted",
                    fact,
                    recorded_at=bid.received_at,
                    actor=pending.principal.actor,
                    subject_id=bid.id,
                )
                for pending, bid, fact in zip(batch, bids, facts, strict=True)
            ]
        )
        for bid, fact, commitment in zip(bids, facts, confidential.commitments, strict=True):
            receipt = await issue_receipt(
                self._platform.signer,
                self._platform.tsa,
                {"type": RECEIPT_TYPE, **fact, "ledger_commitment": commitment.hex()},
            )
            bid.receipt = receipt.to_json()
        shares = [
            [
                sql.EscrowShareRow(uuid.UUID(s["custodian"]), s["recipient"], base64.b64decode(s["sealed"]))
                for s in pending.envelope.escrow["shares"]
            ]
            for pending in batch
        ]
        return _Prepared(batch, bids, expected, shares, confidential)

    async def _write(self, ready: _Prepared) -> None:
        """Once every upload of the batch is on disk, one statement writes the batch; then the receipts go back."""
        await _durable(ready.batch)
        try:
            async with self._connection() as connection:
                await sql.commit_bids(connection, ready.bids, ready.expected, ready.shares, ready.confidential)
        except sql.BatchChanged as exc:
            if len(ready.bids) > 1:
                raise
            raise Conflict(f"the tender or this bid changed while it was committed ({exc}); retry") from exc
        for pending, bid in zip(ready.batch, ready.bids, strict=True):
            if not pending.done.done():
                pending.done.set_result(bid)


@dataclass(frozen=True)
class _Prepared:
    """A checked batch ready to write: its records (receipts signed), expected slots, escrow shares, sealed events."""

    batch: list[_Pending]
    bids: list[sql.NewBid]
    expected: list[sql.CommitFacts]
    shares: list[list[sql.EscrowShareRow]]
    confidential: PreparedConfidential


async def _durable(batch: list[_Pending]) -> None:
    """Wait until every upload of the batch is on disk; raise the first failure (the batch is then retried bid by
    bid, so the failed upload is refused alone)."""
    waiting = [p.durable for p in batch if p.durable is not None]
    if waiting:
        await asyncio.wait(waiting)
    for future in waiting:
        if future.cancelled():
            raise RuntimeError("the upload was abandoned before it was on disk")
        future.result()


def _refuse(pending: _Pending, error: BaseException) -> None:
    if not pending.done.done():
        pending.done.set_exception(error)


def _facts(pending: _Pending) -> sql.CommitFacts:
    if pending.tender is None:
        raise RuntimeError("a checked bid always has its facts")
    return pending.tender


def _lot_id(pending: _Pending) -> uuid.UUID:
    lot_id = _facts(pending).lot_id
    if lot_id is None:
        raise RuntimeError("a checked bid always has its lot")
    return lot_id


def _new_bid(pending: _Pending, superseded: uuid.UUID | None) -> tuple[sql.NewBid, dict[str, Any]]:
    """The bid row (receipt still empty) and the facts its receipt and its sealed ledger event state."""
    tender = _facts(pending)
    sub, principal = pending.envelope.submission, pending.principal
    statement_text = pending.envelope.statement.to_json()
    bid = sql.NewBid(
        id=uuid.uuid4(),
        tender_id=tender.id,
        lot_id=_lot_id(pending),
        lot_number=sub.lot,
        bidder_org_id=principal.organization_id,
        submitted_by=principal.user_id,
        version=sub.version,
        ciphertext_sha256=sub.sha256,
        ciphertext_size=sub.size,
        recipient=sub.recipient,
        statement=statement_text,
        statement_sha256=hashlib.sha256(statement_text.encode()).hexdigest(),
        received_at=tender.now,
        receipt_id=uuid.uuid4(),
    )
    facts: dict[str, Any] = {
        "receipt": str(bid.receipt_id),
        "bid": str(bid.id),
        "tender": str(tender.id),
        "lot": str(bid.lot_id),
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
    return bid, facts
