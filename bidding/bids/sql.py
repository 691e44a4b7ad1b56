"""The bid ingest path's plain SQL on the driver lane (core.db.create_driver_pool): a handful of prepared
statements per bid instead of ORM units of work, which cost about ten times the CPU (docs/benchmarks.md)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from bidding.bids.states import BidStatus
from core.confidential import DEFAULT_SLOT_SECONDS, PreparedConfidential

SUBMISSION_FACTS_SQL = """
select k.n, t.id, t.status, t.bid_deadline, t.agency_id, t.tenderee_id, t.escrow_quorum, t.custodian_org_ids,
       sunbid_now() as now,
       l.id as lot_id,
       o.debarred_until,
       exists (
           select 1 from certificates c
           where c.user_id = k.user_id and c.public_key_sha256 = k.key_sha256 and c.revoked_at is null
       ) as signer_certified,
       array(
           select (
               select r.recipient from age_recipients r
               where r.organization_id = custodian.org
               order by r.created_at desc, r.id
               limit 1
           )
           from unnest(t.custodian_org_ids) with ordinality as custodian(org, position)
           order by custodian.position
       ) as custodian_recipients,
       (
           select coalesce(max(b.version), 0) from bids b
           where b.tender_id = t.id and b.lot_id = l.id and b.bidder_org_id = k.org
       ) as last_version
from unnest($1::uuid[], $2::int[], $3::uuid[], $4::uuid[], $5::text[])
     with ordinality as k(tender, lot, org, user_id, key_sha256, n)
join tenders t on t.id = k.tender
left join tender_lots l on l.tender_id = t.id and l.number = k.lot
left join organizations o on o.id = k.org
"""
"""The pre-checks' facts of any number of uploads in one statement (n is each upload's position, from 1)."""

COMMIT_FACTS_SQL = """
select k.n, t.id, t.status, t.bid_deadline, t.agency_id, t.tenderee_id, sunbid_now() as now,
       l.id as lot_id, o.debarred_until, o.name as bidder_name,
       coalesce(s.revealed_at is not null, false) as revealed,
       v.last_version, v.live_id
from unnest($1::uuid[], $2::int[], $3::uuid[]) with ordinality as k(tender, lot, org, n)
join tenders t on t.id = k.tender
left join tender_lots l on l.tender_id = t.id and l.number = k.lot
left join organizations o on o.id = k.org
left join confidential_streams s on s.tender_id = t.id
left join lateral (
    select coalesce(max(b.version), 0) as last_version,
           (array_agg(b.id) filter (where b.status = 'submitted'))[1] as live_id
    from bids b
    where b.tender_id = t.id and b.lot_id = l.id and b.bidder_org_id = k.org
) v on true
order by k.n
"""
"""Everything a batch's checks need, read without locks: `sunbid_commit_bids` re-checks what could change after."""

COMMIT_BIDS_SQL = """
select sunbid_commit_bids($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                          $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37,
                          $38)
"""
"""The batch's locks, re-checks and writes in one statement, so in one round trip and its own transaction
(migration 0012 defines the function)."""

BID_COLUMNS = (
    "id",
    "tender_id",
    "lot_id",
    "lot_number",
    "bidder_org_id",
    "submitted_by",
    "version",
    "ciphertext_sha256",
    "ciphertext_size",
    "recipient",
    "statement",
    "statement_sha256",
    "received_at",
    "receipt_id",
    "receipt",
)
"""The bids columns a submission sets, in sunbid_commit_bids's parameter order (status is always 'submitted')."""


@dataclass(slots=True)
class NewBid:
    """A submitted version as `sunbid_commit_bids` inserts it: a plain record, since building an ORM `Bid` took
    about a sixth of a batch's Python time in a deadline rush (docs/benchmarks.md)."""

    id: uuid.UUID
    tender_id: uuid.UUID
    lot_id: uuid.UUID
    lot_number: int
    bidder_org_id: uuid.UUID
    submitted_by: uuid.UUID
    version: int
    ciphertext_sha256: str
    ciphertext_size: int
    recipient: str
    statement: str
    statement_sha256: str
    received_at: datetime
    receipt_id: uuid.UUID
    receipt: str = ""
    status: BidStatus = BidStatus.SUBMITTED
    withdrawn_at: datetime | None = None


Slot = tuple[uuid.UUID, uuid.UUID, uuid.UUID]
"""(tender, lot id, bidder organization): where one bidder's versions for one lot live."""


@dataclass(frozen=True)
class SubmissionFacts:
    """Everything the pre-upload checks need, read in one statement (no locks: the commit checks again)."""

    id: uuid.UUID
    status: str
    bid_deadline: datetime
    agency_id: uuid.UUID
    tenderee_id: uuid.UUID
    escrow_quorum: int
    custodian_org_ids: list[uuid.UUID]
    now: datetime
    lot_id: uuid.UUID | None
    debarred_until: datetime | None
    signer_certified: bool
    custodian_recipients: list[str | None]
    last_version: int


