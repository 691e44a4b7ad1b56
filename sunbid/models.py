"""Every domain's tables, imported so Alembic and the drift test see one metadata."""

from __future__ import annotations

import core.holidays
import core.identity.models
import core.journal
import trading.tenders.models
from core.db import Base

metadata = Base.metadata

__all__ = ["core", "metadata", "trading"]
