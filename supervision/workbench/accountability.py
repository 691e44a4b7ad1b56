"""Accountability: a regulator warns a party, suspends an expert from the pool, or debars a party (via trading)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import db_now
from core.errors import InvalidInput, NotFound
from core.identity.models import Organization, User
from core.identity.principal import Principal
from core.identity.roles import Role
from core.journal import record_event
from evaluation.experts.services import sanction_expert
from supervision.workbench.models import AccountabilityRecord
from trading.parties.standing import debar_party


async def _check_target(
    session: AsyncSession, kind: str, org_id: uuid.UUID, user_id: uuid.UUID | None, until: datetime | None
) -> None:
    if await session.get(Organization, org_id) is None:
        raise NotFound(f"organization {org_id} does not exist")
    if kind == "expert_suspension":
        user = await session.get(User, user_id) if user_id else None
        if user is None or user.organization_id != org_id or Role.EXPERT.value not in user.roles:
            raise InvalidInput("target_user_id: an expert of the target organization is required")
    if kind in ("expert_suspension", "debarment"):
        if until is None or until.tzinfo is None:
            raise InvalidInput("until: a suspension or debarment needs an end with a time zone", field="until")
        if until <= await db_now(session):
            raise InvalidInput("until: a suspension or debarment must end later than now", field="until")


async def issue_record(
    session: AsyncSession,
    principal: Principal,
    *,
    kind: str,
    target_org_id: uuid.UUID,
    target_user_id: uuid.UUID | None,
    tender_id: uuid.UUID | None,
    case_id: uuid.UUID | None,
    rule: int | None,
    reason: str,
    until: datetime | None,
) -> AccountabilityRecord:
    """Store the record, journal it (the ledger then covers it), and apply it: a debarment through trading, an
    expert's suspension through the expert pool (both never shorten a sanction in force)."""
    await _check_target(session, kind, target_org_id, target_user_id, until)
    record = AccountabilityRecord(
        id=uuid.uuid4(),
        kind=kind,
        target_org_id=target_org_id,
        target_user_id=target_user_id,
        tender_id=tender_id,
        case_id=case_id,
        rule=rule,
        reason=reason,
        until=until,
        issued_by=principal.user_id,
        issuer_org_id=principal.organization_id,
    )
    session.add(record)
    await session.flush()
    event = await record_event(
        session,
        f"accountability.{kind}",
        {
            "record": str(record.id),
            "kind": kind,
            "organization": str(target_org_id),
            "user": str(target_user_id) if target_user_id else None,
            "tender": str(tender_id) if tender_id else None,
            "case": str(case_id) if case_id else None,
            "rule": rule,
            "reason": reason,
            "until": until.isoformat() if until else None,
        },
        actor=principal.actor,
        subject_id=record.id,
    )
    record.event_id = event.id
    record.event_sha256 = event.payload_sha256.hex()
    if kind == "debarment" and until is not None:
        await debar_party(session, target_org_id, until, reason=reason, actor=principal.actor, record_id=record.id)
    if kind == "expert_suspension" and until is not None and target_user_id is not None:
        await sanction_expert(session, target_user_id, until, reason=reason, actor=principal.actor, record_id=record.id)
    await session.flush()
    return record


async def list_records(
    session: AsyncSession, organization_id: uuid.UUID | None, kind: str | None
) -> list[AccountabilityRecord]:
    """Records, newest first."""
    query = select(AccountabilityRecord).order_by(AccountabilityRecord.issued_at.desc(), AccountabilityRecord.id)
    if organization_id is not None:
        query = query.where(AccountabilityRecord.target_org_id == organization_id)
    if kind is not None:
        query = query.where(AccountabilityRecord.kind == kind)
    return list((await session.scalars(query)).all())