@dataclass(frozen=True)
class CommitFacts:
    """One queued bid's tender, lot, bidder and slot as the batch reads them, with the database time."""

    id: uuid.UUID
    status: str
    bid_deadline: datetime
    agency_id: uuid.UUID
    tenderee_id: uuid.UUID
    now: datetime
    lot_id: uuid.UUID | None
    debarred_until: datetime | None
    bidder_name: str | None
    revealed: bool
    last_version: int
    live_id: uuid.UUID | None


@dataclass(frozen=True)
class SubmissionKey:
    """Whose upload for which lot, signed with which key: what a pre-check looks up."""

    tender_id: uuid.UUID
    lot: int
    bidder_org_id: uuid.UUID
    user_id: uuid.UUID
    key_sha256: str


async def submission_facts(
    connection: asyncpg.Connection, keys: Sequence[SubmissionKey]
) -> list[SubmissionFacts | None]:
    """Each upload's facts in the keys' order, None where the tender does not exist."""
    columns = ("tender_id", "lot", "bidder_org_id", "user_id", "key_sha256")
    rows = await connection.fetch(SUBMISSION_FACTS_SQL, *([getattr(k, c) for k in keys] for c in columns))
    found = {row["n"]: SubmissionFacts(**{k: v for k, v in dict(row).items() if k != "n"}) for row in rows}
    return [found.get(n) for n in range(1, len(keys) + 1)]


async def commit_facts(
    connection: asyncpg.Connection, keys: Sequence[tuple[uuid.UUID, int, uuid.UUID]]
) -> list[CommitFacts | None]:
    """For each (tender, lot number, bidder) its facts with database time; None for no tender."""
    rows = await connection.fetch(COMMIT_FACTS_SQL, [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys])
    found = {row["n"]: CommitFacts(**{k: v for k, v in dict(row).items() if k != "n"}) for row in rows}
    return [found.get(n) for n in range(1, len(keys) + 1)]


async def warm_submission(connection: asyncpg.Connection) -> None:
    """Prepare the pre-check, the facts read and `sunbid_commit_bids` on a new connection (empty batches: no writes)."""
    await submission_facts(connection, [])
    await commit_facts(connection, [])
    await connection.execute(COMMIT_BIDS_SQL, [], [], [], DEFAULT_SLOT_SECONDS, *([] for _ in range(34)))


def slot_key(slot: Slot) -> str:
    """The advisory-lock key of one bidder's versions for one lot (the ORM withdrawal path takes the same)."""
    return f"sunbid/bid/{slot[0]}/{slot[1]}/{slot[2]}"


@dataclass(frozen=True)
class EscrowShareRow:
    """One custodian's sealed share of a new bid."""

    custodian_org_id: uuid.UUID
    recipient: str
    sealed_share: bytes


class BatchChanged(Exception):
    """Something `sunbid_commit_bids` re-checks changed after the batch's facts were read (SQLSTATE SB409/SB422)."""


async def commit_bids(
    connection: asyncpg.Connection,
    bids: Sequence[NewBid],
    expected: Sequence[CommitFacts],
    shares: Sequence[Sequence[EscrowShareRow]],
    confidential: PreparedConfidential,
) -> None:
    """Supersede the live versions, insert the sealed events, commitments, bids and shares: one statement."""
    flat = [(bid.id, share) for bid, per_bid in zip(bids, shares, strict=True) for share in per_bid]
    try:
        await connection.execute(
            COMMIT_BIDS_SQL,
            [facts.last_version for facts in expected],
            [facts.live_id for facts in expected],
            [slot_key((bid.tender_id, bid.lot_id, bid.bidder_org_id)) for bid in bids],
            DEFAULT_SLOT_SECONDS,
            *confidential.event_columns,
            *confidential.commitment_columns,
            *([getattr(bid, column) for bid in bids] for column in BID_COLUMNS),
            [uuid.uuid4() for _ in flat],
            [bid_id for bid_id, _ in flat],
            [share.custodian_org_id for _, share in flat],
            [share.recipient for _, share in flat],
            [share.sealed_share for _, share in flat],
        )
    except asyncpg.PostgresError as exc:
        if getattr(exc, "sqlstate", None) in {"SB409", "SB422"}:
            raise BatchChanged(str(exc)) from exc
        raise


async def names_blob(connection: asyncpg.Connection, sha256: str) -> bool:
    """Whether a committed bid names this ciphertext (then its blob must stay, whoever uploaded it first)."""
    found: bool = await connection.fetchval("select exists(select 1 from bids where ciphertext_sha256 = $1)", sha256)
    return found
