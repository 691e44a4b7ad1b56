"""Who attended a tender's hall, and who may not (rule 38: in 政府采购 the evaluation committee's members do not
attend the opening, 87号令 Art 40).

The hall records every signed-in user it admits; the evaluation layer reads that record when it seats a committee,
and registers an admission check (wired in sunbid/) that refuses a member already seated. Anonymous viewers see
only the public announcements and cannot be told apart, so only signed-in callers are checked and recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.opening.access import Seat
from bidding.opening.models import HallAttendance, Opening
from bidding.opening.states import OpeningStatus
from core.identity.principal import Principal
from trading.tenders.models import Tender

AdmissionCheck = Callable[[AsyncSession, Principal, Tender], Awaitable[None]]
"""Raises its refusal (a DomainError) when this signed-in caller may not enter this tender's hall."""

_checks: list[AdmissionCheck] = []


def add_admission_check(check: AdmissionCheck) -> None:
    """Register a check a higher layer owns (idempotent)."""
    if check not in _checks:
        _checks.append(check)


OVER = frozenset({OpeningStatus.PUBLISHED.value, OpeningStatus.FAILED.value})
"""Once the record is published (or the opening failed) the hall only replays a finished opening: nobody attends."""


async def admit(session: AsyncSession, principal: Principal | None, tender: Tender, seat: Seat) -> None:
    """Run every admission check, then record the signed-in caller's first entry (in the caller's transaction),
    while the opening is still to come or under way."""
    if principal is None:
        return
    opening = await session.get(Opening, tender.id)
    if opening is not None and opening.status in OVER:
        return
    for check in _checks:
        await check(session, principal, tender)
    await session.execute(
        insert(HallAttendance)
        .values(tender_id=tender.id, user_id=principal.user_id, seat=seat.role.value)
        .on_conflict_do_nothing(index_elements=["tender_id", "user_id"])
    )


async def attendees(session: AsyncSession, tender_id: uuid.UUID, user_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these users have entered the tender's hall signed in."""
    wanted = list(user_ids)
    if not wanted:
        return set()
    rows = await session.scalars(
        select(HallAttendance.user_id).where(HallAttendance.tender_id == tender_id, HallAttendance.user_id.in_(wanted))
    )
    return set(rows.all())
