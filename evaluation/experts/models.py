"""The expert pool (评标专家库): profiles with specialties, titles, employment history and declared relations."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ARRAY, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, IdMixin, TimestampMixin
from evaluation.experts.states import ExpertStatus, TitleLevel

_STATUSES = tuple(s.value for s in ExpertStatus)
_LEVELS = tuple(t.value for t in TitleLevel)


class ExpertProfile(IdMixin, TimestampMixin, Base):
    """One expert; employers and relations are kept by 统一社会信用代码 so conflicts can be checked (rule 37)."""

    __tablename__ = "expert_profiles"
    __table_args__ = (
        CheckConstraint(f"status in {_STATUSES!r}", name="status_known"),
        CheckConstraint(f"title_level in {_LEVELS!r}", name="title_level_known"),
    )

    pool_number: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    specialties: Mapped[list[str]] = mapped_column(ARRAY(String(10)))
    title: Mapped[str] = mapped_column(String(60))
    title_level: Mapped[str] = mapped_column(String(20))
    practice_since: Mapped[date] = mapped_column(Date)
    employer_name: Mapped[str] = mapped_column(String(200))
    employer_credit_code: Mapped[str | None] = mapped_column(String(18))
    past_employers: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    declared_relations: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    region: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(20))
    qualification: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    suspended_until: Mapped[datetime | None] = mapped_column()
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    sanctioned_until: Mapped[datetime | None] = mapped_column()
    """A regulator's suspension (an accountability record): out of every draw until then, whatever the operator's
    status says; only a regulator sets it, so the operator cannot lift it."""
    sanction_reason: Mapped[str | None] = mapped_column(Text)
