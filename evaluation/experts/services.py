"""Expert pool use cases: CSV import by the operator, the qualification check, suspension, lookups."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import db_now
from core.errors import Forbidden, InvalidInput, NotFound
from core.identity.models import User
from core.identity.principal import Principal
from core.identity.roles import OrgType, Role
from core.journal import Actor, record_event
from evaluation.experts.errors import BadExpertRow
from evaluation.experts.models import ExpertProfile
from evaluation.experts.rules import SPECIALTIES
from evaluation.experts.states import ExpertStatus, TitleLevel, transition

CSV_COLUMNS = (
    "pool_number",
    "username",
    "name",
    "specialties",
    "title",
    "title_level",
    "practice_since",
    "employer_name",
    "employer_credit_code",
    "past_employers",
    "declared_relations",
    "region",
)
CSV_COLUMNS_NOTE = (
    "past_employers: `code|name|start|end;...` (end may be empty); declared_relations: `code|relation;...`."
)
"""How the two compound columns are written."""


def _require_operator(principal: Principal) -> None:
    if not principal.has(Role.OPERATOR):
        raise Forbidden("only the platform operator manages the expert pool")


def decode_csv(body: bytes) -> str:
    """The import's text: UTF-8 (with or without the BOM Excel writes), else a refusal that says how to save it."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"the CSV is not UTF-8 (byte {exc.start} is not); save it as 'CSV UTF-8' (Excel) or convert it from GBK"
        ) from None


def _split(value: str, line: int, column: str, parts: int) -> list[list[str]]:
    items = [item.split("|") for item in value.split(";") if item.strip()]
    for item in items:
        if len(item) != parts:
            raise BadExpertRow(f"line {line}, {column}: each entry needs {parts} fields separated by '|'")
    return items


