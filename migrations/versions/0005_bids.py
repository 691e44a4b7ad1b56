"""bids: sealed bid versions and their escrow shares

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 04:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bids",
        sa.Column("tender_id", sa.UUID(), nullable=False),
        sa.Column("lot_id", sa.UUID(), nullable=False),
        sa.Column("lot_number", sa.Integer(), nullable=False),
        sa.Column("bidder_org_id", sa.UUID(), nullable=False),
        sa.Column("submitted_by", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("ciphertext_sha256", sa.String(length=64), nullable=False),
        sa.Column("ciphertext_size", sa.BigInteger(), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("statement_sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("receipt_id", sa.UUID(), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawal_statement", sa.Text(), nullable=True),
        sa.Column("withdrawal_receipt", sa.Text(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint("status in ('submitted', 'superseded', 'withdrawn')", name=op.f("ck_bids_status_known")),
        sa.ForeignKeyConstraint(
            ["bidder_org_id"], ["organizations.id"], name=op.f("fk_bids_bidder_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["tender_lots.id"], name=op.f("fk_bids_lot_id_tender_lots")),
        sa.ForeignKeyConstraint(["submitted_by"], ["users.id"], name=op.f("fk_bids_submitted_by_users")),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_bids_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bids")),
        sa.UniqueConstraint("receipt_id", name=op.f("uq_bids_receipt_id")),
        sa.UniqueConstraint("tender_id", "lot_id", "bidder_org_id", "version", name="uq_bids_version"),
    )
    op.create_index(op.f("ix_bids_bidder_org_id"), "bids", ["bidder_org_id"], unique=False)
    op.create_index(op.f("ix_bids_ciphertext_sha256"), "bids", ["ciphertext_sha256"], unique=False)
    op.create_index(op.f("ix_bids_tender_id"), "bids", ["tender_id"], unique=False)
    op.create_index(
        "uq_bids_live",
        "bids",
        ["tender_id", "lot_id", "bidder_org_id"],
        unique=True,
        postgresql_where=sa.text("status = 'submitted'"),
    )
    op.create_table(
        "bid_escrow_shares",
        sa.Column("bid_id", sa.UUID(), nullable=False),
        sa.Column("custodian_org_id", sa.UUID(), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("sealed_share", sa.LargeBinary(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bid_id"], ["bids.id"], name=op.f("fk_bid_escrow_shares_bid_id_bids"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["custodian_org_id"],
            ["organizations.id"],
            name=op.f("fk_bid_escrow_shares_custodian_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bid_escrow_shares")),
        sa.UniqueConstraint("bid_id", "custodian_org_id", name=op.f("uq_bid_escrow_shares_bid_id")),
    )


def downgrade() -> None:
    op.drop_table("bid_escrow_shares")
    op.drop_index("uq_bids_live", table_name="bids", postgresql_where=sa.text("status = 'submitted'"))
    op.drop_index(op.f("ix_bids_tender_id"), table_name="bids")
    op.drop_index(op.f("ix_bids_ciphertext_sha256"), table_name="bids")
    op.drop_index(op.f("ix_bids_bidder_org_id"), table_name="bids")
    op.drop_table("bids")
