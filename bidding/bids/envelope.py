"""A submission's envelope: the signed statement and the escrow bundle from the request headers, verified before
any byte of ciphertext is accepted."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from bidding.bids import rules
from bidding.bids.errors import EscrowRefused, StatementRefused
from bidding.bids.platform import BidPlatform
from signing.sealed_bid import parse_escrow_bundle
from signing.statements import SignedStatement, StatementInvalid, verify_statement

RECEIPT_TYPE = "sunbid.bid-receipt/v1"


@dataclass(frozen=True)
class Envelope:
    """The request's signed statement and escrow bundle, decoded but not yet checked against the database."""

    statement: SignedStatement
    payload: dict[str, Any]
    submission: rules.Submission
    escrow: dict[str, Any]


def _b64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise StatementRefused(f"{what} is not base64") from exc


def verified_statement(platform: BidPlatform, text: str | bytes) -> tuple[SignedStatement, dict[str, Any]]:
    """A statement whose signature, canonical form and certificate chain to the platform CA all check."""
    try:
        statement = SignedStatement.from_json(text)
        return statement, verify_statement(statement, platform.trust_roots)
    except StatementInvalid as exc:
        raise StatementRefused(f"the signed statement does not verify: {exc.reason}") from exc


def decode_envelope(platform: BidPlatform, statement_b64: str, escrow_b64: str) -> Envelope:
    """Header values -> a verified statement and an escrow bundle whose hash the statement signs."""
    statement, payload = verified_statement(platform, _b64(statement_b64, "the statement header"))
    submission = rules.parse_submission(payload)
    escrow_bytes = _b64(escrow_b64, "the escrow header")
    if hashlib.sha256(escrow_bytes).hexdigest() != submission.escrow_sha256:
        raise StatementRefused("the escrow shares are not the ones the statement signs (escrow_sha256 differs)")
    try:
        escrow = parse_escrow_bundle(escrow_bytes)
    except (ValueError, binascii.Error) as exc:
        raise EscrowRefused(f"escrow: {exc}") from exc
    return Envelope(statement, payload, submission, escrow)
