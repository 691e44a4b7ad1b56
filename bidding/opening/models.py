"""Tables of the opening: the opening itself, each bid's fate, escrow share releases, hall messages, objections
and confirmations of the record. The hall's truth lives here; NOTIFY only wakes the processes that serve it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from bidding.opening.states import Cause, OpenedStatus, OpeningStatus
from core.db import NOW_SQL, Base, IdMixin

_OPENING = tuple(s.value for s in OpeningStatus)
_OPENED = tuple(s.value for s in OpenedStatus)
_CAUSES = tuple(c.value for c in Cause)


class Opening(Base):
    """One opening per tender; `window_closes_at` is fixed at the start, so a restart resumes the same window."""

    __tablename__ = "openings"
    __table_args__ = (CheckConstraint(f"status in {_OPENING!r}", name="status_known"),)

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    started_at: Mapped[datetime] = mapped_column()
    window_closes_at: Mapped[datetime] = mapped_column()
    escrow_closes_at: Mapped[datetime | None] = mapped_column()
    escrow_remedy: Mapped[bool] = mapped_column()
    announced_at: Mapped[datetime | None] = mapped_column()
    failed_lots: Mapped[list[int]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    record_sha256: Mapped[str | None] = mapped_column(String(64))
    signed_record: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    signed_record_sha256: Mapped[str | None] = mapped_column(String(64))
    record_signer: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column()


class OpenedBid(Base):
    """A live bid's fate at the opening; the opening sheet is filled in at decryption and read out at 唱标."""

    __tablename__ = "opened_bids"
    __table_args__ = (
        CheckConstraint(f"status in {_OPENED!r}", name="status_known"),
        CheckConstraint(f"cause is null or cause in {_CAUSES!r}", name="cause_known"),
    )

    bid_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bids.id"), primary_key=True)
    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("openings.tender_id"), index=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tender_lots.id"))
    lot_number: Mapped[int] = mapped_column()
    bidder_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    bidder_name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    signed_in_at: Mapped[datetime | None] = mapped_column()
    opened_at: Mapped[datetime | None] = mapped_column()
    opened_by: Mapped[str | None] = mapped_column(String(20))
    client: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    sheet: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    files: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    guarantee: Mapped[str | None] = mapped_column(String(60))
    guarantee_applicant: Mapped[str | None] = mapped_column(String(300))
    cause: Mapped[str | None] = mapped_column(String(10))
    evidence: Mapped[str | None] = mapped_column(Text)


class EscrowRelease(IdMixin, Base):
    """A custodian's signed release of its escrow share for one bid; the share is erased once the bid is open."""

    __tablename__ = "escrow_releases"
    __table_args__ = (UniqueConstraint("bid_id", "custodian_org_id"),)

    bid_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("opened_bids.bid_id"), index=True)
    custodian_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    released_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    statement: Mapped[str] = mapped_column(Text)
    share: Mapped[str | None] = mapped_column(Text)
    released_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))


class HallMessage(Base):
    """One hall message; `seq` is gapless per tender so a reconnecting client asks for exactly what it missed."""

    __tablename__ = "hall_messages"
    __table_args__ = (Index("ix_hall_messages_audience", "tender_id", "audience", "seq"),)

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("openings.tender_id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    audience: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))


class HallObjection(IdMixin, Base):
    """Rule 30: an objection raised in the hall and the agency's answer given there."""

    __tablename__ = "hall_objections"

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("openings.tender_id"), index=True)
    bidder_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    raised_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column()


class RecordConfirmation(IdMixin, Base):
    """A bidder's signed confirmation or dispute of the published opening record (rule 29)."""

    __tablename__ = "opening_record_confirmations"
    __table_args__ = (
        UniqueConstraint("tender_id", "bidder_org_id"),
        CheckConstraint("verdict in ('confirm', 'dispute')", name="verdict_known"),
    )

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("openings.tender_id"))
    bidder_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    verdict: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    statement: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))


class HallAttendance(Base):
    """A signed-in user's first entry into a tender's hall: the draw reads it for rule 38 (87号令 Art 40)."""

    __tablename__ = "opening_attendance"

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    seat: Mapped[str] = mapped_column(String(20))
    first_joined_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
