"""API shapes for guarantees, their trusted roots and the guarantor inbox."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec

from core.schemas import Out, Strict


class TrustRootIn(Strict):
    """A CA certificate the operator trusts for guarantor signatures or their time-stamps."""

    certificate_pem: Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    kind: Literal["guarantor", "timestamp"] = "guarantor"


class TrustRootOut(Out):
    """A trusted root."""

    id: uuid.UUID
    kind: str
    name: str
    subject: str
    sha256: str
    not_after: dt.datetime
    added_at: dt.datetime


class GuaranteeOut(Out):
    """A lodged guarantee (its structured data as signed, and where it stands)."""

    id: uuid.UUID
    tender_id: uuid.UUID
    lot_id: uuid.UUID
    bidder_id: uuid.UUID
    guarantor_id: uuid.UUID
    number: str
    amount: str
    currency: str
    valid_from: dt.date
    valid_until: dt.date
    signer_subject: str
    timestamp_time: dt.datetime
    pdf_sha256: str
    status: str
    status_reason: str | None
    opening_verified_at: dt.datetime | None
    data: dict[str, Any]
    created_at: dt.datetime


class OpeningCheckOut(Out):
    """One guarantee's result when re-verified at the opening."""

    guarantee_id: uuid.UUID
    valid: bool
    problem: str | None


class MessageOut(Out):
    """A release (退保) or claim (索赔) in the guarantor's inbox, with the platform-signed statement."""

    id: uuid.UUID
    guarantee_id: uuid.UUID
    kind: str
    reason: str
    triggered_at: dt.datetime
    due_at: dt.datetime
    statement: str
    statement_sha256: str
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
