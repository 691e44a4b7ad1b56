"""Tender refusals."""

from __future__ import annotations

from core.errors import Conflict, RuleViolation


class IllegalTransition(Conflict):
    """The tender's status does not allow this step."""

    code = "illegal-transition"
    title = "Not allowed in the tender's current status"


class ConfidentialUntilDeadline(RuleViolation):
    """Rule 12: who downloaded the documents stays secret until the bid deadline."""

    status = 403
    code = "confidential-until-deadline"
    title = "Confidential until the bid deadline"
