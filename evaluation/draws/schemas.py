"""API shapes of draws and committee seats; no expert name appears before the result is fixed (rule 39)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from core.schemas import NOT_BLANK, Out, Strict


class DrawIn(Strict):
    """Specialty codes and counts, reserves per specialty, and the tenderee's representatives (at most 1/3)."""

    specialties: dict[str, Annotated[int, msgspec.Meta(ge=1, le=49)]]
    reserves: Annotated[int, msgspec.Meta(ge=0, le=10)] = 2
    representatives: list[uuid.UUID] = msgspec.field(default_factory=list)


class LeaveIn(Strict):
    """Why a drawn expert cannot sit."""

    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=NOT_BLANK)]


class DrawOut(Out):
    """A draw round: commitment and seed, never names."""

    id: uuid.UUID
    tender_id: uuid.UUID
    round: int
    kind: str
    status: str
    requested: dict[str, int]
    reserves: int
    eligible_sha256: str
    eligible_count: int
    seed: str | None
    checkpoint_size: int | None
    published_at: datetime | None


class SeatOut(Out):
    """A seat as its own expert sees it."""

    id: uuid.UUID
    tender_id: uuid.UUID
    tender_title: str
    seat: int
    kind: str
    specialty: str | None
    status: str
