"""The risk signal table: one row per pattern per tender, with the evidence that raised it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from core.db import NOW_SQL, Base, IdMixin


class RiskSignal(IdMixin, Base):
    """A same-source or price pattern among opened bids; raised once per (tender, kind, fingerprint)."""

    __tablename__ = "risk_signals"
    __table_args__ = (UniqueConstraint("tender_id", "kind", "fingerprint", name="uq_risk_signals_pattern"),)

    tender_id: Mapped[uuid.UUID] = mapped_column(index=True)
    lot: Mapped[int | None] = mapped_column()
    kind: Mapped[str] = mapped_column(String(30), index=True)
    rule: Mapped[int] = mapped_column()
    fingerprint: Mapped[str] = mapped_column(String(200))
    bidder_org_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB)
    raised_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
