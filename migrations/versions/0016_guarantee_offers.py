"""guarantee offers: a guarantee a guarantor lodges waits for its bidder's acceptance (offered, declined)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITH_OFFERS = "status in ('offered', 'declined', 'active', 'released', 'claimed', 'invalid')"
WITHOUT_OFFERS = "status in ('active', 'released', 'claimed', 'invalid')"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_guarantees_status_known"), "guarantees", type_="check")
    op.create_check_constraint(op.f("ck_guarantees_status_known"), "guarantees", WITH_OFFERS)


def downgrade() -> None:
    op.execute("delete from guarantees where status in ('offered', 'declined')")
    op.drop_constraint(op.f("ck_guarantees_status_known"), "guarantees", type_="check")
    op.create_check_constraint(op.f("ck_guarantees_status_known"), "guarantees", WITHOUT_OFFERS)
