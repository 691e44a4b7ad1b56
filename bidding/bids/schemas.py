"""API shapes for bids; the receipt travels as its exact canonical JSON text so it verifies byte for byte."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from core.schemas import Out, Strict


class CustodianOut(Out):
    """A custodian and the age recipient its escrow share is sealed to."""

    organization_id: uuid.UUID
    name: str
    recipient: str


class EscrowOut(Out):
    """What `sunbid bid seal` needs: the quorum k and the n custodians."""

    tender_id: uuid.UUID
    quorum: int
    custodians: list[CustodianOut]


class BidOut(Out):
    """One bid version as its bidder (or, after the deadline, an overseer) sees it."""

    id: uuid.UUID
    tender_id: uuid.UUID
    lot: int
    bidder_org_id: uuid.UUID
    version: int
    status: str
    sha256: str
    size: int
    recipient: str
    received_at: datetime
    receipt_id: uuid.UUID
    withdrawn_at: datetime | None = None


class ReceiptOut(Out):
    """A bid as just committed, with its platform-signed, time-stamped receipt."""

    bid: BidOut
    receipt: str


class WithdrawIn(Strict):
    """The bidder's signed withdrawal statement (wire JSON of a SignedStatement)."""

    statement: str = msgspec.field()


class WithdrawOut(Out):
    """The withdrawn version and the platform's signed withdrawal receipt."""

    bid: BidOut
    receipt: str


class SweepOut(Out):
    """The sweep ran; counts are kept out of the answer on purpose (docs/security.md)."""

    swept: bool
