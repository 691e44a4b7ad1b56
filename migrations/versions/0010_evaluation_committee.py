"""evaluation committee: the elected chair (rule 38), signed votes and rule-52 decisions

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 06:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("evaluations", sa.Column("chair_member_id", sa.UUID(), nullable=True))
    op.add_column(
        "evaluations",
        sa.Column(
            "decisions", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
    )
    op.create_foreign_key(
        op.f("fk_evaluations_chair_member_id_evaluation_panel_members"),
        "evaluations",
        "evaluation_panel_members",
        ["chair_member_id"],
        ["id"],
    )
    op.add_column("evaluation_votes", sa.Column("choice", sa.String(length=40), nullable=True))
    op.add_column("evaluation_votes", sa.Column("statement", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("evaluation_votes", "statement")
    op.drop_column("evaluation_votes", "choice")
    op.drop_constraint(
        op.f("fk_evaluations_chair_member_id_evaluation_panel_members"), "evaluations", type_="foreignkey"
    )
    op.drop_column("evaluations", "decisions")
    op.drop_column("evaluations", "chair_member_id")
