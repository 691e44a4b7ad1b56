"""Statutory checks of the opening: rule 25 (at least three bids) and rule 26 (nothing announced early)."""

from __future__ import annotations

from collections.abc import Iterable

from bidding.opening.states import OpenedStatus

MIN_BIDS = 3


def lot_fails(bid_count: int) -> bool:
    """Rule 25: fewer than three bids for a lot -> no opening of that lot (re-tender)."""
    return bid_count < MIN_BIDS


def all_resolved(statuses: Iterable[OpenedStatus]) -> bool:
    """Rule 26: the reading may start early only when no bid of an opened lot is still sealed."""
    return all(s is not OpenedStatus.SEALED for s in statuses)
