"""API shapes of the expert pool."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

import msgspec

from core.schemas import NOT_BLANK, Out, Strict


class QualificationDocument(Strict):
    """A qualification document the operator examined, by title and SHA-256."""

    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    sha256: Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]


class QualificationIn(Strict):
    """The operator's verdict on an expert's documents."""

    approved: bool
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    documents: list[QualificationDocument] = msgspec.field(default_factory=list)


class SuspensionIn(Strict):
    """Why and until when an expert is out of the pool."""

    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=NOT_BLANK)]
    until: datetime | None = None


class ExpertOut(Out):
    """An expert's profile (operator, regulator, or the expert itself)."""

    id: uuid.UUID
    pool_number: str
    name: str
    user_id: uuid.UUID | None
    specialties: list[str]
    title: str
    title_level: str
    practice_since: date
    employer_name: str
    employer_credit_code: str | None
    past_employers: list[dict[str, Any]]
    declared_relations: list[dict[str, Any]]
    region: str
    status: str
    qualification: dict[str, Any] | None
    suspended_until: datetime | None
    suspension_reason: str | None
    sanctioned_until: datetime | None
    sanction_reason: str | None


class ImportOut(Out):
    """What a CSV import did."""

    created: int
    updated: int
    experts: list[uuid.UUID]