def _iso(value: str, line: int, column: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadExpertRow(f"line {line}, {column}: {value!r} is not a date (YYYY-MM-DD)") from exc


def _parse_row(row: dict[str, str], line: int) -> dict[str, Any]:
    missing = [c for c in ("pool_number", "name", "specialties", "title_level", "practice_since") if not row.get(c)]
    if missing:
        raise BadExpertRow(f"line {line}: missing {', '.join(missing)}")
    specialties = [s.strip() for s in row["specialties"].split(";") if s.strip()]
    unknown = [s for s in specialties if s not in SPECIALTIES]
    if unknown or not specialties:
        raise BadExpertRow(f"line {line}, specialties: unknown codes {unknown} (known: {sorted(SPECIALTIES)})")
    if row["title_level"] not in {t.value for t in TitleLevel}:
        raise BadExpertRow(f"line {line}, title_level: one of {[t.value for t in TitleLevel]}")
    past = [
        {
            "credit_code": code,
            "name": name,
            "start": _iso(start, line, "past_employers").isoformat(),
            "end": _iso(end, line, "past_employers").isoformat() if end else None,
        }
        for code, name, start, end in _split(row.get("past_employers") or "", line, "past_employers", 4)
    ]
    relations = [
        {"credit_code": code, "relation": relation}
        for code, relation in _split(row.get("declared_relations") or "", line, "declared_relations", 2)
    ]
    return {
        "pool_number": row["pool_number"].strip(),
        "name": row["name"].strip(),
        "specialties": specialties,
        "title": (row.get("title") or "").strip(),
        "title_level": row["title_level"],
        "practice_since": _iso(row["practice_since"], line, "practice_since"),
        "employer_name": (row.get("employer_name") or "").strip(),
        "employer_credit_code": (row.get("employer_credit_code") or "").strip() or None,
        "past_employers": past,
        "declared_relations": relations,
        "region": (row.get("region") or "").strip(),
    }


async def _user_for(session: AsyncSession, username: str, line: int) -> uuid.UUID | None:
    if not username:
        return None
    user = await session.scalar(select(User).where(User.username == username))
    if user is None or user.organization.org_type != OrgType.EXPERT_POOL or Role.EXPERT.value not in user.roles:
        raise BadExpertRow(f"line {line}, username: {username!r} is not an expert user of an expert pool")
    return user.id


async def import_csv(session: AsyncSession, principal: Principal, text: str) -> tuple[int, int, list[ExpertProfile]]:
    """Create or update profiles by pool number; a changed profile waits for a new qualification check."""
    _require_operator(principal)
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not set(CSV_COLUMNS) <= set(reader.fieldnames):
        raise BadExpertRow(f"the CSV header must name {', '.join(CSV_COLUMNS)}")
    created = updated = 0
    profiles = []
    for line, row in enumerate(reader, start=2):
        data = _parse_row(row, line)
        data["user_id"] = await _user_for(session, (row.get("username") or "").strip(), line)
        profile = await session.scalar(select(ExpertProfile).where(ExpertProfile.pool_number == data["pool_number"]))
        if profile is None:
            profile = ExpertProfile(id=uuid.uuid4(), status=ExpertStatus.PENDING.value, **data)
            session.add(profile)
            created += 1
        else:
            for key, value in data.items():
                setattr(profile, key, value)
            if profile.status == ExpertStatus.ACTIVE.value:
                profile.status = ExpertStatus.PENDING.value
            updated += 1
        profiles.append(profile)
    await session.flush()
    await record_event(
        session,
        "expert.pool_imported",
        {"created": created, "updated": updated, "experts": [str(p.id) for p in profiles]},
        actor=principal.actor,
    )
    return created, updated, profiles


async def _profile(session: AsyncSession, expert_id: uuid.UUID) -> ExpertProfile:
    profile = await session.scalar(select(ExpertProfile).where(ExpertProfile.id == expert_id).with_for_update())
    if profile is None:
        raise NotFound(f"expert {expert_id} does not exist")
    return profile


async def check_qualification(
    session: AsyncSession,
    principal: Principal,
    expert_id: uuid.UUID,
    *,
    approved: bool,
    note: str,
    documents: list[Any],
) -> ExpertProfile:
    """The operator examined the expert's documents: approved experts enter the draw pool."""
    _require_operator(principal)
    profile = await _profile(session, expert_id)
    target = ExpertStatus.ACTIVE if approved else ExpertStatus.REJECTED
    profile.status = transition(ExpertStatus(profile.status), target).value
    now = await db_now(session)
    profile.qualification = {
        "approved": approved,
        "note": note,
        "documents": documents,
        "checked_by": str(principal.user_id),
        "checked_at": now.isoformat(),
    }
    await record_event(
        session,
        "expert.qualification_checked",
        {"expert": str(profile.id), "approved": approved, "documents": documents},
        actor=principal.actor,
        subject_id=profile.id,
    )
    return profile


async def suspend(
    session: AsyncSession, principal: Principal, expert_id: uuid.UUID, reason: str, until: datetime | None
) -> ExpertProfile:
    """Take an expert out of every future draw (rule 37: past sanctions), until a date or until reinstated."""
    _require_operator(principal)
    profile = await _profile(session, expert_id)
    profile.status = transition(ExpertStatus(profile.status), ExpertStatus.SUSPENDED).value
    profile.suspension_reason = reason
    profile.suspended_until = until
    await record_event(
        session,
        "expert.suspended",
        {"expert": str(profile.id), "reason": reason, "until": until.isoformat() if until else None},
        actor=principal.actor,
        subject_id=profile.id,
    )
    return profile


async def sanction_expert(
    session: AsyncSession, user_id: uuid.UUID, until: datetime, *, reason: str, actor: Actor, record_id: uuid.UUID
) -> ExpertProfile:
    """A regulator's suspension (accountability record): out of every draw until `until`, in any status; a later,
    shorter one never shortens it, and the operator's reinstatement does not lift it."""
    profile = await session.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user_id).with_for_update())
    if profile is None:
        raise InvalidInput("target_user_id: this expert has no profile in the expert pool", field="target_user_id")
    if profile.sanctioned_until is None or until > profile.sanctioned_until:
        profile.sanctioned_until = until
        profile.sanction_reason = reason
    await record_event(
        session,
        "expert.sanctioned",
        {
            "expert": str(profile.id),
            "reason": reason,
            "until": until.isoformat(),
            "in_force_until": profile.sanctioned_until.isoformat(),
            "record": str(record_id),
        },
        actor=actor,
        subject_id=profile.id,
    )
    return profile


async def reinstate(session: AsyncSession, principal: Principal, expert_id: uuid.UUID) -> ExpertProfile:
    """Lift a suspension."""
    _require_operator(principal)
    profile = await _profile(session, expert_id)
    profile.status = transition(ExpertStatus(profile.status), ExpertStatus.ACTIVE).value
    profile.suspension_reason = None
    profile.suspended_until = None
    await record_event(
        session, "expert.reinstated", {"expert": str(profile.id)}, actor=principal.actor, subject_id=profile.id
    )
    return profile


async def list_experts(session: AsyncSession, principal: Principal) -> list[ExpertProfile]:
    """The pool, for the operator and regulators only (names are confidential to everyone else)."""
    if not principal.has(Role.OPERATOR, Role.REGULATOR):
        raise Forbidden("the expert pool is visible to the operator and regulators only")
    return list((await session.scalars(select(ExpertProfile).order_by(ExpertProfile.pool_number))).all())


async def get_expert(session: AsyncSession, principal: Principal, expert_id: uuid.UUID) -> ExpertProfile:
    """One profile: the operator, regulators, or the expert itself."""
    profile = await session.get(ExpertProfile, expert_id)
    if profile is None or not (principal.has(Role.OPERATOR, Role.REGULATOR) or profile.user_id == principal.user_id):
        raise NotFound(f"expert {expert_id} does not exist")
    return profile


async def my_profile(session: AsyncSession, principal: Principal) -> ExpertProfile:
    """The signed-in expert's own profile."""
    profile = await session.scalar(select(ExpertProfile).where(ExpertProfile.user_id == principal.user_id))
    if profile is None:
        raise NotFound("you have no expert profile")
    return profile
