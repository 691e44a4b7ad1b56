"""supervision clocks: rule 67 papers and reply, excluded time (pauses), contract holds (rule 66)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 06:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATES = "state in ('running', 'yellow', 'red', 'met', 'cancelled')"
NEW_STATES = "state in ('running', 'yellow', 'red', 'paused', 'met', 'cancelled')"


def upgrade() -> None:
    op.add_column(
        "supervision_cases", sa.Column("holds_contract_lock", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.add_column("supervision_cases", sa.Column("papers_due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("supervision_cases", sa.Column("papers_sent_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("supervision_cases", sa.Column("reply_due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("supervision_cases", sa.Column("reply", sa.Text(), nullable=True))
    op.add_column("supervision_cases", sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("supervision_cases", sa.Column("replied_by", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_supervision_cases_replied_by_users"), "supervision_cases", "users", ["replied_by"], ["id"]
    )

    op.drop_constraint(op.f("ck_supervision_clocks_state_known"), "supervision_clocks", type_="check")
    op.create_check_constraint(op.f("ck_supervision_clocks_state_known"), "supervision_clocks", NEW_STATES)

    op.create_table(
        "supervision_clock_pauses",
        sa.Column("clock_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.UUID(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.UUID(), nullable=True),
        sa.Column("excluded_days", sa.Integer(), nullable=True),
        sa.Column("due_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "ended_at is null or ended_at >= started_at", name=op.f("ck_supervision_clock_pauses_times_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["clock_id"],
            ["supervision_clocks.id"],
            name=op.f("fk_supervision_clock_pauses_clock_id_supervision_clocks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["started_by"], ["users.id"], name=op.f("fk_supervision_clock_pauses_started_by_users")
        ),
        sa.ForeignKeyConstraint(["ended_by"], ["users.id"], name=op.f("fk_supervision_clock_pauses_ended_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_clock_pauses")),
    )
    op.create_index(
        op.f("ix_supervision_clock_pauses_clock_id"), "supervision_clock_pauses", ["clock_id"], unique=False
    )
    op.create_index(
        "uq_supervision_clock_pauses_open",
        "supervision_clock_pauses",
        ["clock_id"],
        unique=True,
        postgresql_where=sa.text("ended_at is null"),
    )

    op.create_table(
        "tender_contract_holds",
        sa.Column("tender_id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("rule", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), server_default=sa.text("sunbid_now()"), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_tender_contract_holds_tender_id_tenders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_contract_holds")),
    )
    op.create_index(
        op.f("ix_tender_contract_holds_tender_id"), "tender_contract_holds", ["tender_id"], unique=False
    )
    op.create_index(
        "uq_tender_contract_holds_open",
        "tender_contract_holds",
        ["tender_id", "case_id"],
        unique=True,
        postgresql_where=sa.text("lifted_at is null"),
    )


def downgrade() -> None:
    op.drop_index("uq_tender_contract_holds_open", table_name="tender_contract_holds")
    op.drop_index(op.f("ix_tender_contract_holds_tender_id"), table_name="tender_contract_holds")
    op.drop_table("tender_contract_holds")
    op.drop_index("uq_supervision_clock_pauses_open", table_name="supervision_clock_pauses")
    op.drop_index(op.f("ix_supervision_clock_pauses_clock_id"), table_name="supervision_clock_pauses")
    op.drop_table("supervision_clock_pauses")
    op.execute("update supervision_clocks set state = 'running' where state = 'paused'")
    op.drop_constraint(op.f("ck_supervision_clocks_state_known"), "supervision_clocks", type_="check")
    op.create_check_constraint(op.f("ck_supervision_clocks_state_known"), "supervision_clocks", OLD_STATES)
    op.drop_constraint(op.f("fk_supervision_cases_replied_by_users"), "supervision_cases", type_="foreignkey")
    for column in ("replied_by", "replied_at", "reply", "reply_due_at", "papers_sent_at", "papers_due_at"):
        op.drop_column("supervision_cases", column)
    op.drop_column("supervision_cases", "holds_contract_lock")
