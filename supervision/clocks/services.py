"""Start, settle and watch statutory clocks; the chronograph handler raises cards on the database clock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import db_now
from core.identity.principal import Principal
from core.identity.roles import Role
from core.journal import record_event
from supervision.clocks.models import ClockCard, ClockPause, StatutoryClock
from supervision.clocks.periods import Period, day_bounds, yellow_at

OPEN_STATES = ("running", "yellow", "red", "paused")


async def start_clock(
    session: AsyncSession,
    *,
    subject_type: str,
    subject_id: uuid.UUID,
    purpose: str,
    period: Period,
    due_at: datetime,
    responsible_org_id: uuid.UUID,
    tender_id: uuid.UUID | None,
    started_at: datetime | None = None,
) -> StatutoryClock:
    """A running clock whose period was computed by the caller's rule; yellow at 80 % of it."""
    start = started_at or await db_now(session)
    clock = StatutoryClock(
        id=uuid.uuid4(),
        subject_type=subject_type,
        subject_id=subject_id,
        purpose=purpose,
        tender_id=tender_id,
        rule=period.rule,
        label=period.label,
        unit=period.unit.value,
        days=period.days,
        responsible_org_id=responsible_org_id,
        started_at=start,
        due_at=due_at,
        yellow_at=yellow_at(start, due_at),
        state="running",
    )
    session.add(clock)
    await session.flush()
    return clock


async def settle_clocks(
    session: AsyncSession, subject_id: uuid.UUID, purpose: str | None = None, *, state: str = "met"
) -> list[StatutoryClock]:
    """Stop the subject's open clocks (met by the act, or cancelled when the subject went away)."""
    query = select(StatutoryClock).where(StatutoryClock.subject_id == subject_id, StatutoryClock.state.in_(OPEN_STATES))
    if purpose is not None:
        query = query.where(StatutoryClock.purpose == purpose)
    clocks = list((await session.scalars(query.with_for_update())).all())
    now = await db_now(session)
    for clock in clocks:
        clock.state = state
        clock.ended_at = now
    if clocks:
        await session.execute(
            update(ClockPause)
            .where(ClockPause.clock_id.in_([c.id for c in clocks]), ClockPause.ended_at.is_(None))
            .values(ended_at=now, due_after=ClockPause.due_before)
        )
    await session.flush()
    return clocks


async def open_clock(session: AsyncSession, subject_id: uuid.UUID, purpose: str) -> StatutoryClock | None:
    """The subject's running clock for one purpose, if any."""
    return await session.scalar(
        select(StatutoryClock).where(
            StatutoryClock.subject_id == subject_id,
            StatutoryClock.purpose == purpose,
            StatutoryClock.state.in_(OPEN_STATES),
        )
    )


async def raise_due_cards(session: AsyncSession) -> int:
    """Chronograph step: yellow once 80 % has run, red once overdue; idempotent, skips rows others hold."""
    now = await db_now(session)
    due = or_(
        and_(StatutoryClock.state == "running", StatutoryClock.yellow_at <= now),
        and_(StatutoryClock.state.in_(("running", "yellow")), StatutoryClock.due_at <= now),
    )
    clocks = (await session.scalars(select(StatutoryClock).where(due).with_for_update(skip_locked=True))).all()
    raised = 0
    for clock in clocks:
        colour = "red" if now >= clock.due_at else "yellow"
        result = await session.execute(
            insert(ClockCard)
            .values(
                id=uuid.uuid4(),
                clock_id=clock.id,
                colour=colour,
                rule=clock.rule,
                label=clock.label,
                tender_id=clock.tender_id,
                responsible_org_id=clock.responsible_org_id,
                subject_type=clock.subject_type,
                subject_id=clock.subject_id,
                due_at=clock.due_at,
            )
            .on_conflict_do_nothing(constraint="uq_supervision_cards_clock_colour")
            .returning(ClockCard.id)
        )
        clock.state = colour
        card_id = result.scalar_one_or_none()
        if card_id is None:
            continue
        raised += 1
        await record_event(
            session,
            f"clock.{colour}",
            {
                "card": str(card_id),
                "clock": str(clock.id),
                "rule": clock.rule,
                "label": clock.label,
                "tender": str(clock.tender_id) if clock.tender_id else None,
                "responsible": str(clock.responsible_org_id),
                "subject_type": clock.subject_type,
                "subject": str(clock.subject_id),
                "due_at": clock.due_at.isoformat(),
            },
            subject_id=clock.tender_id or clock.subject_id,
        )
    await session.flush()
    return raised


@dataclass(frozen=True)
class CardFilter:
    """Filters of the card list and its exports; dates are Asia/Shanghai calendar days, inclusive."""

    tender_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    colour: str | None = None
    rule: int | None = None
    since: date | None = None
    until: date | None = None


def _visible(principal: Principal) -> bool:
    return principal.has(Role.REGULATOR)


async def list_cards(session: AsyncSession, principal: Principal, flt: CardFilter) -> list[ClockCard]:
    """Regulators see every card; anyone else only the cards raised to its own organization."""
    query = select(ClockCard).order_by(ClockCard.raised_at.desc(), ClockCard.id)
    if not _visible(principal):
        query = query.where(ClockCard.responsible_org_id == principal.organization_id)
    if flt.tender_id is not None:
        query = query.where(ClockCard.tender_id == flt.tender_id)
    if flt.organization_id is not None:
        query = query.where(ClockCard.responsible_org_id == flt.organization_id)
    if flt.colour is not None:
        query = query.where(ClockCard.colour == flt.colour)
    if flt.rule is not None:
        query = query.where(ClockCard.rule == flt.rule)
    start, end = day_bounds(flt.since, flt.until)
    if start is not None:
        query = query.where(ClockCard.raised_at >= start)
    if end is not None:
        query = query.where(ClockCard.raised_at <= end)
    return list((await session.scalars(query)).all())


async def list_clocks(
    session: AsyncSession, principal: Principal, tender_id: uuid.UUID | None, state: str | None
) -> list[StatutoryClock]:
    """Clocks by due time; regulators see all, others those they are responsible for."""
    query = select(StatutoryClock).order_by(StatutoryClock.due_at, StatutoryClock.id)
    if not _visible(principal):
        query = query.where(StatutoryClock.responsible_org_id == principal.organization_id)
    if tender_id is not None:
        query = query.where(StatutoryClock.tender_id == tender_id)
    if state is not None:
        query = query.where(StatutoryClock.state == state)
    return list((await session.scalars(query)).all())
