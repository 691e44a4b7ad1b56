"""Base for API schemas: strict msgspec structs that refuse unknown fields."""

from __future__ import annotations

import msgspec


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Request bodies: an unknown field is an error naming the field, never silently dropped."""


class Out(msgspec.Struct, kw_only=True):
    """Response bodies."""


BIGINT_MAX = 2**63 - 1
"""The largest integer PostgreSQL's bigint holds: query parameters above it are refused with 422, not a 500."""

NOT_BLANK = r"\S"
"""The pattern for text a person writes (titles, reasons, questions): blank text would be published as blank."""
