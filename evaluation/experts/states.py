"""An expert's standing in the pool and the title levels rule 35 reads."""

from __future__ import annotations

from enum import StrEnum

from core.errors import Conflict, a


class ExpertStatus(StrEnum):
    """Imported experts wait for the operator's check of their qualification documents."""

    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class TitleLevel(StrEnum):
    """Professional title (职称) levels; senior and full senior satisfy rule 35."""

    JUNIOR = "junior"
    INTERMEDIATE = "intermediate"
    SENIOR = "senior"
    FULL_SENIOR = "full_senior"


TRANSITIONS: dict[ExpertStatus, frozenset[ExpertStatus]] = {
    ExpertStatus.PENDING: frozenset({ExpertStatus.ACTIVE, ExpertStatus.REJECTED}),
    ExpertStatus.ACTIVE: frozenset({ExpertStatus.SUSPENDED}),
    ExpertStatus.REJECTED: frozenset({ExpertStatus.ACTIVE}),
    ExpertStatus.SUSPENDED: frozenset({ExpertStatus.ACTIVE}),
}


def transition(current: ExpertStatus, target: ExpertStatus) -> ExpertStatus:
    """The new status, or Conflict naming both ends."""
    if target not in TRANSITIONS[current]:
        raise Conflict(f"{a(current.value)} expert cannot become {target.value}")
    return target
