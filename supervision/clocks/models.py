"""Tables for statutory clocks and the yellow and red cards they raise."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import NOW_SQL, Base, IdMixin

CLOCK_STATES = ("running", "yellow", "red", "paused", "met", "cancelled")
COLOURS = ("yellow", "red")


class StatutoryClock(IdMixin, Base):
    """One running statutory period for one subject; the organization that must act before `due_at`."""

    __tablename__ = "supervision_clocks"
    __table_args__ = (
        CheckConstraint(f"state in {CLOCK_STATES!r}", name="state_known"),
        CheckConstraint("yellow_at <= due_at and started_at <= yellow_at", name="times_ordered"),
        Index("ix_supervision_clocks_open_due", "state", "due_at"),
    )

    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[uuid.UUID] = mapped_column(index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    tender_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenders.id"), index=True)
    rule: Mapped[int] = mapped_column()
    label: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))
    days: Mapped[int] = mapped_column()
    responsible_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    started_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()
    yellow_at: Mapped[datetime] = mapped_column()
    state: Mapped[str] = mapped_column(String(10), server_default=text("'running'"))
    ended_at: Mapped[datetime | None] = mapped_column()


class ClockCard(IdMixin, Base):
    """A yellow (80 % elapsed) or red (overdue) card to the responsible organization and the regulators."""

    __tablename__ = "supervision_cards"
    __table_args__ = (
        CheckConstraint(f"colour in {COLOURS!r}", name="colour_known"),
        UniqueConstraint("clock_id", "colour", name="uq_supervision_cards_clock_colour"),
    )

    clock_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("supervision_clocks.id", ondelete="CASCADE"))
    colour: Mapped[str] = mapped_column(String(10), index=True)
    rule: Mapped[int] = mapped_column(index=True)
    label: Mapped[str] = mapped_column(String(200))
    tender_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    responsible_org_id: Mapped[uuid.UUID] = mapped_column(index=True)
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[uuid.UUID] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()
    raised_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL), index=True)


class ClockPause(IdMixin, Base):
    """Time excluded from a period (条例 Art 62; 94号令 Art 27): testing, appraisal, expert review, supplementing."""

    __tablename__ = "supervision_clock_pauses"
    __table_args__ = (
        CheckConstraint("ended_at is null or ended_at >= started_at", name="times_ordered"),
        Index("uq_supervision_clock_pauses_open", "clock_id", unique=True, postgresql_where=text("ended_at is null")),
    )

    clock_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("supervision_clocks.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column()
    started_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime | None] = mapped_column()
    ended_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    excluded_days: Mapped[int | None] = mapped_column()
    due_before: Mapped[datetime] = mapped_column()
    due_after: Mapped[datetime | None] = mapped_column()
