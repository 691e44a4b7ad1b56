"""A bid version's life: submitted, then superseded by a newer version or withdrawn, both only before the deadline."""

from __future__ import annotations

from enum import StrEnum

from core.errors import Conflict


class BidStatus(StrEnum):
    """Only one version per bidder and lot is `submitted` at a time."""

    SUBMITTED = "submitted"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"


TRANSITIONS: dict[BidStatus, frozenset[BidStatus]] = {
    BidStatus.SUBMITTED: frozenset({BidStatus.SUPERSEDED, BidStatus.WITHDRAWN}),
    BidStatus.SUPERSEDED: frozenset(),
    BidStatus.WITHDRAWN: frozenset(),
}


def transition(current: BidStatus, target: BidStatus) -> BidStatus:
    """The new status, or Conflict naming both ends."""
    if target not in TRANSITIONS[current]:
        raise Conflict(f"a {current.value} bid cannot become {target.value}")
    return target
