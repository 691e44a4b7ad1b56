"""Group commit for sealed bids: a deadline rush costs a few statements and WAL flushes, not a transaction per bid.

A bid joins the queue once its bytes are hashed, while its fsync is still under way. Flushers (up to
CONCURRENT_BATCHES) take what is queued: a batch reads its facts in one statement (database time, tenders, lots,
bidders, versions) and checks each bid on its own (deadline by the database clock, suspension, debarment,
version), refusing it alone; the valid ones get their records, commitments and signed receipts in Python while the
disk catches up (in a rush the uploads end together, and their fsyncs would otherwise leave the CPU idle and then
the signing leave the disk idle). One writer then takes every prepared batch whose uploads are all on disk and
writes them together: one call of `sunbid_commit_bids` takes the locks, re-checks what could have changed meanwhile,
and writes them in its own transaction. What becomes ready during that write goes in the next one, so the writes
grow with the rush (measured in bench/: a batch of 6 cost PostgreSQL twice a batch of 100 per bid). An upload that
failed to reach the disk is refused alone. If a write fails (a change found by the re-check, or anything else), its
batches are written again each on its own, beside the writer (which goes on with the rest), and a batch that fails
again is retried bid by bid, so a bad bid fails alone. A bid's receipt goes back only after the statement that
holds it has committed.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import asyncpg

from bidding.bids import sql
from bidding.bids.batches import BidKey, PreparedBatch, QueuedBid, checked_facts, new_bid, wait_on_disk
from bidding.bids.checks import open_for
from bidding.bids.envelope import RECEIPT_TYPE, Envelope
from bidding.bids.platform import BidPlatform
from bidding.bids.states import BidStatus, transition
from core.confidential import ConfidentialAct, prepare_confidential
from core.errors import Conflict, DomainError, NotFound
from core.grouped import Flushers
from core.identity.principal import Principal
from signing.receipts import issue_receipt

logger = logging.getLogger("sunbid.bids")
Lane = Callable[[], AbstractAsyncContextManager[asyncpg.Connection]]
BATCH_LIMIT = 128
CONCURRENT_BATCHES = 3
"""Batches prepared at once: while one reads its facts another signs. `sunbid_commit_bids` takes its locks in one
order (tenders by id, bidder keys sorted), and one writer writes, so writes cannot deadlock, and two bids of one
bidder and lot never go in one write."""


class BidCommitter:
    """One per process: `commit` queues a verified upload and returns its committed bid."""

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
        self._queue: list[QueuedBid] = []
        self._flushers = Flushers(concurrency)
        self._ready: list[PreparedBatch] = []
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._retries: set[asyncio.Task[None]] = set()

    async def commit(
        self, principal: Principal, envelope: Envelope, durable: asyncio.Future[Any] | None = None
    ) -> sql.NewBid:
        """The bid, committed with its receipt; the refusal of this bid alone if it fails its checks.

        `durable` is the upload's fsync and publication, still under way: the batch reads its facts and signs its
        receipts meanwhile, and writes no row before it is done (its failure refuses this bid alone)."""
        done: asyncio.Future[sql.NewBid] = asyncio.get_running_loop().create_future()
        self._queue.append(QueuedBid(principal, envelope, done, durable))
        self._flushers.ensure(self._flush)
        return await asyncio.shield(done)

    async def blob_in_use(self, sha256: str) -> bool:
        """Whether a committed bid names this ciphertext: an identical upload (a client's retry) may have committed
        while this one was refused, and their blob is one file."""
        async with self._connection() as connection:
            return await sql.names_blob(connection, sha256)

    async def close(self) -> None:
        """Let the batches under way finish (at shutdown)."""
        await self._flushers.wait()
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        await asyncio.gather(*self._retries, return_exceptions=True)

    async def _flush(self) -> None:
        while self._queue:
            batch: list[QueuedBid] = []
            later: list[QueuedBid] = []
            keys: set[BidKey] = set()
            for queued in self._queue[: self._batch_limit]:
                (later if queued.key in keys else batch).append(queued)
                keys.add(queued.key)
            del self._queue[: self._batch_limit]
            self._queue[:0] = later
            try:
                ready = await self._prepare(batch)
            except Exception as exc:
                await self._fall_back(batch, exc)
                continue
            if ready is not None:
                self._hand_to_writer(ready)

    def _hand_to_writer(self, ready: PreparedBatch) -> None:
        self._ready.append(ready)
        for writing in ready.still_writing():
            writing.add_done_callback(lambda _: self._wake.set())
        self._wake.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_ready())

    async def _write_ready(self) -> None:
        """Write, one statement at a time, every prepared batch whose uploads are on disk (keys never overlap)."""
        while self._ready:
            await self._wake.wait()
            self._wake.clear()
            taken: list[PreparedBatch] = []
            keys: set[BidKey] = set()
            for ready in list(self._ready):
                if ready.on_disk and keys.isdisjoint(ready.keys):
                    self._ready.remove(ready)
                    if (kept := self._without_disk_failures(ready)) is not None:
                        taken.append(kept)
                        keys |= kept.keys
            if taken:
                self._wake.set()  # batches left behind for a key clash go in the next write
                try:
                    await self._write(PreparedBatch.merge(taken))
                except Exception as exc:
                    for ready in taken:  # each batch again on its own, beside the writer, which goes on
                        self._retry(ready, exc, merged=len(taken) > 1)

    def _retry(self, ready: PreparedBatch, exc: Exception, *, merged: bool) -> None:
        """Write a batch again on its own if it failed merged with others, and bid by bid if it fails alone."""

        async def again() -> None:
            failure = exc
            if merged:
                try:
                    await self._write(ready)
                except Exception as alone:
                    failure = alone
                else:
                    return
            await self._fall_back(ready.batch, failure)

        task = asyncio.create_task(again())
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    @staticmethod
    def _without_disk_failures(ready: PreparedBatch) -> PreparedBatch | None:
        """Refuse the bids whose upload did not reach the disk; the rest of the batch, or None."""
        kept = []
        for index, queued in enumerate(ready.batch):
            if (failure := queued.disk_failure()) is not None:
                _refuse(queued, failure)
            else:
                kept.append(index)
        if not kept:
            return None
        return ready if len(kept) == len(ready.batch) else ready.select(kept)

    async def _fall_back(self, batch: list[QueuedBid], exc: Exception) -> None:
        """A failed batch: refuse a lone bid, or commit each bid again alone, so a bad one fails alone."""
        if len(batch) == 1:
            _refuse(batch[0], exc)
            return
        logger.warning("a batch of %d bids failed; committing them one by one", len(batch), exc_info=exc)
        for queued in batch:
            if not queued.done.done():
                queued.tender = None
                try:
                    ready = await self._prepare([queued])
                    if ready is not None:
                        await self._write(ready)
                except Exception as alone:
                    _refuse(queued, alone)

    def _checked(self, batch: list[QueuedBid], found: list[sql.CommitFacts | None]) -> list[QueuedBid]:
        """Check each bid against its facts; refuse the failures, keep the rest."""
        valid: list[QueuedBid] = []
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

    async def _prepare(self, batch: list[QueuedBid]) -> PreparedBatch | None:
        """Read the batch's facts, refuse the bids that fail their checks, and make the rest's records,
        commitments and signed receipts in Python (no row is written yet); None when no bid is left."""
        async with self._connection() as connection:
            found = await sql.commit_facts(connection, [p.key for p in batch])
        batch = self._checked(batch, found)
        if not batch:
            return None
        bids, facts, expected = [], [], []
        for pending in batch:
            tender = checked_facts(pending)
            if tender.live_id is not None:
                transition(BidStatus.SUBMITTED, BidStatus.SUPERSEDED)
            bid, fact = new_bid(pending, tender.live_id)
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
        return PreparedBatch(batch, bids, expected, shares, confidential)

    async def _write(self, ready: PreparedBatch) -> None:
        """Once every upload of the batch is on disk, one statement writes the batch; then the receipts go back."""
        await wait_on_disk(ready.batch)
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


def _refuse(pending: QueuedBid, error: BaseException) -> None:
    if not pending.done.done():
        pending.done.set_exception(error)
