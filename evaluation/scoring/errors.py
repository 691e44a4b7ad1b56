"""Refusals of the evaluation."""

from __future__ import annotations

from core.errors import Conflict


class ScoresLocked(Conflict):
    """A stored score is locked; only a rule-53 reason reopens it."""

    code = "scores-locked"
    title = "Scores locked"
