"""Base for API schemas: strict msgspec structs that refuse unknown fields."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Request bodies: an unknown field is an error naming the field, never silently dropped."""

    def __post_init__(self) -> None:
        """Dates and times within 1900-2199 and with a time zone, so no clock or calendar later overflows or guesses
        the zone."""
        for name in self.__struct_fields__:
            check_moment(name, getattr(self, name))


def check_moment(name: str, value: object) -> None:
    """Refuse a date or time out of range, or a time without a zone (ValueError: msgspec reports it as invalid)."""
    if not isinstance(value, date):
        return
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"{name}: {value.isoformat()} is outside {EARLIEST.year}-{LATEST.year}")
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError(f"{name}: {value.isoformat()} has no time zone (add +08:00 for Beijing time)")


class Out(msgspec.Struct, kw_only=True):
    """Response bodies."""


BIGINT_MAX = 2**63 - 1
"""The largest integer PostgreSQL's bigint holds: query parameters above it are refused with 422, not a 500."""

NOT_BLANK = r"[^\s\u200b-\u200d\u2060\ufeff]"
"""The pattern for text a person writes (titles, reasons, questions): one character that shows, not only spaces,
line breaks or zero-width characters, since blank text would be published as blank."""

MAX_LOT_NUMBER = 100
"""A tender has at most 100 lots (trading.tenders.schemas), so a lot number above it names nothing."""
LotNumber = Annotated[int, msgspec.Meta(ge=1, le=MAX_LOT_NUMBER)]
