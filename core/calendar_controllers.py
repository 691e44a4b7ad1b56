"""HTTP endpoints for the statutory calendar: read the holiday table, let the operator update it, compute periods."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

import msgspec
from litestar import Controller, get, post, put
from litestar.di import Provide
from litestar.params import Parameter

from core.calendar import add_calendar_days, add_working_days
from core.holidays import YearData, known_years, load_library_years, load_snapshot, replace_year, year_days
from core.identity.principal import Principal
from core.identity.roles import Role
from core.schemas import Out, Strict
from core.settings import Settings
from core.web import UnitOfWork, principal_dependency, requires

CalendarYear = Annotated[
    int, Parameter(ge=1949, le=2200, description="A Gregorian year the statutory calendar may hold")
]


class DayIn(Strict):
    """One exception to the weekday rule."""

    day: date
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]


class YearIn(Strict):
    """A whole year's holidays and make-up workdays (replaces what the table holds for that year)."""

    holidays: list[DayIn]
    workdays: list[DayIn]


class YearOut(Out):
    """A year the calendar knows."""

    year: int
    source: str


class DayOut(Out):
    """A holiday or make-up workday."""

    day: date
    kind: str
    name: str


class PeriodUnit(StrEnum):
    """日 or 工作日."""

    DAYS = "days"
    WORKING_DAYS = "working_days"


class PeriodOut(Out):
    """The last day of a period and when it ends, with any warnings."""

    start: date
    days: int
    unit: str
    last_day: date
    ends_at: str
    warnings: list[str]


class CalendarController(Controller):
    """The holiday table (operator-maintained) and period arithmetic anyone may use."""

    path = "/api/calendar"
    tags = ["calendar"]  # noqa: RUF012 (Litestar reads this class attribute)
    dependencies = {"principal": Provide(principal_dependency, sync_to_thread=False)}  # noqa: RUF012

    @get("/years", summary="Years with holiday data")
    async def years(self, uow: UnitOfWork) -> list[YearOut]:
        """Which years count working days exactly."""
        async with uow.read() as session:
            rows = await known_years(session)
        return [YearOut(year=r.year, source=r.source) for r in rows]

    @get("/years/{year:int}", summary="Holidays and make-up workdays of a year")
    async def year(self, year: CalendarYear, uow: UnitOfWork) -> list[DayOut]:
        """One year's exceptions to the weekday rule."""
        async with uow.read() as session:
            rows = await year_days(session, year)
        return [DayOut(day=r.day, kind=r.kind, name=r.name) for r in rows]

    @put("/years/{year:int}", guards=[requires(Role.OPERATOR)], summary="Replace a year's holidays (operator)")
    async def replace(self, year: CalendarYear, data: YearIn, uow: UnitOfWork, principal: Principal) -> YearOut:
        """Load a year from the official 国务院办公厅 schedule, e.g. one chinese_calendar does not know yet."""
        payload = YearData(year, {d.day: d.name for d in data.holidays}, {d.day: d.name for d in data.workdays})
        async with uow() as session:
            await replace_year(session, payload, "operator", principal.actor)
        return YearOut(year=year, source="operator")

    @post("/load-library", guards=[requires(Role.OPERATOR)], summary="Reload years from chinese_calendar (operator)")
    async def load_library(self, uow: UnitOfWork, principal: Principal) -> list[int]:
        """Refresh every year the installed chinese_calendar knows."""
        async with uow() as session:
            return await load_library_years(session, principal.actor)

    @get("/period", summary="Last day of a period of 日 or 工作日")
    async def period(
        self,
        uow: UnitOfWork,
        settings: Settings,
        start: date,
        days: Annotated[int, Parameter(ge=0, le=3650)],
        unit: PeriodUnit = PeriodUnit.DAYS,
    ) -> PeriodOut:
        """The first day is not counted; a non-working last day moves to the next working day (日 only)."""
        async with uow.read() as session:
            snapshot = await load_snapshot(session, settings.unknown_holiday_year)
        compute = add_working_days if unit is PeriodUnit.WORKING_DAYS else add_calendar_days
        result = compute(start, days, snapshot)
        return PeriodOut(
            start=start,
            days=days,
            unit=unit.value,
            last_day=result.day,
            ends_at=result.ends_at.isoformat(),
            warnings=list(result.warnings),
        )
