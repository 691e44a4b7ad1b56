"""A bid version's life: submitted, then superseded by a newer version or withdrawn, both only before the deadline."""

from __future__ import annotations

from enum import StrEnum

from core.errors import Conflict, a


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
        raise Conflict(f"{a(current.value)} bid cannot become {target.value}")
    return target


def withdrawal(current: BidStatus, version: int) -> BidStatus:
    """Rule 23 on one version: only the live version can be withdrawn, and the refusal says what to do instead."""
    if current is BidStatus.SUPERSEDED:
        raise Conflict(f"version {version} was superseded by a later version; only your live version can be withdrawn")
    if current is BidStatus.WITHDRAWN:
        raise Conflict(f"version {version} is already withdrawn")
    return transition(current, BidStatus.WITHDRAWN)
