"""Draw rounds and committee seats: statuses and the moves between them."""

from __future__ import annotations

from enum import StrEnum

from core.errors import Conflict, a


class DrawStatus(StrEnum):
    """Committed first; drawn once its checkpoint exists; published when the result is fixed (rule 39)."""

    COMMITTED = "committed"
    DRAWN = "drawn"


class SeatStatus(StrEnum):
    """A seat: invited, then accepted and seated on the no-conflict declaration; left seats are replaced."""

    INVITED = "invited"
    ACCEPTED = "accepted"
    SEATED = "seated"
    DECLINED = "declined"
    RECUSED = "recused"


ACTIVE = frozenset({SeatStatus.INVITED, SeatStatus.ACCEPTED, SeatStatus.SEATED})

TRANSITIONS: dict[SeatStatus, frozenset[SeatStatus]] = {
    SeatStatus.INVITED: frozenset({SeatStatus.ACCEPTED, SeatStatus.DECLINED}),
    SeatStatus.ACCEPTED: frozenset({SeatStatus.SEATED, SeatStatus.DECLINED, SeatStatus.RECUSED}),
    SeatStatus.SEATED: frozenset({SeatStatus.RECUSED}),
    SeatStatus.DECLINED: frozenset(),
    SeatStatus.RECUSED: frozenset(),
}


def transition(current: SeatStatus, target: SeatStatus) -> SeatStatus:
    """The new seat status, or Conflict naming both ends."""
    if target not in TRANSITIONS[current]:
        raise Conflict(f"{a(current.value)} committee member cannot become {target.value}")
    return target
