"""Tables for tenders, lots, documents and their downloads, amendments, questions and published notices."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import NOW_SQL, Base, IdMixin, TimestampMixin
from trading.tenders.states import TenderStatus

_STATUSES = tuple(s.value for s in TenderStatus)
MONEY = Numeric(18, 2)


class Tender(IdMixin, TimestampMixin, Base):
    """A tender (招标项目) run by an agency for a tenderee; no floor-price column exists (rule 10)."""

    __tablename__ = "tenders"
    __table_args__ = (
        CheckConstraint(f"status in {_STATUSES!r}", name="status_known"),
        CheckConstraint("category in ('works', 'goods', 'services')", name="category_known"),
        CheckConstraint("legal_basis in ('tendering_law', 'procurement_law')", name="legal_basis_known"),
        CheckConstraint("method in ('open', 'invited')", name="method_known"),
        CheckConstraint("escrow_quorum >= 1 and escrow_quorum <= cardinality(custodian_org_ids)", name="quorum_fits"),
    )

    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(10))
    legal_basis: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(10))
    tenderee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3), server_default=text("'CNY'"))
    ceiling_price: Mapped[Decimal | None] = mapped_column(MONEY)
    bond_forms: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    bid_validity_days: Mapped[int] = mapped_column()
    evaluation_method: Mapped[str] = mapped_column(String(40))
    scoring_template: Mapped[dict[str, Any]] = mapped_column(JSONB)
    decryption_window_minutes: Mapped[int] = mapped_column()
    custodian_org_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    escrow_quorum: Mapped[int] = mapped_column()
    committee_size: Mapped[int] = mapped_column()
    bid_deadline: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(30), index=True)
    status_before_suspension: Mapped[str | None] = mapped_column(String(30))
    published_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))

    lots: Mapped[list[TenderLot]] = relationship(
        back_populates="tender", lazy="selectin", order_by="TenderLot.number", cascade="all, delete-orphan"
    )


class TenderLot(IdMixin, Base):
    """A lot (标段/包) with its own estimate or budget and bid bond."""

    __tablename__ = "tender_lots"
    __table_args__ = (UniqueConstraint("tender_id", "number"),)

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    estimated_value: Mapped[Decimal] = mapped_column(MONEY)
    bid_bond_amount: Mapped[Decimal] = mapped_column(MONEY)

    tender: Mapped[Tender] = relationship(back_populates="lots", lazy="raise")


class TenderDocument(IdMixin, Base):
    """A tender document stored content-addressed by SHA-256; public once its notice is published."""

    __tablename__ = "tender_documents"

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
    published_at: Mapped[datetime | None] = mapped_column()


class DocumentDownload(IdMixin, Base):
    """Who downloaded which document; secret until the bid deadline (rule 12)."""

    __tablename__ = "tender_document_downloads"

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tender_documents.id", ondelete="CASCADE"), index=True)
    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    downloaded_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))


class TenderAmendment(IdMixin, Base):
    """A clarification or amendment (澄清或者修改) and the deadline it leaves in force (rule 6)."""

    __tablename__ = "tender_amendments"
    __table_args__ = (UniqueConstraint("tender_id", "number"),)

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    summary: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    previous_deadline: Mapped[datetime] = mapped_column()
    bid_deadline: Mapped[datetime] = mapped_column()
    published_at: Mapped[datetime] = mapped_column()
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class TenderQuestion(IdMixin, Base):
    """A bidder's question; the answer goes to everyone, the asker is known to the agency only."""

    __tablename__ = "tender_questions"

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    asker_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    asker_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column()
    answered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class TenderNotice(IdMixin, Base):
    """A published notice (招标公告, 变更公告, 终止公告): an immutable snapshot of what was announced."""

    __tablename__ = "tender_notices"
    __table_args__ = (CheckConstraint("kind in ('tender', 'amendment', 'cancellation')", name="kind_known"),)

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(400))
    title_en: Mapped[str | None] = mapped_column(String(400))
    published_at: Mapped[datetime] = mapped_column(index=True)
    amendment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tender_amendments.id"))
    content: Mapped[dict[str, Any]] = mapped_column(JSONB)


class ContractHold(IdMixin, Base):
    """A hold on signing the tender's contracts set by supervision for one case (rule 66); open while not lifted."""

    __tablename__ = "tender_contract_holds"
    __table_args__ = (
        Index(
            "uq_tender_contract_holds_open",
            "tender_id",
            "case_id",
            unique=True,
            postgresql_where=text("lifted_at is null"),
        ),
    )

    tender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenders.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column()
    rule: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    set_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))
    lifted_at: Mapped[datetime | None] = mapped_column()
