"""Debarment (条例 Arts 67-68; 94号令 Art 37): set by supervision through `debar_party`, enforced here for bidding."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import db_now
from core.errors import InvalidInput, NotFound, RuleViolation, a
from core.identity.models import Organization
from core.identity.roles import OrgType
from core.journal import Actor, record_event
from trading.tenders.models import Tender
from trading.tenders.services.suspension import ensure_not_suspended

UNDEBARRABLE = frozenset({OrgType.REGULATOR.value, OrgType.OPERATOR.value, OrgType.EXPERT_POOL.value})
"""Bodies that never bid (they supervise, run the platform or hold the expert pool): debarring one is a mistake,
such as meaning an expert's suspension."""
DEBARMENT_RULE = 51
"""The rule a debarment most often follows (collusion, 条例 Art 40); the refusal names the record's own rule too."""


class PartyDebarred(RuleViolation):
    """The organization is barred from bidding until the date a regulator set."""

    status = 403
    code = "party-debarred"
    title = "Party debarred from bidding"

    def __init__(self, until: datetime) -> None:
        super().__init__(
            DEBARMENT_RULE,
            f"your organization is debarred from bidding until {until.isoformat()} by a regulator's decision",
            debarred_until=until.isoformat(),
        )


def check_not_debarred(until: datetime | None, now: datetime) -> None:
    """Refuse a party whose debarment runs past now (the database clock's)."""
    if until is not None and until > now:
        raise PartyDebarred(until)


async def ensure_not_debarred(session: AsyncSession, organization_id: uuid.UUID) -> None:
    """Refuse a party whose debarment runs past the database clock's now."""
    until = await session.scalar(select(Organization.debarred_until).where(Organization.id == organization_id))
    check_not_debarred(until, await db_now(session))


async def ensure_may_bid(session: AsyncSession, tender: Tender, organization_id: uuid.UUID) -> None:
    """The guard bid submission calls in its committing transaction: tender not suspended, bidder not debarred."""
    ensure_not_suspended(tender)
    await ensure_not_debarred(session, organization_id)


async def debar_party(
    session: AsyncSession,
    organization_id: uuid.UUID,
    until: datetime,
    *,
    reason: str,
    actor: Actor,
    record_id: uuid.UUID | None = None,
) -> Organization:
    """Bar an organization from bidding until `until` (an aware instant); journaled. A later, shorter debarment
    never shortens one already in force."""
    if until.tzinfo is None:
        raise InvalidInput("until: give a time zone (e.g. +08:00)", field="until")
    org = await session.scalar(select(Organization).where(Organization.id == organization_id).with_for_update())
    if org is None:
        raise NotFound(f"organization {organization_id} does not exist")
    if org.org_type in UNDEBARRABLE:
        raise InvalidInput(f"target_org_id: {a(org.org_type)} cannot be debarred from bidding", field="target_org_id")
    if org.debarred_until is None or until > org.debarred_until:
        org.debarred_until = until
    await session.flush()
    await record_event(
        session,
        "party.debarred",
        {
            "organization": str(org.id),
            "until": until.isoformat(),
            "in_force_until": org.debarred_until.isoformat() if org.debarred_until else None,
            "reason": reason,
            "record": str(record_id) if record_id else None,
        },
        actor=actor,
        subject_id=org.id,
    )
    return org
