"""The evaluation report (评标报告): the rendered PDF, each member's signature or refusal, and the ranking."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import NOW_SQL, Base, IdMixin


class EvaluationReport(IdMixin, Base):
    """The report as it grows: every signature appends an incremental revision to `pdf`."""

    __tablename__ = "evaluation_reports"

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    results: Mapped[dict[str, Any]] = mapped_column(JSONB)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
    signed_at: Mapped[datetime | None] = mapped_column()


class ReportSignature(IdMixin, Base):
    """A member's act on the report: signed (with any dissent) or refused (without reason = agreement, rule 54)."""

    __tablename__ = "evaluation_report_signatures"
    __table_args__ = (UniqueConstraint("report_id", "member_id"),)

    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evaluation_reports.id"))
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evaluation_panel_members.id"))
    action: Mapped[str] = mapped_column(String(20))
    dissent: Mapped[str | None] = mapped_column(Text)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
