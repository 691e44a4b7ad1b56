"""Excluded time: a paused clock raises no card; on resume its due time moves on by the days excluded."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import HolidaySnapshot, count_working_days, local_day
from core.errors import Conflict, a
from supervision.clocks.models import ClockCard, ClockPause, StatutoryClock
from supervision.clocks.periods import Period, Unit, last_day, period_end_from_day, yellow_at

PAUSABLE_STATES = ("running", "yellow")


def excluded_days(started: datetime, ended: datetime, unit: Unit, snapshot: HolidaySnapshot) -> int:
    """Days of the clock's unit the pause covered, counted like a period: its first day is not counted."""
    first, last = local_day(started), local_day(ended)
    if unit is Unit.CALENDAR:
        return (last - first).days
    return count_working_days(first, last, snapshot)[0]


def shifted_due(due_at: datetime, days: int, unit: Unit, rule: int, snapshot: HolidaySnapshot) -> datetime:
    """The due instant moved on by `days` of the clock's unit, ending at 24:00 like any period."""
    if days == 0:
        return due_at
    return period_end_from_day(last_day(due_at), Period(rule, days, unit, "excluded time"), snapshot)


async def open_pause(session: AsyncSession, clock_id: uuid.UUID) -> ClockPause | None:
    """The clock's pause still running, if any."""
    return await session.scalar(
        select(ClockPause).where(ClockPause.clock_id == clock_id, ClockPause.ended_at.is_(None))
    )


async def pause_clock(
    session: AsyncSession, clock: StatutoryClock, *, kind: str, reason: str, now: datetime, by: uuid.UUID
) -> ClockPause:
    """Stop a running or yellow clock; an overdue (red) one cannot be paused after the fact."""
    if clock.state not in PAUSABLE_STATES:
        raise Conflict(f"{a(clock.state)} clock cannot be paused")
    pause = ClockPause(
        id=uuid.uuid4(),
        clock_id=clock.id,
        kind=kind,
        reason=reason,
        started_at=now,
        started_by=by,
        due_before=clock.due_at,
    )
    session.add(pause)
    clock.state = "paused"
    await session.flush()
    return pause


async def resume_clock(
    session: AsyncSession, clock: StatutoryClock, *, now: datetime, by: uuid.UUID, snapshot: HolidaySnapshot
) -> ClockPause:
    """Restart a paused clock with its due (and yellow) time moved on by the excluded days."""
    pause = await open_pause(session, clock.id)
    if clock.state != "paused" or pause is None:
        raise Conflict("the clock is not paused")
    unit = Unit(clock.unit)
    days = excluded_days(pause.started_at, now, unit, snapshot)
    clock.due_at = shifted_due(clock.due_at, days, unit, clock.rule, snapshot)
    clock.yellow_at = yellow_at(clock.started_at, clock.due_at)
    carded = await session.scalar(
        select(ClockCard.id).where(ClockCard.clock_id == clock.id, ClockCard.colour == "yellow")
    )
    clock.state = "yellow" if carded else "running"
    pause.ended_at = now
    pause.ended_by = by
    pause.excluded_days = days
    pause.due_after = clock.due_at
    await session.flush()
    return pause


async def pauses_of(session: AsyncSession, clock_ids: list[uuid.UUID]) -> list[ClockPause]:
    """The pauses recorded on these clocks, oldest first."""
    if not clock_ids:
        return []
    query = select(ClockPause).where(ClockPause.clock_id.in_(clock_ids)).order_by(ClockPause.started_at, ClockPause.id)
    return list((await session.scalars(query)).all())
