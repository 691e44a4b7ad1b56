"""The evaluation record: compliance reviews, signed score sheets, clarifications and committee votes."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ARRAY, ForeignKey, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import NOW_SQL, Base, IdMixin

SCORE = Numeric(8, 2)


class Evaluation(Base):
    """A tender's evaluation as a whole; a suspended tender's evaluation refuses every act."""

    __tablename__ = "evaluations"

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    extended: Mapped[bool] = mapped_column(server_default=text("false"))
    lot_outcomes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    chair_member_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("evaluation_panel_members.id"))
    decisions: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    started_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))


class BidReview(IdMixin, Base):
    """One member's qualification and compliance verdict on one bid (rule 50 grounds when failed)."""

    __tablename__ = "evaluation_reviews"
    __table_args__ = (UniqueConstraint("member_id", "lot_number", "bidder_id"),)

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id"), index=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evaluation_panel_members.id"))
    lot_number: Mapped[int] = mapped_column()
    bidder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    passed: Mapped[bool] = mapped_column()
    grounds: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))


class ScoreSheet(IdMixin, Base):
    """A member's signed scores for one bid; locked once stored, replaced only for a rule-53 reason."""

    __tablename__ = "evaluation_scores"

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id"), index=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evaluation_panel_members.id"), index=True)
    lot_number: Mapped[int] = mapped_column()
    bidder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    version: Mapped[int] = mapped_column()
    criteria: Mapped[dict[str, str]] = mapped_column(JSONB)
    subjective_total: Mapped[Decimal] = mapped_column(SCORE)
    statement: Mapped[str] = mapped_column(Text)
    statement_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    change_reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))


class Clarification(IdMixin, Base):
    """Rule 49: an abnormally low bid must explain itself by a deadline in a signed reply, or it is invalid."""

    __tablename__ = "evaluation_clarifications"

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id"), index=True)
    lot_number: Mapped[int] = mapped_column()
    bidder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    deadline: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(20))
    reply_statement: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))


class CommitteeVote(IdMixin, Base):
    """A member's vote on a committee question: more time (rule 41), the chair (38), rejecting all bids (52)."""

    __tablename__ = "evaluation_votes"
    __table_args__ = (UniqueConstraint("tender_id", "member_id", "kind"),)

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id"), index=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evaluation_panel_members.id"))
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    choice: Mapped[str | None] = mapped_column(String(40))
    statement: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
