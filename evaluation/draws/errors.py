"""Refusals of the draw."""

from __future__ import annotations

from core.errors import Conflict


class SeedNotYetAvailable(Conflict):
    """The commitment is not yet covered by a signed ledger checkpoint; the draw completes once it is."""

    code = "draw-seed-pending"
    title = "Draw seed not yet available"
