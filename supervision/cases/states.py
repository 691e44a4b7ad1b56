"""Kinds, matters and statuses of a case, and the transitions each kind allows, as pure functions."""

from __future__ import annotations

from enum import StrEnum

from core.errors import a
from supervision.cases.errors import IllegalCaseTransition


class CaseKind(StrEnum):
    """异议 to the tenderee (工程), 质疑 and 询问 to the purchaser (采购), 投诉 to the regulator (both)."""

    OBJECTION = "objection"
    CHALLENGE = "challenge"
    INQUIRY = "inquiry"
    COMPLAINT = "complaint"


class Matter(StrEnum):
    """What the case is about: the documents (条例 Art 22), the opening (Art 44), the result (Art 54), or else."""

    DOCUMENTS = "documents"
    OPENING = "opening"
    RESULT = "result"
    PROCESS = "process"
    OTHER = "other"


class CaseStatus(StrEnum):
    """Where a case stands."""

    FILED = "filed"
    ANSWERED = "answered"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"


class Outcome(StrEnum):
    """A complaint decision's outcome."""

    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    DISMISSED = "dismissed"


S = CaseStatus
ANSWERABLE = frozenset({CaseKind.OBJECTION, CaseKind.CHALLENGE, CaseKind.INQUIRY})

_TRANSITIONS: dict[bool, dict[CaseStatus, frozenset[CaseStatus]]] = {
    False: {S.FILED: frozenset({S.ANSWERED, S.WITHDRAWN})},
    True: {
        S.FILED: frozenset({S.ACCEPTED, S.REJECTED, S.WITHDRAWN}),
        S.ACCEPTED: frozenset({S.DECIDED, S.WITHDRAWN}),
    },
}
CLOSED = frozenset({S.ANSWERED, S.REJECTED, S.DECIDED, S.WITHDRAWN})


def transition(kind: CaseKind, current: CaseStatus, target: CaseStatus) -> CaseStatus:
    """The new status, or IllegalCaseTransition naming both ends."""
    allowed = _TRANSITIONS[kind is CaseKind.COMPLAINT].get(current, frozenset())
    if target not in allowed:
        raise IllegalCaseTransition(f"{a(current.value)} {kind.value} cannot become {target.value}")
    return target
