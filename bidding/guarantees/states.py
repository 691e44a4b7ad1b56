"""A guarantee's life: lodged and active until it is released (退保), claimed (索赔) or found invalid at the opening;
one a guarantor lodges is an offer until its bidder accepts it."""

from __future__ import annotations

from enum import StrEnum

from bidding.guarantees.errors import GuaranteeClosed
from core.errors import a


class GuaranteeStatus(StrEnum):
    """Where a lodged guarantee stands."""

    OFFERED = "offered"
    DECLINED = "declined"
    ACTIVE = "active"
    RELEASED = "released"
    CLAIMED = "claimed"
    INVALID = "invalid"


S = GuaranteeStatus
UNANSWERED = (S.OFFERED.value, S.DECLINED.value)
"""Guarantor-lodged guarantees the bidder never accepted: they count for nothing at the opening."""

TRANSITIONS: dict[GuaranteeStatus, frozenset[GuaranteeStatus]] = {
    S.OFFERED: frozenset({S.ACTIVE, S.DECLINED}),
    S.DECLINED: frozenset(),
    S.ACTIVE: frozenset({S.RELEASED, S.CLAIMED, S.INVALID}),
    S.INVALID: frozenset({S.RELEASED}),
    S.RELEASED: frozenset(),
    S.CLAIMED: frozenset(),
}


def transition(current: GuaranteeStatus, target: GuaranteeStatus) -> GuaranteeStatus:
    """The new status, or GuaranteeClosed when the guarantee is already settled."""
    if target not in TRANSITIONS[current]:
        raise GuaranteeClosed(f"{a(current.value)} guarantee cannot become {target.value}")
    return target
