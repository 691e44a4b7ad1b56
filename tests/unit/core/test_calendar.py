"""Statutory calendar arithmetic on fixed dates (民法典 Arts 201-203; 87号令 Arts 85-86), no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.calendar import (
    HolidayDataMissing,
    HolidaySnapshot,
    add_calendar_days,
    add_working_days,
    calendar_days_between,
    count_working_days,
    end_of_day,
    next_working_day,
)
from core.holidays import library_years
from core.settings import UnknownHolidayYearPolicy


def snapshot(policy: UnknownHolidayYearPolicy = UnknownHolidayYearPolicy.REFUSE) -> HolidaySnapshot:
    data = library_years()
    return HolidaySnapshot.of(
        holidays=[d for y in data for d in y.holidays],
        workdays=[d for y in data for d in y.workdays],
        known_years=[y.year for y in data],
        policy=policy,
    )


SNAP = snapshot()


def test_library_knows_2026_national_day_and_makeup_workdays() -> None:
    assert {date(2026, 10, d) for d in range(1, 8)} <= SNAP.holidays
    assert date(2026, 9, 20) in SNAP.workdays
    assert date(2026, 10, 10) in SNAP.workdays


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        pytest.param(date(2026, 9, 28), 10, date(2026, 10, 16), id="acceptance-10-working-days-from-2026-09-28"),
        pytest.param(date(2026, 9, 28), 1, date(2026, 9, 29), id="first-day-not-counted"),
        pytest.param(date(2026, 9, 30), 1, date(2026, 10, 8), id="skips-national-day"),
        pytest.param(date(2026, 10, 8), 2, date(2026, 10, 10), id="makeup-saturday-counts"),
        pytest.param(date(2026, 11, 20), 5, date(2026, 11, 27), id="plain-weekend-skipped"),
        pytest.param(date(2026, 9, 28), 0, date(2026, 9, 28), id="zero-days"),
    ],
)
def test_add_working_days(start: date, days: int, expected: date) -> None:
    assert add_working_days(start, days, SNAP).day == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        pytest.param(date(2026, 11, 2), 20, date(2026, 11, 23), id="last-day-sunday-moves-to-monday"),
        pytest.param(date(2026, 11, 3), 20, date(2026, 11, 23), id="plain-20-days-monday"),
        pytest.param(date(2026, 9, 16), 15, date(2026, 10, 8), id="last-day-in-national-day-moves-after-it"),
        pytest.param(date(2026, 9, 5), 15, date(2026, 9, 20), id="last-day-makeup-sunday-stays"),
    ],
)
def test_add_calendar_days_moves_off_holidays(start: date, days: int, expected: date) -> None:
    assert add_calendar_days(start, days, SNAP).day == expected


def test_day_ends_at_midnight_shanghai() -> None:
    assert end_of_day(date(2026, 10, 16)).astimezone(UTC) == datetime(2026, 10, 16, 16, 0, tzinfo=UTC)


def test_calendar_days_between_reads_shanghai_days() -> None:
    issue = datetime(2026, 11, 1, 17, 0, tzinfo=UTC)  # 2026-11-02 01:00 in Shanghai
    deadline = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)  # 2026-11-22 09:30 in Shanghai
    assert calendar_days_between(issue, deadline) == 20


def test_count_working_days_matches_add() -> None:
    assert count_working_days(date(2026, 9, 28), date(2026, 10, 16), SNAP) == (10, ())


def test_unknown_year_refused_by_default() -> None:
    with pytest.raises(HolidayDataMissing, match="no holiday data for 2099"):
        add_working_days(date(2099, 1, 5), 3, SNAP)


def test_unknown_year_weekends_only_warns_on_every_result() -> None:
    snap = snapshot(UnknownHolidayYearPolicy.WEEKENDS_ONLY)
    result = add_working_days(date(2099, 1, 2), 1, snap)  # Friday -> Monday
    assert result.day == date(2099, 1, 5)
    assert result.warnings
    assert "2099" in result.warnings[0]
    assert next_working_day(date(2099, 1, 3), snap).warnings
    known = add_working_days(date(2026, 9, 28), 10, snap)
    assert known.warnings == ()


def test_pure_snapshot_needs_no_library() -> None:
    snap = HolidaySnapshot.of(holidays=[date(2030, 1, 1)], workdays=[date(2030, 1, 5)], known_years=[2030])
    assert add_working_days(date(2029 + 1, 1, 1), 1, snap).day == date(2030, 1, 2)
    assert add_working_days(date(2030, 1, 4), 1, snap).day == date(2030, 1, 5)
