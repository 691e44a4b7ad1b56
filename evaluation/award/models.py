"""The award per lot: candidate publicity, the decision, the award notice and the contract and report clocks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import NOW_SQL, Base, IdMixin


class Award(IdMixin, Base):
    """One lot's way from the signed report to the contract; each due date comes from core.calendar."""

    __tablename__ = "evaluation_awards"
    __table_args__ = (UniqueConstraint("tender_id", "lot_number"),)

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id"), index=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tender_lots.id"))
    lot_number: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(30), index=True)
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    publicity_ends_at: Mapped[datetime | None] = mapped_column()
    decision_due: Mapped[datetime | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    winner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))
    winner_rank: Mapped[int | None] = mapped_column()
    decision_reason: Mapped[str | None] = mapped_column(Text)
    notified_at: Mapped[datetime | None] = mapped_column()
    notice: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    notice_statement: Mapped[str | None] = mapped_column(Text)
    contract_due: Mapped[datetime | None] = mapped_column()
    regulator_report_due: Mapped[datetime | None] = mapped_column()
    contract_outcome_at: Mapped[datetime | None] = mapped_column()
    regulator_reported_at: Mapped[datetime | None] = mapped_column()
    overdue: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
