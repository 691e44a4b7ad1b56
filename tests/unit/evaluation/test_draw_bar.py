"""Who a draw leaves out by standing: the operator's status (a lapsed suspension counts as active) and a regulator's
sanction, which holds whatever the status says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evaluation.experts.rules import draw_bar

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
LATER, EARLIER = NOW + timedelta(days=30), NOW - timedelta(days=1)


@pytest.mark.parametrize(
    ("status", "suspended_until", "sanctioned_until", "bar"),
    [
        ("active", None, None, None),
        ("pending", None, None, "pending"),
        ("rejected", None, None, "rejected"),
        ("suspended", None, None, "suspended"),
        ("suspended", LATER, None, "suspended"),
        ("suspended", EARLIER, None, None),
        ("active", None, LATER, f"suspended by a regulator until {LATER.isoformat()}"),
        ("pending", None, LATER, f"suspended by a regulator until {LATER.isoformat()}"),
        ("suspended", EARLIER, LATER, f"suspended by a regulator until {LATER.isoformat()}"),
        ("active", None, EARLIER, None),
        ("active", None, NOW, None),
    ],
)
def test_draw_bar(
    status: str, suspended_until: datetime | None, sanctioned_until: datetime | None, bar: str | None
) -> None:
    assert draw_bar(status, suspended_until, sanctioned_until, NOW) == bar
