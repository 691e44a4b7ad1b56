"""The checks every submission passes before its upload and again when it commits (rules 21-23, 33, 51)."""

from __future__ import annotations

import uuid
from typing import Any

from bidding.bids import rules, sql
from bidding.bids.errors import EscrowRefused
from core.errors import Conflict, NotFound
from core.identity.principal import Principal
from trading.parties.standing import check_not_debarred
from trading.tenders.services.access import may_read
from trading.tenders.services.suspension import ensure_not_suspended

MAX_SEALED_SHARE = 8 * 1024


def check_escrow(facts: sql.SubmissionFacts, escrow: dict[str, Any]) -> None:
    """One share per custodian of the tender, sealed to its registered recipient, with the tender's quorum."""
    if escrow["quorum"] != facts.escrow_quorum:
        raise EscrowRefused(f"escrow: the tender's quorum is {facts.escrow_quorum}")
    expected: dict[str, str] = {}
    for org_id, recipient in zip(facts.custodian_org_ids, facts.custodian_recipients, strict=True):
        if recipient is None:
            raise Conflict(f"custodian {org_id} has not registered an age recipient yet (sunbid keys init --age)")
        expected[str(org_id)] = recipient
    given = {s["custodian"]: s["recipient"] for s in escrow["shares"]}
    if len(given) != len(escrow["shares"]) or given != expected:
        raise EscrowRefused("escrow: one share per custodian, sealed to its recipient from GET /api/bids/escrow")
    if any(len(s["sealed"]) > MAX_SEALED_SHARE for s in escrow["shares"]):
        raise EscrowRefused("escrow: a sealed share is too large")


def open_for(principal: Principal, tender: sql.SubmissionFacts | sql.CommitFacts, lot: int) -> uuid.UUID:
    """The checks every submission passes twice (before the upload and when committing); the lot's id."""
    if not may_read(principal, tender):
        raise NotFound(f"tender {tender.id} does not exist")
    if tender.lot_id is None:
        raise NotFound(f"tender {tender.id} has no lot {lot}")
    ensure_not_suspended(tender)
    check_not_debarred(tender.debarred_until, tender.now)
    rules.check_open(tender.now, tender.bid_deadline, tender.status)
    return tender.lot_id
