"""The bid ingest path's plain SQL on the driver lane (core.db.create_driver_pool): a handful of prepared
statements per bid instead of ORM units of work, which cost about ten times the CPU (docs/benchmarks.md)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import asyncpg

if TYPE_CHECKING:
    from bidding.bids.models import Bid

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

LOCK_TENDERS_SQL = """
select k.n, t.id, t.status, t.bid_deadline, t.agency_id, t.tenderee_id, sunbid_now() as now,
       l.id as lot_id, o.debarred_until, o.name as bidder_name
from unnest($1::uuid[], $2::int[], $3::uuid[]) with ordinality as k(tender, lot, org, n)
join tenders t on t.id = k.tender
left join tender_lots l on l.tender_id = t.id and l.number = k.lot
left join organizations o on o.id = k.org
order by t.id, k.n
for share of t
"""
"""Share locks in tender order: bids go in concurrently, but a deadline change (FOR UPDATE) waits for them."""

SERIALIZE_BIDDERS_SQL = """
select count(pg_advisory_xact_lock(hashtextextended(slot, 0)))
from (select unnest($1::text[]) as slot order by 1) as slots
"""
"""One transaction at a time per bidder and lot (keys as the ORM path's), taken in key order."""

LAST_VERSIONS_SQL = """
select k.n, coalesce(max(b.version), 0) as last_version
from unnest($1::uuid[], $2::uuid[], $3::uuid[]) with ordinality as k(tender, lot, org, n)
left join bids b on b.tender_id = k.tender and b.lot_id = k.lot and b.bidder_org_id = k.org
group by k.n
order by k.n
"""

SUPERSEDE_SQL = """
update bids b set status = 'superseded'
from unnest($1::uuid[], $2::uuid[], $3::uuid[]) as k(tender, lot, org)
where b.tender_id = k.tender and b.lot_id = k.lot and b.bidder_org_id = k.org and b.status = 'submitted'
returning b.tender_id, b.lot_id, b.bidder_org_id, b.id
"""

INSERT_BIDS_SQL = """
with bid as (
    insert into bids (id, tender_id, lot_id, lot_number, bidder_org_id, submitted_by, version, status,
                      ciphertext_sha256, ciphertext_size, recipient, statement, statement_sha256, received_at,
                      receipt_id, receipt)
    select id, tender_id, lot_id, lot_number, bidder_org_id, submitted_by, version, 'submitted', ciphertext_sha256,
           ciphertext_size, recipient, statement, statement_sha256, received_at, receipt_id, receipt
    from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::uuid[], $6::uuid[], $7::int[], $8::text[],
                $9::bigint[], $10::text[], $11::text[], $12::text[], $13::timestamptz[], $14::uuid[], $15::text[])
         as b(id, tender_id, lot_id, lot_number, bidder_org_id, submitted_by, version, ciphertext_sha256,
              ciphertext_size, recipient, statement, statement_sha256, received_at, receipt_id, receipt)
    returning id
)
insert into bid_escrow_shares (id, bid_id, custodian_org_id, recipient, sealed_share)
select id, bid_id, custodian, recipient, sealed
from unnest($16::uuid[], $17::uuid[], $18::uuid[], $19::text[], $20::bytea[])
     as share(id, bid_id, custodian, recipient, sealed)
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
"""The bids columns a submission sets, in INSERT_BIDS_SQL's parameter order (status is always 'submitted')."""

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


async def lock_tenders(
    connection: asyncpg.Connection, keys: Sequence[tuple[uuid.UUID, int, uuid.UUID]]
) -> list[LockedTender | None]:
    """For each (tender, lot number, bidder) the share-locked tender with database time; None for no tender."""
    rows = await connection.fetch(LOCK_TENDERS_SQL, [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys])
    found = {row["n"]: LockedTender(**{k: v for k, v in dict(row).items() if k != "n"}) for row in rows}
    return [found.get(n) for n in range(1, len(keys) + 1)]


def slot_key(slot: Slot) -> str:
    """The advisory-lock key of one bidder's versions for one lot (the ORM withdrawal path takes the same)."""
    return f"sunbid/bid/{slot[0]}/{slot[1]}/{slot[2]}"


async def serialize_bidders(connection: asyncpg.Connection, slots: Sequence[Slot]) -> None:
    """Advisory locks on each slot (the same keys as the ORM withdrawal path), in key order."""
    if slots:
        await connection.fetchval(SERIALIZE_BIDDERS_SQL, sorted({slot_key(s) for s in slots}))


def _columns(slots: Sequence[Slot]) -> tuple[list[uuid.UUID], list[uuid.UUID], list[uuid.UUID]]:
    return [s[0] for s in slots], [s[1] for s in slots], [s[2] for s in slots]


async def last_versions(connection: asyncpg.Connection, slots: Sequence[Slot]) -> list[int]:
    """Each slot's highest version so far (0 for none), in the slots' order."""
    if not slots:
        return []
    rows = await connection.fetch(LAST_VERSIONS_SQL, *_columns(slots))
    return [int(row["last_version"]) for row in rows]


async def supersede(connection: asyncpg.Connection, slots: Sequence[Slot]) -> dict[Slot, uuid.UUID]:
    """Mark each slot's live version superseded; the superseded bid ids by slot (a rollback undoes it)."""
    rows = await connection.fetch(SUPERSEDE_SQL, *_columns(slots))
    return {(row["tender_id"], row["lot_id"], row["bidder_org_id"]): row["id"] for row in rows}


@dataclass(frozen=True)
class EscrowShareRow:
    """One custodian's sealed share of a new bid."""

    custodian_org_id: uuid.UUID
    recipient: str
    sealed_share: bytes


async def insert_bids(
    connection: asyncpg.Connection, bids: Sequence[Bid], shares: Sequence[Sequence[EscrowShareRow]]
) -> None:
    """The new versions and their escrow shares in one statement."""
    columns = [[getattr(bid, column) for bid in bids] for column in BID_COLUMNS]
    flat = [(bid.id, share) for bid, per_bid in zip(bids, shares, strict=True) for share in per_bid]
    await connection.execute(
        INSERT_BIDS_SQL,
        *columns,
        [uuid.uuid4() for _ in flat],
        [bid_id for bid_id, _ in flat],
        [share.custodian_org_id for _, share in flat],
        [share.recipient for _, share in flat],
        [share.sealed_share for _, share in flat],
    )
