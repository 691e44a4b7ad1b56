"""What the group committer moves around: a queued bid, and a prepared batch (records made, receipts signed) that
waits for its uploads to reach the disk and may be merged with others into one write."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bidding.bids import sql
from bidding.bids.envelope import Envelope
from core.confidential import PreparedConfidential, format_time
from core.identity.principal import Principal

BidKey = tuple[uuid.UUID, int, uuid.UUID]
"""(tender, lot number, bidder organization): two bids with one key never go in one write."""


@dataclass
class QueuedBid:
    """A verified upload waiting for its commit; `durable` is its fsync and publication, perhaps still under way."""

    principal: Principal
    envelope: Envelope
    done: asyncio.Future[sql.NewBid]
    durable: asyncio.Future[Any] | None
    tender: sql.CommitFacts | None = field(default=None)

    @property
    def key(self) -> BidKey:
        """Which bidder's versions for which lot this bid joins."""
        sub = self.envelope.submission
        return sub.tender_id, sub.lot, self.principal.organization_id

    @property
    def on_disk(self) -> bool:
        """The upload's fsync has ended (well or not)."""
        return self.durable is None or self.durable.done()

    def disk_failure(self) -> BaseException | None:
        """Why the upload did not reach the disk, once its fsync has ended; None when it did."""
        if self.durable is None:
            return None
        if self.durable.cancelled():
            return RuntimeError("the upload was abandoned before it was on disk")
        return self.durable.exception()


@dataclass(frozen=True)
class PreparedBatch:
    """Checked bids ready to write: their records (receipts signed), expected slots, escrow shares, sealed events,
    all index-aligned with `batch`."""

    batch: list[QueuedBid]
    bids: list[sql.NewBid]
    expected: list[sql.CommitFacts]
    shares: list[list[sql.EscrowShareRow]]
    confidential: PreparedConfidential

    @property
    def keys(self) -> set[BidKey]:
        """The bidder slots this batch writes."""
        return {queued.key for queued in self.batch}

    @property
    def on_disk(self) -> bool:
        """Every upload of the batch has ended its fsync."""
        return all(queued.on_disk for queued in self.batch)

    def still_writing(self) -> list[asyncio.Future[Any]]:
        """The fsyncs still under way."""
        return [q.durable for q in self.batch if q.durable is not None and not q.durable.done()]

    def select(self, indices: Sequence[int]) -> PreparedBatch:
        """The same batch with only the bids at these positions (their receipts and commitments unchanged)."""
        return PreparedBatch(
            [self.batch[i] for i in indices],
            [self.bids[i] for i in indices],
            [self.expected[i] for i in indices],
            [self.shares[i] for i in indices],
            self.confidential.select(indices),
        )

    @staticmethod
    def merge(parts: Sequence[PreparedBatch]) -> PreparedBatch:
        """One batch of several (their keys must not overlap): one statement and one WAL flush for all of them."""
        if len(parts) == 1:
            return parts[0]
        return PreparedBatch(
            [q for part in parts for q in part.batch],
            [b for part in parts for b in part.bids],
            [e for part in parts for e in part.expected],
            [s for part in parts for s in part.shares],
            PreparedConfidential.merge([part.confidential for part in parts]),
        )


async def wait_on_disk(batch: Sequence[QueuedBid]) -> None:
    """Wait until every upload of the batch is on disk; raise the first failure (the batch is then retried bid by
    bid, so the failed upload is refused alone)."""
    waiting = [q.durable for q in batch if q.durable is not None]
    if waiting:
        await asyncio.wait(waiting)
    for queued in batch:
        if (failure := queued.disk_failure()) is not None:
            raise failure


def checked_facts(queued: QueuedBid) -> sql.CommitFacts:
    """The facts a checked bid was checked against."""
    if queued.tender is None:
        raise RuntimeError("a checked bid always has its facts")
    return queued.tender


def _lot_id(queued: QueuedBid) -> uuid.UUID:
    lot_id = checked_facts(queued).lot_id
    if lot_id is None:
        raise RuntimeError("a checked bid always has its lot")
    return lot_id


def new_bid(queued: QueuedBid, superseded: uuid.UUID | None) -> tuple[sql.NewBid, dict[str, Any]]:
    """The bid row (receipt still empty) and the facts its receipt and its sealed ledger event state."""
    tender = checked_facts(queued)
    sub, principal = queued.envelope.submission, queued.principal
    statement_text = queued.envelope.statement.to_json()
    bid = sql.NewBid(
        id=uuid.uuid4(),
        tender_id=tender.id,
        lot_id=_lot_id(queued),
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
