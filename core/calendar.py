"""The statutory calendar: calendar-day and working-day periods (民法典 Arts 201-203; 87号令 Arts 85-86).

A period starts counting on the day after the starting day, ends at 24:00 Asia/Shanghai on its last day, and a last
day that is not a working day moves to the next working day. Working days come from a holiday snapshot; a year the
snapshot does not know is refused or counted by weekends only, as settings say, never guessed silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.errors import DomainError
from core.settings import UnknownHolidayYearPolicy

SHANGHAI = ZoneInfo("Asia/Shanghai")


class HolidayDataMissing(DomainError):
    """The calendar has no holiday data for a year it needs; the operator must load it (sunbid calendar load)."""

    status = 409
    code = "holiday-data-missing"
    title = "Holiday data missing"


@dataclass(frozen=True)
class HolidaySnapshot:
    """Holidays, make-up workdays and the years they cover, as loaded once; pure data for the arithmetic."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    known_years: frozenset[int] = frozenset()
    policy: UnknownHolidayYearPolicy = UnknownHolidayYearPolicy.REFUSE

    @classmethod
    def of(
        cls,
        holidays: Iterable[date],
        workdays: Iterable[date],
        known_years: Iterable[int],
        policy: UnknownHolidayYearPolicy = UnknownHolidayYearPolicy.REFUSE,
    ) -> HolidaySnapshot:
        """Build a snapshot from plain iterables."""
        return cls(frozenset(holidays), frozenset(workdays), frozenset(known_years), policy)


@dataclass(frozen=True)
class DayResult:
    """A computed day and any warnings that must travel with it (for example weekends-only counting)."""

    day: date
    warnings: tuple[str, ...] = field(default=())

    @property
    def ends_at(self) -> datetime:
        """The instant the day ends: 24:00 Asia/Shanghai, i.e. 00:00 of the next day."""
        return end_of_day(self.day)


def weekends_only_warning(year: int) -> str:
    """The warning attached to every date counted without holiday data for its year."""
    return f"no holiday data for {year}: counted weekends only; statutory holidays of {year} are not considered"


class _Counter:
    """Answers 'is this a working day' against a snapshot, collecting warnings for unknown years."""

    def __init__(self, snapshot: HolidaySnapshot) -> None:
        self._snapshot = snapshot
        self.warnings: list[str] = []

    def is_working_day(self, day: date) -> bool:
        snap = self._snapshot
        if day.year not in snap.known_years:
            if snap.policy is UnknownHolidayYearPolicy.REFUSE:
                raise HolidayDataMissing(
                    f"the statutory calendar has no holiday data for {day.year}; "
                    f"an operator must load it (sunbid calendar load or PUT /api/calendar/years/{day.year})",
                    year=day.year,
                )
            warning = weekends_only_warning(day.year)
            if warning not in self.warnings:
                self.warnings.append(warning)
            return day.weekday() < 5
        if day in snap.workdays:
            return True
        if day in snap.holidays:
            return False
        return day.weekday() < 5

    def result(self, day: date) -> DayResult:
        return DayResult(day, tuple(self.warnings))


def is_working_day(day: date, snapshot: HolidaySnapshot) -> DayResult | None:
    """The day itself (with warnings) when it is a working day, else None."""
    counter = _Counter(snapshot)
    return counter.result(day) if counter.is_working_day(day) else None


def next_working_day(day: date, snapshot: HolidaySnapshot) -> DayResult:
    """The day itself when it is a working day, otherwise the first working day after it."""
    counter = _Counter(snapshot)
    while not counter.is_working_day(day):
        day += timedelta(days=1)
    return counter.result(day)


def add_calendar_days(start: date, days: int, snapshot: HolidaySnapshot) -> DayResult:
    """Last day of a period of `days` 日 from `start` (start not counted), moved off a non-working last day."""
    if days < 0:
        raise ValueError("a period cannot be negative")
    counter = _Counter(snapshot)
    day = start + timedelta(days=days)
    while not counter.is_working_day(day):
        day += timedelta(days=1)
    return counter.result(day)


def add_working_days(start: date, days: int, snapshot: HolidaySnapshot) -> DayResult:
    """Last day of a period of `days` 工作日 from `start` (start not counted)."""
    if days < 0:
        raise ValueError("a period cannot be negative")
    counter = _Counter(snapshot)
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if counter.is_working_day(day):
            counted += 1
    return counter.result(day)


def count_working_days(start: date, end: date, snapshot: HolidaySnapshot) -> tuple[int, tuple[str, ...]]:
    """Working days after `start` up to and including `end` (start not counted), with warnings."""
    counter = _Counter(snapshot)
    total = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if counter.is_working_day(day):
            total += 1
    return total, tuple(counter.warnings)


def calendar_days_between(start: datetime, end: datetime) -> int:
    """Whole 日 from the day of `start` to the day of `end`, both read in Asia/Shanghai (start not counted)."""
    return (local_day(end) - local_day(start)).days


def local_day(moment: datetime) -> date:
    """The Asia/Shanghai calendar day of an aware instant."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; use aware instants")
    return moment.astimezone(SHANGHAI).date()


def end_of_day(day: date) -> datetime:
    """24:00 Asia/Shanghai of `day`, as an aware instant."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def at_local_time(day: date, clock: time) -> datetime:
    """An aware instant at a local Asia/Shanghai wall-clock time on `day`."""
    return datetime.combine(day, clock, tzinfo=SHANGHAI)


def beijing(moment: datetime) -> str:
    """A moment as people read it in messages: the Beijing date and time, to the minute."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M Beijing time")


def beijing_zh(moment: datetime) -> str:
    """A moment as a Chinese document states it: the Beijing date and time, to the second."""
    return moment.astimezone(SHANGHAI).strftime("%Y年%m月%d日 %H:%M:%S（北京时间）")
