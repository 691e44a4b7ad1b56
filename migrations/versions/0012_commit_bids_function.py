"""sunbid_commit_bids: a batch of sealed bids written in one statement (one round trip, its own transaction)

The group committer reads every fact it checks in one statement, signs the receipts in Python, and then calls this
function, which takes the locks, re-checks what could have changed in between (the deadline by the database clock,
the sealed period, each bidder's versions) and writes the batch. Any change raises and rolls the whole call back;
the committer then retries each bid alone and refuses it with the reason its fresh facts give.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMMIT_BIDS = """
create function sunbid_commit_bids(
    expected_last int[], expected_live uuid[], slot_keys text[], slot_seconds int,
    e_id uuid[], e_type text[], e_actor uuid[], e_org uuid[], e_subject uuid[], e_recorded timestamptz[],
    e_payload text[], e_canonical bytea[], e_digest bytea[],
    c_id uuid[], c_tender uuid[], c_record bytea[], c_salt bytea[], c_commitment bytea[],
    b_id uuid[], b_tender uuid[], b_lot uuid[], b_lot_number int[], b_org uuid[], b_by uuid[], b_version int[],
    b_sha256 text[], b_size bigint[], b_recipient text[], b_statement text[], b_statement_sha256 text[],
    b_received timestamptz[], b_receipt_id uuid[], b_receipt text[],
    s_id uuid[], s_bid uuid[], s_custodian uuid[], s_recipient text[], s_sealed bytea[]
) returns void language plpgsql as $$
declare
    closed uuid;
begin
    -- share locks in tender order: a deadline change (FOR UPDATE) waits for the batch, and the batch for it
    perform 1 from tenders where id = any(b_tender) order by id for share;
    select t.id into closed from tenders t
    where t.id = any(b_tender) and (t.status <> 'published' or sunbid_now() >= t.bid_deadline)
    limit 1;
    if found then
        raise exception 'tender % no longer accepts bids', closed using errcode = 'SB422';
    end if;
    insert into confidential_streams (tender_id, slot_seconds)
    select distinct tender, slot_seconds from unnest(c_tender) as tender
    on conflict (tender_id) do nothing;
    perform 1 from confidential_streams where tender_id = any(c_tender) order by tender_id for share;
    if exists (select 1 from confidential_streams where tender_id = any(c_tender) and revealed_at is not null) then
        raise exception 'a tender of this batch is past its sealed period' using errcode = 'SB409';
    end if;
    -- one transaction at a time per bidder and lot, keys as the ORM withdrawal path's, in key order
    perform count(pg_advisory_xact_lock(hashtextextended(slot, 0)))
    from (select unnest(slot_keys) as slot order by 1) as slots;
    if exists (
        select 1
        from unnest(b_tender, b_lot, b_org, expected_last, expected_live) as k(tender, lot, org, last, live)
        where (select coalesce(max(b.version), 0) from bids b
               where b.tender_id = k.tender and b.lot_id = k.lot and b.bidder_org_id = k.org) <> k.last
           or (select b.id from bids b
               where b.tender_id = k.tender and b.lot_id = k.lot and b.bidder_org_id = k.org
                 and b.status = 'submitted') is distinct from k.live
    ) then
        raise exception 'another version of a bid in this batch was committed or withdrawn meanwhile'
            using errcode = 'SB409';
    end if;
    update bids set status = 'superseded' where id = any(expected_live) and status = 'submitted';
    with event as (
        insert into journal_events (id, event_type, actor_user_id, organization_id, subject_id, recorded_at,
                                    payload, payload_canonical, payload_sha256, confidential_until_opening)
        select id, event_type, actor, organization, subject, recorded_at, payload::jsonb, canonical, digest, true
        from unnest(e_id, e_type, e_actor, e_org, e_subject, e_recorded, e_payload, e_canonical, e_digest)
             as e(id, event_type, actor, organization, subject, recorded_at, payload, canonical, digest)
        returning id, seq
    )
    insert into confidential_commitments (id, tender_id, event_seq, record, salt, commitment)
    select c.id, c.tender, event.seq, c.record, c.salt, c.commitment
    from unnest(c_id, e_id, c_tender, c_record, c_salt, c_commitment)
         as c(id, event_id, tender, record, salt, commitment)
    join event on event.id = c.event_id;
    with bid as (
        insert into bids (id, tender_id, lot_id, lot_number, bidder_org_id, submitted_by, version, status,
                          ciphertext_sha256, ciphertext_size, recipient, statement, statement_sha256, received_at,
                          receipt_id, receipt)
        select id, tender_id, lot_id, lot_number, bidder_org_id, submitted_by, version, 'submitted',
               ciphertext_sha256, ciphertext_size, recipient, statement, statement_sha256, received_at,
               receipt_id, receipt
        from unnest(b_id, b_tender, b_lot, b_lot_number, b_org, b_by, b_version, b_sha256, b_size, b_recipient,
                    b_statement, b_statement_sha256, b_received, b_receipt_id, b_receipt)
             as b(id, tender_id, lot_id, lot_number, bidder_org_id, submitted_by, version, ciphertext_sha256,
                  ciphertext_size, recipient, statement, statement_sha256, received_at, receipt_id, receipt)
        returning id
    )
    insert into bid_escrow_shares (id, bid_id, custodian_org_id, recipient, sealed_share)
    select share.id, share.bid_id, share.custodian, share.recipient, share.sealed
    from unnest(s_id, s_bid, s_custodian, s_recipient, s_sealed)
         as share(id, bid_id, custodian, recipient, sealed)
    join bid on bid.id = share.bid_id;
end
$$
"""

DROP_COMMIT_BIDS = """
drop function sunbid_commit_bids(
    int[], uuid[], text[], int,
    uuid[], text[], uuid[], uuid[], uuid[], timestamptz[], text[], bytea[], bytea[],
    uuid[], uuid[], bytea[], bytea[], bytea[],
    uuid[], uuid[], uuid[], int[], uuid[], uuid[], int[], text[], bigint[], text[], text[], text[], timestamptz[],
    uuid[], text[],
    uuid[], uuid[], uuid[], text[], bytea[]
)
"""


def upgrade() -> None:
    op.execute(COMMIT_BIDS)


def downgrade() -> None:
    op.execute(DROP_COMMIT_BIDS)
