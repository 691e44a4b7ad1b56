"""Draws (抽取) and the evaluation committee (评标委员会) they seat."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, BigInteger, ForeignKey, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from core.db import NOW_SQL, Base, IdMixin


class Draw(IdMixin, Base):
    """One committed draw round; its seed exists only once a ledger checkpoint covers the commitment."""

    __tablename__ = "evaluation_draws"
    __table_args__ = (UniqueConstraint("tender_id", "round"),)

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id"), index=True)
    round: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20))
    requested: Mapped[dict[str, int]] = mapped_column(JSONB)
    reserves: Mapped[int] = mapped_column()
    eligible: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    eligible_sha256: Mapped[str] = mapped_column(String(64))
    excluded: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    commitment_seq: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    checkpoint_size: Mapped[int | None] = mapped_column(BigInteger)
    checkpoint_note: Mapped[str | None] = mapped_column(Text)
    seed: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
    drawn_at: Mapped[datetime | None] = mapped_column()
    published_at: Mapped[datetime | None] = mapped_column()


class PanelMember(IdMixin, Base):
    """A seat on a tender's committee: a drawn expert or a tenderee representative (rule 38)."""

    __tablename__ = "evaluation_panel_members"

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id"), index=True)
    draw_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("evaluation_draws.id"))
    expert_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("expert_profiles.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    specialty: Mapped[str | None] = mapped_column(String(10))
    seat: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(20))
    declared_at: Mapped[datetime | None] = mapped_column()
    declaration: Mapped[str | None] = mapped_column(Text)
    leave_reason: Mapped[str | None] = mapped_column(Text)
    replaces: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))


class DrawExclusion(Base):
    """Experts out of every further round for one tender (declined, recused): checked by later commitments."""

    __tablename__ = "evaluation_draw_exclusions"

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id"), primary_key=True)
    expert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("expert_profiles.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(40))
    members: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), server_default=text("'{}'"))
