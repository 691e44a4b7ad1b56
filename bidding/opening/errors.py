"""Refusals of the opening hall, each with its own problem type."""

from __future__ import annotations

from typing import Any

from core.errors import Conflict, InvalidInput, NotFound, RuleViolation


class OpeningNotFound(NotFound):
    """The tender has no opening (yet): its deadline has not passed."""

    code = "opening-not-found"
    title = "No opening"


class WindowClosed(RuleViolation):
    """Rule 26: the decryption window (or the escrow period) is not open."""

    status = 409
    code = "decryption-window-closed"
    title = "Decryption window closed"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(26, detail, **extra)


class WrongIdentity(InvalidInput):
    """The released identity is not the recipient committed at submission for any of the caller's bids."""

    code = "identity-mismatch"
    title = "Identity does not match the committed recipient"


class NotYetAnnounced(Conflict):
    """Rule 26: nothing is read out, and no record exists, before every bid is decrypted or the window closes."""

    code = "not-yet-announced"
    title = "Not yet announced"


class RecordRefused(InvalidInput):
    """The uploaded opening record is not the rendered record signed by the tender's agency."""

    code = "opening-record-refused"
    title = "Opening record refused"


class ShareRefused(InvalidInput):
    """An escrow share release does not verify or does not fit the bid."""

    code = "escrow-share-refused"
    title = "Escrow share refused"
