"""Tables for trusted guarantor roots, lodged guarantees and the release/claim messages sent to guarantors."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from bidding.guarantees.states import GuaranteeStatus
from core.db import NOW_SQL, Base, IdMixin, TimestampMixin

_STATUSES = tuple(s.value for s in GuaranteeStatus)


class GuaranteeTrustRoot(IdMixin, Base):
    """A root certificate the operator trusts for guarantor signatures or for time-stamps on them."""

    __tablename__ = "guarantee_trust_roots"
    __table_args__ = (
        CheckConstraint("kind in ('guarantor', 'timestamp')", name="kind_known"),
        UniqueConstraint("sha256", "kind", name="uq_guarantee_trust_roots_sha256_kind"),
    )

    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(Text)
    certificate_pem: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    not_after: Mapped[datetime] = mapped_column()
    added_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))


class Guarantee(IdMixin, TimestampMixin, Base):
    """A verified guarantee for one bidder and lot; the signed PDF is kept whole so it can be re-verified."""

    __tablename__ = "guarantees"
    __table_args__ = (
        CheckConstraint(f"status in {_STATUSES!r}", name="status_known"),
        UniqueConstraint("guarantor_id", "number", name="uq_guarantees_guarantor_id_number"),
        Index(
            "uq_guarantees_active_per_bidder_lot",
            "tender_id",
            "lot_id",
            "bidder_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
    )

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id"), index=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tender_lots.id"))
    bidder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    guarantor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date] = mapped_column()
    valid_until: Mapped[date] = mapped_column()
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    signer_subject: Mapped[str] = mapped_column(Text)
    timestamp_time: Mapped[datetime] = mapped_column()
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'active'"))
    status_reason: Mapped[str | None] = mapped_column(Text)
    uploaded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    opening_verified_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()


class GuaranteeMessage(IdMixin, Base):
    """A signed release (退保) or claim (索赔) statement in the guarantor's inbox."""

    __tablename__ = "guarantee_messages"
    __table_args__ = (CheckConstraint("kind in ('release', 'claim')", name="kind_known"),)

    guarantee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guarantees.id"), index=True)
    guarantor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(30))
    trigger_event_id: Mapped[uuid.UUID | None] = mapped_column()
    triggered_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()
    statement: Mapped[str] = mapped_column(Text)
    statement_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
