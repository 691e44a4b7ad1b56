"""opening: openings, opened bids, escrow releases, hall messages, objections, record confirmations

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 04:16:00.952355
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "openings",
        sa.Column("tender_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escrow_closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escrow_remedy", sa.Boolean(), nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "failed_lots",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("record_sha256", sa.String(length=64), nullable=True),
        sa.Column("signed_record", sa.LargeBinary(), nullable=True),
        sa.Column("signed_record_sha256", sa.String(length=64), nullable=True),
        sa.Column("record_signer", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status in ('decrypting', 'escrow', 'announced', 'published', 'failed')",
            name=op.f("ck_openings_status_known"),
        ),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_openings_tender_id_tenders")),
        sa.PrimaryKeyConstraint("tender_id", name=op.f("pk_openings")),
    )
    op.create_index(op.f("ix_openings_status"), "openings", ["status"], unique=False)
    op.create_table(
        "hall_messages",
        sa.Column("tender_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("audience", sa.String(length=60), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("sunbid_now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tender_id"], ["openings.tender_id"], name=op.f("fk_hall_messages_tender_id_openings")
        ),
        sa.PrimaryKeyConstraint("tender_id", "seq", name=op.f("pk_hall_messages")),
    )
    op.create_index("ix_hall_messages_audience", "hall_messages", ["tender_id", "audience", "seq"], unique=False)
    op.create_table(
        "hall_objections",
        sa.Column("tender_id", sa.UUID(), nullable=False),
        sa.Column("bidder_org_id", sa.UUID(), nullable=False),
        sa.Column("raised_by", sa.UUID(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), server_default=sa.text("sunbid_now()"), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.UUID(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(["answered_by"], ["users.id"], name=op.f("fk_hall_objections_answered_by_users")),
        sa.ForeignKeyConstraint(
            ["bidder_org_id"], ["organizations.id"], name=op.f("fk_hall_objections_bidder_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(["raised_by"], ["users.id"], name=op.f("fk_hall_objections_raised_by_users")),
        sa.ForeignKeyConstraint(
            ["tender_id"], ["openings.tender_id"], name=op.f("fk_hall_objections_tender_id_openings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hall_objections")),
    )
    op.create_index(op.f("ix_hall_objections_tender_id"), "hall_objections", ["tender_id"], unique=False)
    op.create_table(
        "opening_record_confirmations",
        sa.Column("tender_id", sa.UUID(), nullable=False),
        sa.Column("bidder_org_id", sa.UUID(), nullable=False),
        sa.Column("verdict", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), server_default=sa.text("sunbid_now()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "verdict in ('confirm', 'dispute')", name=op.f("ck_opening_record_confirmations_verdict_known")
        ),
        sa.ForeignKeyConstraint(
            ["bidder_org_id"],
            ["organizations.id"],
            name=op.f("fk_opening_record_confirmations_bidder_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["tender_id"], ["openings.tender_id"], name=op.f("fk_opening_record_confirmations_tender_id_openings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opening_record_confirmations")),
        sa.UniqueConstraint("tender_id", "bidder_org_id", name=op.f("uq_opening_record_confirmations_tender_id")),
    )
    op.create_table(
        "opened_bids",
        sa.Column("bid_id", sa.UUID(), nullable=False),
        sa.Column("tender_id", sa.UUID(), nullable=False),
        sa.Column("lot_id", sa.UUID(), nullable=False),
        sa.Column("lot_number", sa.Integer(), nullable=False),
        sa.Column("bidder_org_id", sa.UUID(), nullable=False),
        sa.Column("bidder_name", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("signed_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_by", sa.String(length=20), nullable=True),
        sa.Column("client", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("sheet", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("files", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("guarantee", sa.String(length=60), nullable=True),
        sa.Column("guarantee_applicant", sa.String(length=300), nullable=True),
        sa.Column("cause", sa.String(length=10), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "cause is null or cause in ('bidder', 'platform', 'ca')", name=op.f("ck_opened_bids_cause_known")
        ),
        sa.CheckConstraint(
            "status in ('sealed', 'decrypted', 'escrow_opened', 'undecrypted', 'revoked', 'withdrawn', 'unopened')",
            name=op.f("ck_opened_bids_status_known"),
        ),
        sa.ForeignKeyConstraint(["bid_id"], ["bids.id"], name=op.f("fk_opened_bids_bid_id_bids")),
        sa.ForeignKeyConstraint(
            ["bidder_org_id"], ["organizations.id"], name=op.f("fk_opened_bids_bidder_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["tender_lots.id"], name=op.f("fk_opened_bids_lot_id_tender_lots")),
        sa.ForeignKeyConstraint(["tender_id"], ["openings.tender_id"], name=op.f("fk_opened_bids_tender_id_openings")),
        sa.PrimaryKeyConstraint("bid_id", name=op.f("pk_opened_bids")),
    )
    op.create_index(op.f("ix_opened_bids_tender_id"), "opened_bids", ["tender_id"], unique=False)
    op.create_table(
        "escrow_releases",
        sa.Column("bid_id", sa.UUID(), nullable=False),
        sa.Column("custodian_org_id", sa.UUID(), nullable=False),
        sa.Column("released_by", sa.UUID(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("share", sa.Text(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), server_default=sa.text("sunbid_now()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(["bid_id"], ["opened_bids.bid_id"], name=op.f("fk_escrow_releases_bid_id_opened_bids")),
        sa.ForeignKeyConstraint(
            ["custodian_org_id"], ["organizations.id"], name=op.f("fk_escrow_releases_custodian_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(["released_by"], ["users.id"], name=op.f("fk_escrow_releases_released_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escrow_releases")),
        sa.UniqueConstraint("bid_id", "custodian_org_id", name=op.f("uq_escrow_releases_bid_id")),
    )
    op.create_index(op.f("ix_escrow_releases_bid_id"), "escrow_releases", ["bid_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_escrow_releases_bid_id"), table_name="escrow_releases")
    op.drop_table("escrow_releases")
    op.drop_index(op.f("ix_opened_bids_tender_id"), table_name="opened_bids")
    op.drop_table("opened_bids")
    op.drop_table("opening_record_confirmations")
    op.drop_index(op.f("ix_hall_objections_tender_id"), table_name="hall_objections")
    op.drop_table("hall_objections")
    op.drop_index("ix_hall_messages_audience", table_name="hall_messages")
    op.drop_table("hall_messages")
    op.drop_index(op.f("ix_openings_status"), table_name="openings")
    op.drop_table("openings")
