"""Statutory periods in 日 or 工作日 turned into due instants with the holiday calendar (民法典 Arts 201-203)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from core.calendar import SHANGHAI, HolidaySnapshot, add_calendar_days, add_working_days, end_of_day, local_day

YELLOW_FRACTION = 0.8
"""A clock turns yellow when 80 % of its period has run."""


class Unit(StrEnum):
    """日 (calendar days) or 工作日 (working days)."""

    CALENDAR = "calendar_days"
    WORKING = "working_days"


@dataclass(frozen=True)
class Period:
    """A statutory period: its length, its unit and the rule row that sets it."""

    rule: int
    days: int
    unit: Unit
    label: str


def period_end(start: datetime, period: Period, snapshot: HolidaySnapshot) -> datetime:
    """24:00 of the period's last day; the starting day is not counted and a non-working last 日 moves on."""
    return period_end_from_day(local_day(start), period, snapshot)


def period_end_from_day(day: date, period: Period, snapshot: HolidaySnapshot) -> datetime:
    """24:00 of the last day of a period counted from `day` (not itself counted)."""
    if period.unit is Unit.CALENDAR:
        return end_of_day(add_calendar_days(day, period.days, snapshot).day)
    return end_of_day(add_working_days(day, period.days, snapshot).day)


def yellow_at(started_at: datetime, due_at: datetime) -> datetime:
    """The instant 80 % of the period has elapsed."""
    return started_at + (due_at - started_at) * YELLOW_FRACTION


def last_day(due_at: datetime) -> date:
    """The calendar day a period ending at `due_at` (24:00) ends on."""
    return local_day(due_at - timedelta(microseconds=1))


EARLIEST_DAY = date(1970, 1, 2)
LATEST_DAY = date(9999, 12, 30)


def day_bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """Inclusive Asia/Shanghai day filters as instants, clamped so any date a client sends stays representable."""
    start = datetime.combine(max(since, EARLIEST_DAY), time.min, tzinfo=SHANGHAI) if since else None
    end = datetime.combine(min(until, LATEST_DAY), time.max, tzinfo=SHANGHAI) if until else None
    return start, end
