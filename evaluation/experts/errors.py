"""Refusals of the expert pool."""

from __future__ import annotations

from core.errors import InvalidInput


class BadExpertRow(InvalidInput):
    """A CSV row of the pool import cannot be used; the detail names the line and the column."""

    code = "bad-expert-row"
    title = "Bad expert row"
