"""Accountability records: warnings, expert-pool suspensions and debarments, each bound to its journal event."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import NOW_SQL, Base, IdMixin

KINDS = ("warning", "expert_suspension", "debarment")


class AccountabilityRecord(IdMixin, Base):
    """A regulator's sanction with its reason; `event_sha256` is the journaled payload hash the ledger covers."""

    __tablename__ = "accountability_records"
    __table_args__ = (CheckConstraint(f"kind in {KINDS!r}", name="kind_known"),)

    kind: Mapped[str] = mapped_column(String(20), index=True)
    target_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    target_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    tender_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenders.id"), index=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("supervision_cases.id"))
    rule: Mapped[int | None] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    until: Mapped[datetime | None] = mapped_column()
    issued_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    issuer_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    issued_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
    event_id: Mapped[uuid.UUID | None] = mapped_column()
    event_sha256: Mapped[str | None] = mapped_column(String(64))
