"""Base for API schemas: strict msgspec structs that refuse unknown fields."""

from __future__ import annotations

import msgspec


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Request bodies: an unknown field is an error naming the field, never silently dropped."""


class Out(msgspec.Struct, kw_only=True):
    """Response bodies."""


BIGINT_MAX = 2**63 - 1
"""The largest integer PostgreSQL's bigint holds: query parameters above it are refused with 422, not a 500."""

NOT_BLANK = r"[^\s\u200b-\u200d\u2060\ufeff]"
"""The pattern for text a person writes (titles, reasons, questions): one character that shows, not only spaces,
line breaks or zero-width characters, since blank text would be published as blank."""
