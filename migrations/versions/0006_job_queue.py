"""job queue: procrastinate's schema

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(SchemaManager.get_schema())


def downgrade() -> None:
    op.execute(
        """
        drop table if exists procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
            procrastinate_workers cascade;
        drop type if exists procrastinate_job_status, procrastinate_job_event_type cascade;
        """
    )
