"""A tender's life from draft to completion: statuses and the transitions the law allows, as pure functions."""

from __future__ import annotations

from enum import StrEnum

from core.errors import a
from trading.tenders.errors import IllegalTransition


class TenderStatus(StrEnum):
    """Where a tender stands; later issues drive the statuses after `published`."""

    DRAFT = "draft"
    PUBLISHED = "published"
    BIDDING_CLOSED = "bidding_closed"  # the deadline passed; the opening is under way
    OPENED = "opened"
    EVALUATING = "evaluating"
    CANDIDATES_PUBLICIZED = "candidates_publicized"
    AWARDED = "awarded"
    CONTRACTED = "contracted"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"


S = TenderStatus

TRANSITIONS: dict[TenderStatus, frozenset[TenderStatus]] = {
    S.DRAFT: frozenset({S.PUBLISHED, S.CANCELLED}),
    S.PUBLISHED: frozenset({S.BIDDING_CLOSED, S.CANCELLED, S.SUSPENDED, S.FAILED}),
    S.BIDDING_CLOSED: frozenset({S.OPENED, S.FAILED, S.CANCELLED, S.SUSPENDED}),
    S.OPENED: frozenset({S.EVALUATING, S.FAILED, S.SUSPENDED}),
    S.EVALUATING: frozenset({S.CANDIDATES_PUBLICIZED, S.FAILED, S.SUSPENDED}),
    S.CANDIDATES_PUBLICIZED: frozenset({S.AWARDED, S.FAILED, S.SUSPENDED}),
    S.AWARDED: frozenset({S.CONTRACTED, S.FAILED, S.SUSPENDED}),
    S.CONTRACTED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
    S.SUSPENDED: frozenset({S.CANCELLED, S.FAILED}),
}

SUSPENDABLE = frozenset(s for s, targets in TRANSITIONS.items() if S.SUSPENDED in targets)
TERMINAL = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
PUBLIC = frozenset(set(TenderStatus) - {S.DRAFT})


def can_transition(current: TenderStatus, target: TenderStatus) -> bool:
    """True when the law lets a tender go from `current` to `target` directly."""
    return target in TRANSITIONS[current]


def transition(current: TenderStatus, target: TenderStatus) -> TenderStatus:
    """The new status, or IllegalTransition naming both ends."""
    if not can_transition(current, target):
        raise IllegalTransition(f"{a(current.value)} tender cannot become {target.value}")
    return target


def resume(current: TenderStatus, before_suspension: TenderStatus | None) -> TenderStatus:
    """Lift a suspension: back to exactly the status the tender was suspended from."""
    if current is not S.SUSPENDED or before_suspension is None or before_suspension not in SUSPENDABLE:
        raise IllegalTransition(f"{a(current.value)} tender has no suspension to lift")
    return before_suspension
