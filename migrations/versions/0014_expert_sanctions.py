"""expert sanctions: a regulator's suspension kept apart from the operator's pool status

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 01:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("expert_profiles", sa.Column("sanctioned_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("expert_profiles", sa.Column("sanction_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("expert_profiles", "sanction_reason")
    op.drop_column("expert_profiles", "sanctioned_until")
