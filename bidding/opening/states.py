"""An opening's phases and a bid's fate at the opening, as pure transitions."""

from __future__ import annotations

from enum import StrEnum

from core.errors import Conflict, a


class OpeningStatus(StrEnum):
    """Decrypting until the window closes (or all bids are open); escrow while custodians may still open bids."""

    DECRYPTING = "decrypting"
    ESCROW = "escrow"
    ANNOUNCED = "announced"
    PUBLISHED = "published"
    FAILED = "failed"


class OpenedStatus(StrEnum):
    """What became of one bid at the opening (rule 27 for the undecrypted ones)."""

    SEALED = "sealed"
    DECRYPTED = "decrypted"
    ESCROW_OPENED = "escrow_opened"
    UNDECRYPTED = "undecrypted"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"
    UNOPENED = "unopened"


class Cause(StrEnum):
    """Whose fault a decryption failure is (电子招标投标办法 Art 31)."""

    BIDDER = "bidder"
    PLATFORM = "platform"
    CA = "ca"


S, B = OpeningStatus, OpenedStatus

TRANSITIONS: dict[OpeningStatus, frozenset[OpeningStatus]] = {
    S.DECRYPTING: frozenset({S.ESCROW, S.ANNOUNCED, S.FAILED}),
    S.ESCROW: frozenset({S.ANNOUNCED}),
    S.ANNOUNCED: frozenset({S.PUBLISHED}),
    S.PUBLISHED: frozenset(),
    S.FAILED: frozenset(),
}

BID_TRANSITIONS: dict[OpenedStatus, frozenset[OpenedStatus]] = {
    B.SEALED: frozenset({B.DECRYPTED, B.UNDECRYPTED, B.UNOPENED}),
    B.UNDECRYPTED: frozenset({B.ESCROW_OPENED, B.REVOKED, B.WITHDRAWN}),
    B.DECRYPTED: frozenset(),
    B.ESCROW_OPENED: frozenset(),
    B.REVOKED: frozenset(),
    B.WITHDRAWN: frozenset(),
    B.UNOPENED: frozenset(),
}

READABLE = frozenset({B.DECRYPTED, B.ESCROW_OPENED})


def transition(current: OpeningStatus, target: OpeningStatus) -> OpeningStatus:
    """The new phase, or Conflict naming both ends."""
    if target not in TRANSITIONS[current]:
        raise Conflict(f"an opening that is {current.value} cannot become {target.value}")
    return target


def bid_transition(current: OpenedStatus, target: OpenedStatus) -> OpenedStatus:
    """The bid's new fate, or Conflict naming both ends."""
    if target not in BID_TRANSITIONS[current]:
        raise Conflict(f"{a(current.value)} bid cannot become {target.value} at the opening")
    return target


def failure_consequence(cause: Cause) -> OpenedStatus:
    """Rule 27: the bidder's fault revokes the bid (guarantee claimed); anyone else's withdraws it."""
    return B.REVOKED if cause is Cause.BIDDER else B.WITHDRAWN
