"""opening attendance: who entered a tender's hall signed in (rule 38, 87号令 Art 40)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 19:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opening_attendance",
        sa.Column("tender_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("seat", sa.String(length=20), nullable=False),
        sa.Column("first_joined_at", sa.DateTime(timezone=True), server_default=sa.text("sunbid_now()"), nullable=False),
        sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f("fk_opening_attendance_tender_id_tenders")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_opening_attendance_user_id_users")),
        sa.PrimaryKeyConstraint("tender_id", "user_id", name=op.f("pk_opening_attendance")),
    )


def downgrade() -> None:
    op.drop_table("opening_attendance")
