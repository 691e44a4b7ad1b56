"""Every domain's tables, imported so Alembic and the drift test see one metadata."""

from __future__ import annotations

import bidding.bids.models
import bidding.guarantees.models
import bidding.opening.models
import core.confidential
import core.holidays
import core.identity.models
import core.journal
import core.oplog
import evaluation.award.models
import evaluation.draws.models
import evaluation.experts.models
import evaluation.report.models
import evaluation.scoring.models
import supervision.cases.models
import supervision.clocks.models
import supervision.ledger.models
import supervision.signals.models
import supervision.workbench.models
import trading.tenders.models
from core.db import Base

metadata = Base.metadata

SQL_MANAGED_TABLES = frozenset({"core_clock"})


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leave out tables that raw SQL manages (the database clock) and third-party schemas (the job queue)."""
    del obj, compare_to
    if type_ == "table" and reflected and name is not None:
        return name not in SQL_MANAGED_TABLES and not name.startswith("procrastinate_")
    return True


__all__ = ["bidding", "core", "evaluation", "include_object", "metadata", "supervision", "trading"]
