"""Case refusals; each statutory one names its rule row."""

from __future__ import annotations

from typing import Any

from core.errors import Conflict, RuleViolation


class IllegalCaseTransition(Conflict):
    """The case's status does not allow this step."""

    code = "illegal-case-transition"
    title = "Not allowed in the case's current status"


class IntakeClosed(RuleViolation):
    """The statutory window for filing this case is closed (rules 7, 8, 63, 66, 67)."""

    status = 409
    code = "case-intake-closed"
    title = "Filing window closed"

    def __init__(self, rule: int, detail: str, **extra: Any) -> None:
        super().__init__(rule, detail, **extra)


class PrerequisiteMissing(RuleViolation):
    """A complaint needs an objection first (rule 63) or a challenge on the same matter (rule 67)."""

    status = 409
    code = "case-prerequisite-missing"
    title = "Objection or challenge required first"

    def __init__(self, rule: int, detail: str, **extra: Any) -> None:
        super().__init__(rule, detail, **extra)


class WrongProcedure(RuleViolation):
    """异议 belongs to 工程 tenders (rule 32), 质疑 and 询问 to 采购 (rules 8, 65, 66)."""

    status = 422
    code = "case-wrong-procedure"
    title = "Wrong procedure for this tender"

    def __init__(self, rule: int, detail: str, **extra: Any) -> None:
        super().__init__(rule, detail, **extra)
