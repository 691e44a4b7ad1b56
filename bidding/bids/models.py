"""Tables for bid versions and their escrow shares; the ciphertext itself lives in the blob store by SHA-256."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bidding.bids.states import BidStatus
from core.db import Base, IdMixin

_STATUSES = tuple(s.value for s in BidStatus)


class Bid(IdMixin, Base):
    """One version of one bidder's sealed bid for one lot; at most one version per bidder and lot is live."""

    __tablename__ = "bids"
    __table_args__ = (
        CheckConstraint(f"status in {_STATUSES!r}", name="status_known"),
        UniqueConstraint("tender_id", "lot_id", "bidder_org_id", "version", name="uq_bids_version"),
        Index(
            "uq_bids_live",
            "tender_id",
            "lot_id",
            "bidder_org_id",
            unique=True,
            postgresql_where=text("status = 'submitted'"),
        ),
    )

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id"), index=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tender_lots.id"))
    lot_number: Mapped[int] = mapped_column()
    bidder_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    submitted_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(20))
    ciphertext_sha256: Mapped[str] = mapped_column(String(64), index=True)
    ciphertext_size: Mapped[int] = mapped_column(BigInteger)
    recipient: Mapped[str] = mapped_column(String(100))
    statement: Mapped[str] = mapped_column(Text)
    statement_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column()
    receipt_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    receipt: Mapped[str] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column()
    withdrawal_statement: Mapped[str | None] = mapped_column(Text)
    withdrawal_receipt: Mapped[str | None] = mapped_column(Text)


class BidEscrowShare(IdMixin, Base):
    """One Shamir share of a bid's escrow identity, sealed to one custodian's age recipient (opened at issue 7)."""

    __tablename__ = "bid_escrow_shares"
    __table_args__ = (UniqueConstraint("bid_id", "custodian_org_id"),)

    bid_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"))
    custodian_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    recipient: Mapped[str] = mapped_column(String(100))
    sealed_share: Mapped[bytes] = mapped_column(LargeBinary)
