"""The evaluation's statuses, and those of score sheets and clarifications."""

from __future__ import annotations

from enum import StrEnum


class EvaluationStatus(StrEnum):
    """Open for reviews and scores; reporting once the report is rendered; signed when every member acted."""

    OPEN = "open"
    REPORTING = "reporting"
    SIGNED = "signed"


class SheetStatus(StrEnum):
    """A sheet is locked when stored; superseded by a rule-53 revision; void when its member was replaced."""

    LOCKED = "locked"
    SUPERSEDED = "superseded"
    VOID = "void"


class ClarificationStatus(StrEnum):
    """Open until the bidder's signed reply or the deadline (then the bid is invalid: rule 49)."""

    OPEN = "open"
    ANSWERED = "answered"
    LAPSED = "lapsed"
