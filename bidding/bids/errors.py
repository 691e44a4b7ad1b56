"""Refusals of the bid service; none of them may differ in a way that reveals another bidder's bid."""

from __future__ import annotations

from typing import Any

from core.errors import Conflict, InvalidInput, NotFound, RuleViolation


class BidSubmissionClosed(RuleViolation):
    """Rule 22: the deadline has passed (or the tender is not open), so nothing more is accepted or withdrawn."""

    status = 409
    code = "bid-submission-closed"
    title = "Bid submission closed"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(22, detail, **extra)


class BidNotEncrypted(RuleViolation):
    """Rule 21: the upload is not an age v1 file, so it is refused and the bidder is told why."""

    status = 415
    code = "bid-not-encrypted"
    title = "Bid not encrypted"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(21, detail, **extra)


class BidsSealed(Conflict):
    """Bid activity is hidden until the deadline, from every role alike (招标投标法 Art 22)."""

    code = "bids-sealed"
    title = "Bids sealed until the deadline"


class BidNotFound(NotFound):
    """One wording for a missing bid and another bidder's bid, so existence never leaks."""

    code = "not-found"

    def __init__(self) -> None:
        super().__init__("no such bid")


class StatementRefused(InvalidInput):
    """The submission or withdrawal statement does not verify or does not match the request."""

    code = "statement-refused"
    title = "Signed statement refused"


class CiphertextMismatch(InvalidInput):
    """The uploaded bytes are not the ones the statement signs (hash or size differs)."""

    code = "ciphertext-mismatch"
    title = "Ciphertext does not match the statement"


class EscrowRefused(InvalidInput):
    """The escrow shares do not match the tender's custodians and quorum."""

    code = "escrow-refused"
    title = "Escrow shares refused"
