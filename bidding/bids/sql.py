"""The bid ingest path's plain SQL on the driver lane (core.db.create_driver_pool): a handful of prepared
statements per bid instead of ORM units of work, which cost about ten times the CPU (docs/benchmarks.md)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

SUBMISSION_FACTS_SQL = """
select t.id, t.status, t.bid_deadline, t.agency_id, t.tenderee_id, t.escrow_quorum, t.custodian_org_ids,
       sunbid_now() as now,
       l.id as lot_id,
       o.debarred_until,
       exists (
           select 1 from certificates c
           where c.user_id = $4 and c.public_key_sha256 = $5 and c.revoked_at is null
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
           where b.tender_id = t.id and b.lot_id = l.id and b.bidder_org_id = $3
       ) as last_version
from tenders t
left join tender_lots l on l.tender_id = t.id and l.number = $2
left join organizations o on o.id = $3
where t.id = $1
"""

LOCK_TENDER_SQL = """
select t.id, t.status, t.bid_deadline, t.agency_id, t.tenderee_id, sunbid_now() as now,
       l.id as lot_id, o.debarred_until, o.name as bidder_name
from tenders t
left join tender_lots l on l.tender_id = t.id and l.number = $2
left join organizations o on o.id = $3
where t.id = $1
for share of t
"""

SERIALIZE_BIDDER_SQL = "select pg_advisory_xact_lock(hashtextextended($1, 0))"

SUPERSEDE_SQL = """
with superseded as (
    update bids set status = 'superseded'
    where tender_id = $1 and lot_id = $2 and bidder_org_id = $3 and status = 'submitted'
    returning id
)
select (
    select coalesce(max(version), 0) from bids where tender_id = $1 and lot_id = $2 and bidder_org_id = $3
) as last_version, (select id from superseded) as superseded
"""

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
"""The bids columns a submission sets, in INSERT_BID_SQL's parameter order (status is always 'submitted')."""

INSERT_BID_SQL = """
with bid as (
    insert into bids (id, tender_id, lot_id, lot_number, bidder_org_id, submitted_by, version, status,
                      ciphertext_sha256, ciphertext_size, recipient, statement, statement_sha256, received_at,
                      receipt_id, receipt)
    values ($1, $2, $3, $4, $5, $6, $7, 'submitted', $8, $9, $10, $11, $12, $13, $14, $15)
    returning id
)
insert into bid_escrow_shares (id, bid_id, custodian_org_id, recipient, sealed_share)
select share.id, bid.id, share.custodian, share.recipient, share.sealed
from bid, unnest($16::uuid[], $17::uuid[], $18::text[], $19::bytea[]) as share(id, custodian, recipient, sealed)
"""


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
class LockedTender:
    """The tender under a share lock, with the committing transaction's database time."""

    id: uuid.UUID
    status: str
    bid_deadline: datetime
    agency_id: uuid.UUID
    tenderee_id: uuid.UUID
    now: datetime
    lot_id: uuid.UUID | None
    debarred_until: datetime | None
    bidder_name: str | None


async def submission_facts(
    connection: asyncpg.Connection,
    tender_id: uuid.UUID,
    lot: int,
    bidder_org_id: uuid.UUID,
    user_id: uuid.UUID,
    key_sha256: str,
) -> SubmissionFacts | None:
    """The facts, or None when the tender does not exist."""
    row = await connection.fetchrow(SUBMISSION_FACTS_SQL, tender_id, lot, bidder_org_id, user_id, key_sha256)
    return None if row is None else SubmissionFacts(**dict(row))


async def lock_tender(
    connection: asyncpg.Connection, tender_id: uuid.UUID, lot: int, bidder_org_id: uuid.UUID
) -> LockedTender | None:
    """Share lock: bids go in concurrently, but a deadline change (FOR UPDATE) waits for them and vice versa."""
    row = await connection.fetchrow(LOCK_TENDER_SQL, tender_id, lot, bidder_org_id)
    return None if row is None else LockedTender(**dict(row))


async def serialize_bidder(
    connection: asyncpg.Connection, tender_id: uuid.UUID, lot_id: uuid.UUID, bidder_org_id: uuid.UUID
) -> None:
    """One transaction at a time per bidder and lot (the same key as the ORM path), so versions stay gapless."""
    await connection.execute(SERIALIZE_BIDDER_SQL, f"sunbid/bid/{tender_id}/{lot_id}/{bidder_org_id}")


async def supersede_live(
    connection: asyncpg.Connection, tender_id: uuid.UUID, lot_id: uuid.UUID, bidder_org_id: uuid.UUID
) -> tuple[int, uuid.UUID | None]:
    """Mark the live version superseded; the last version number and the superseded id (a rollback undoes it)."""
    row = await connection.fetchrow(SUPERSEDE_SQL, tender_id, lot_id, bidder_org_id)
    if row is None:
        raise RuntimeError("the supersede statement returned no row")
    return int(row["last_version"]), row["superseded"]


@dataclass(frozen=True)
class EscrowShareRow:
    """One custodian's sealed share of a new bid."""

    custodian_org_id: uuid.UUID
    recipient: str
    sealed_share: bytes


async def insert_bid(connection: asyncpg.Connection, values: dict[str, object], shares: list[EscrowShareRow]) -> None:
    """The new version and its escrow shares in one statement."""
    await connection.execute(
        INSERT_BID_SQL,
        *(values[column] for column in BID_COLUMNS),
        [uuid.uuid4() for _ in shares],
        [s.custodian_org_id for s in shares],
        [s.recipient for s in shares],
        [s.sealed_share for s in shares],
    )
