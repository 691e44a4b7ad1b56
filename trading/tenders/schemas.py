"""API shapes for tenders; there is deliberately no floor-price field anywhere (rule 10)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec

from core.schemas import NOT_BLANK, Out, Strict
from trading.tenders.rules import BondForm, Category, LegalBasis, Method

Text300 = Annotated[str, msgspec.Meta(min_length=1, max_length=300, pattern=NOT_BLANK)]
LongText = Annotated[str, msgspec.Meta(min_length=1, max_length=20000, pattern=NOT_BLANK)]
Money = Decimal  # signs and caps are judged by trading.tenders.rules


class LotIn(Strict):
    """A lot with its estimate (工程) or budget (采购) and bid bond."""

    title: Text300
    estimated_value: Money
    bid_bond_amount: Money
    description: Annotated[str, msgspec.Meta(max_length=20000)] | None = None


class TenderIn(Strict):
    """A draft tender: the agency declares every term that publication will judge."""

    title: Text300
    description: LongText
    category: Category
    legal_basis: LegalBasis
    tenderee_id: uuid.UUID
    bid_deadline: datetime
    lots: Annotated[list[LotIn], msgspec.Meta(min_length=1, max_length=100)]
    bid_validity_days: Annotated[int, msgspec.Meta(ge=1, le=365)]
    evaluation_method: Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=NOT_BLANK)]
    custodian_org_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=9)]
    escrow_quorum: Annotated[int, msgspec.Meta(ge=1, le=9)]
    committee_size: Annotated[int, msgspec.Meta(ge=1, le=49)]
    method: Method = Method.OPEN
    title_en: Annotated[str, msgspec.Meta(min_length=1, max_length=300, pattern=NOT_BLANK)] | None = None
    ceiling_price: Money | None = None
    bond_forms: list[BondForm] = msgspec.field(default_factory=lambda: [BondForm.GUARANTEE])
    scoring_template: dict[str, Any] = msgspec.field(default_factory=dict)
    decryption_window_minutes: int = 30


class AmendmentIn(Strict):
    """A clarification or amendment; under 15 days before the deadline it must carry a later deadline (rule 6)."""

    summary: Text300
    description: LongText
    new_bid_deadline: datetime | None = None
    document_ids: list[uuid.UUID] = msgspec.field(default_factory=list)


class CancelIn(Strict):
    """Why the tender is cancelled (published in the cancellation notice)."""

    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=NOT_BLANK)]


class QuestionIn(Strict):
    """A bidder's question about the tender documents."""

    question: Annotated[str, msgspec.Meta(min_length=1, max_length=5000, pattern=NOT_BLANK)]


class AnswerIn(Strict):
    """The agency's answer, published to every bidder."""

    answer: Annotated[str, msgspec.Meta(min_length=1, max_length=20000, pattern=NOT_BLANK)]


class LotOut(Out):
    """A lot."""

    id: uuid.UUID
    number: int
    title: str
    description: str | None
    estimated_value: Decimal
    bid_bond_amount: Decimal


class TenderOut(Out):
    """A tender as its readers may see it."""

    id: uuid.UUID
    title: str
    title_en: str | None
    description: str
    status: str
    category: str
    legal_basis: str
    method: str
    tenderee_id: uuid.UUID
    agency_id: uuid.UUID
    currency: str
    ceiling_price: Decimal | None
    bond_forms: list[str]
    bid_validity_days: int
    evaluation_method: str
    scoring_template: dict[str, Any]
    decryption_window_minutes: int
    custodian_org_ids: list[uuid.UUID]
    escrow_quorum: int
    committee_size: int
    bid_deadline: datetime
    published_at: datetime | None
    cancellation_reason: str | None
    lots: list[LotOut]


class DocumentOut(Out):
    """A tender document and its SHA-256 (anyone can check the bytes they got)."""

    id: uuid.UUID
    title: str
    filename: str
    media_type: str
    sha256: str
    size: int
    published_at: datetime | None


class DownloadOut(Out):
    """A recorded download (shown to the agency and regulators only after the deadline)."""

    document_id: uuid.UUID
    organization_id: uuid.UUID
    user_id: uuid.UUID
    downloaded_at: datetime


class AmendmentOut(Out):
    """A published amendment."""

    id: uuid.UUID
    number: int
    summary: str
    description: str
    previous_deadline: datetime
    bid_deadline: datetime
    published_at: datetime


class ProposalOut(Out):
    """The deadline an amendment published now would need (rule 6); null when the current one suffices."""

    current_deadline: datetime
    proposed_deadline: datetime | None
    warnings: list[str]


class QuestionOut(Out):
    """A question and its answer; `asker_organization_id` is filled for the agency only."""

    id: uuid.UUID
    question: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None
    asker_organization_id: uuid.UUID | None = None
