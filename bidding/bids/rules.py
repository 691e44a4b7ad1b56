"""Statutory checks for bids, pure functions: rule 21 (encrypted only) and rule 22 (hard cutoff at the deadline)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bidding.bids.errors import BidNotEncrypted, BidSubmissionClosed, StatementRefused
from core.calendar import beijing
from signing.envelope import AGE_MAGIC, is_age_file, is_valid_recipient
from signing.sealed_bid import SUBMISSION_TYPE, WITHDRAWAL_TYPE

HEAD_LIMIT = 4096
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SUBMISSION_FIELDS = frozenset(
    {"type", "tender", "lot", "bidder", "sha256", "size", "recipient", "version", "escrow_sha256"}
)
_WITHDRAWAL_FIELDS = frozenset({"type", "bid", "tender", "lot", "bidder", "version"})


def check_open(now: datetime, deadline: datetime, status: str) -> None:
    """Rule 22: accepted strictly before the deadline by the database clock, and only while published."""
    if status != "published":
        raise BidSubmissionClosed(
            f"the tender is {status}: bids are submitted and withdrawn only while it is published, before its deadline"
        )
    if now >= deadline:
        raise BidSubmissionClosed(
            f"the bid deadline {beijing(deadline)} has passed (database time {beijing(now)}); "
            "anything later is refused and an upload not complete by the deadline counts as withdrawn"
        )


def head_verdict(head: bytes, complete: bool) -> bool | None:
    """Rule 21 on the first bytes: True when age, None when more bytes are needed, else BidNotEncrypted."""
    if is_age_file(head):
        return True
    probe = head[: len(AGE_MAGIC)]
    if not AGE_MAGIC.startswith(probe) or complete or len(head) >= HEAD_LIMIT:
        raise BidNotEncrypted(
            "the upload is not an age v1 encrypted file (it must start with 'age-encryption.org/v1'); "
            "seal it on your machine first (sunbid bid seal) and upload the .age file"
        )
    return None


@dataclass(frozen=True)
class Submission:
    """The fields of a verified submission statement."""

    tender_id: uuid.UUID
    lot: int
    bidder_id: uuid.UUID
    sha256: str
    size: int
    recipient: str
    version: int
    escrow_sha256: str


def _uuid(value: Any, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise StatementRefused(f"statement field {name!r} is not a UUID") from exc


INT4_MAX = 2**31 - 1
"""Lot numbers and versions are PostgreSQL integers: a larger one is refused here, alone, not by a grouped
statement it would share with other bidders' uploads."""


def _positive(value: Any, name: str, maximum: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise StatementRefused(f"statement field {name!r} must be a positive integer")
    if maximum is not None and value > maximum:
        raise StatementRefused(f"statement field {name!r} must be at most {maximum}")
    return value


def _hex(value: Any, name: str) -> str:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise StatementRefused(f"statement field {name!r} must be a lowercase hex SHA-256")
    return value


def _fields(payload: dict[str, Any], kind: str, fields: frozenset[str]) -> None:
    if payload.get("type") != kind:
        raise StatementRefused(f"the statement's type must be {kind!r}")
    if set(payload) != fields:
        raise StatementRefused(f"the statement must have exactly the fields {sorted(fields)}")


def parse_submission(payload: dict[str, Any]) -> Submission:
    """A submission statement's payload, with every field typed; refuses extra or missing fields."""
    _fields(payload, SUBMISSION_TYPE, _SUBMISSION_FIELDS)
    recipient = payload["recipient"]
    if not isinstance(recipient, str) or not is_valid_recipient(recipient):
        raise StatementRefused("statement field 'recipient' is not an age X25519 recipient")
    return Submission(
        tender_id=_uuid(payload["tender"], "tender"),
        lot=_positive(payload["lot"], "lot", INT4_MAX),
        bidder_id=_uuid(payload["bidder"], "bidder"),
        sha256=_hex(payload["sha256"], "sha256"),
        size=_positive(payload["size"], "size"),
        recipient=recipient,
        version=_positive(payload["version"], "version", INT4_MAX),
        escrow_sha256=_hex(payload["escrow_sha256"], "escrow_sha256"),
    )


def check_withdrawal(payload: dict[str, Any], expected: dict[str, Any]) -> None:
    """The withdrawal statement names exactly this bid, tender, lot, bidder and version."""
    _fields(payload, WITHDRAWAL_TYPE, _WITHDRAWAL_FIELDS)
    for key, value in expected.items():
        if payload.get(key) != value:
            raise StatementRefused(f"the withdrawal statement's {key!r} does not match the bid")
