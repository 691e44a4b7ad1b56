"""Refusals of the ledger services."""

from __future__ import annotations

from core.errors import Conflict, InvalidInput


class ProofOutOfRange(InvalidInput):
    """A proof or range was asked for beyond the current tree."""

    code = "ledger-out-of-range"
    title = "Outside the ledger"


class LedgerCorrupt(Conflict):
    """The stored ledger contradicts itself or a signed checkpoint; nothing more is signed until repaired."""

    status = 500
    code = "ledger-corrupt"
    title = "Ledger corrupt"
