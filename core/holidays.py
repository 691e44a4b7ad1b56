"""The holiday table behind the statutory calendar: seeded from chinese_calendar, updatable by the operator."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.calendar import HolidaySnapshot
from core.db import NOW_SQL, Base
from core.errors import InvalidInput
from core.journal import SYSTEM, Actor, record_event
from core.settings import UnknownHolidayYearPolicy

HOLIDAY = "holiday"
WORKDAY = "workday"


class CalendarYear(Base):
    """A year whose holidays and make-up workdays are complete; only these years count working days exactly."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(40))
    loaded_at: Mapped[datetime] = mapped_column(server_default=text(NOW_SQL))


class CalendarDay(Base):
    """A statutory holiday or a make-up workday (调休上班) that overrides the weekday rule."""

    __tablename__ = "calendar_days"
    __table_args__ = (CheckConstraint(f"kind in ('{HOLIDAY}', '{WORKDAY}')", name="kind_known"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("calendar_years.year", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(60))


@dataclass(frozen=True)
class YearData:
    """One year's exceptions to the weekday rule."""

    year: int
    holidays: dict[date, str]
    workdays: dict[date, str]


def library_years() -> list[YearData]:
    """Every year chinese_calendar knows (it raises for later years, so only those it lists are taken)."""
    import chinese_calendar

    holidays: dict[date, str] = dict(chinese_calendar.holidays)
    workdays: dict[date, str] = dict(chinese_calendar.workdays)
    years = sorted({d.year for d in holidays})
    return [
        YearData(
            year,
            {d: n for d, n in holidays.items() if d.year == year},
            {d: n for d, n in workdays.items() if d.year == year},
        )
        for year in years
    ]


def check_year_data(data: YearData) -> None:
    """Refuse a year whose days lie outside it or that marks a day both holiday and workday."""
    for day in (*data.holidays, *data.workdays):
        if day.year != data.year:
            raise InvalidInput(f"{day.isoformat()} is not in {data.year}", field="days")
    both = set(data.holidays) & set(data.workdays)
    if both:
        raise InvalidInput(f"{min(both).isoformat()} cannot be both a holiday and a workday", field="days")


async def replace_year(session: AsyncSession, data: YearData, source: str, actor: Actor = SYSTEM) -> None:
    """Make the table hold exactly this year's exceptions and mark the year known; journaled."""
    check_year_data(data)
    await session.execute(delete(CalendarDay).where(CalendarDay.year == data.year))
    await session.execute(delete(CalendarYear).where(CalendarYear.year == data.year))
    session.add(CalendarYear(year=data.year, source=source))
    await session.flush()
    session.add_all(CalendarDay(day=d, year=data.year, kind=HOLIDAY, name=n) for d, n in data.holidays.items())
    session.add_all(CalendarDay(day=d, year=data.year, kind=WORKDAY, name=n) for d, n in data.workdays.items())
    await session.flush()
    await record_event(
        session,
        "calendar.year_loaded",
        {
            "year": data.year,
            "source": source,
            "holidays": sorted(d.isoformat() for d in data.holidays),
            "workdays": sorted(d.isoformat() for d in data.workdays),
        },
        actor=actor,
    )


async def load_library_years(session: AsyncSession, actor: Actor = SYSTEM, only_missing: bool = False) -> list[int]:
    """Load every year chinese_calendar knows; with only_missing, leave years already present untouched."""
    present = set((await session.scalars(select(CalendarYear.year))).all()) if only_missing else set()
    loaded = []
    for data in library_years():
        if data.year in present:
            continue
        await replace_year(session, data, "chinese_calendar", actor)
        loaded.append(data.year)
    return loaded


async def known_years(session: AsyncSession) -> list[CalendarYear]:
    """The years with holiday data, oldest first."""
    return list((await session.scalars(select(CalendarYear).order_by(CalendarYear.year))).all())


async def year_days(session: AsyncSession, year: int) -> list[CalendarDay]:
    """One year's holidays and make-up workdays by date."""
    rows = await session.scalars(select(CalendarDay).where(CalendarDay.year == year).order_by(CalendarDay.day))
    return list(rows.all())


async def load_snapshot(
    session: AsyncSession, policy: UnknownHolidayYearPolicy, years: Iterable[int] | None = None
) -> HolidaySnapshot:
    """The table as a pure snapshot for the arithmetic (optionally only some years)."""
    year_query = select(CalendarYear.year)
    day_query = select(CalendarDay.day, CalendarDay.kind)
    if years is not None:
        wanted = list(years)
        year_query = year_query.where(CalendarYear.year.in_(wanted))
        day_query = day_query.where(CalendarDay.year.in_(wanted))
    known = (await session.scalars(year_query)).all()
    rows = (await session.execute(day_query)).all()
    return HolidaySnapshot.of(
        holidays=(d for d, k in rows if k == HOLIDAY),
        workdays=(d for d, k in rows if k == WORKDAY),
        known_years=known,
        policy=policy,
    )
