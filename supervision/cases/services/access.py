"""Who may see a case: its complainant, the tender's agency and tenderee, and regulators; others learn nothing."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Forbidden, NotFound
from core.identity.principal import Principal
from core.identity.roles import Role
from core.journal import SYSTEM, Actor
from supervision.cases.models import Case
from supervision.cases.states import CaseKind, CaseStatus
from trading.tenders.models import Tender
from trading.tenders.rules import bidders_sealed


def sealed_for(principal: Principal, tender: Tender, now: datetime) -> bool:
    """A bidder acting before the deadline is a potential bidder, whose name is a secret until then (rule 12), and
    for good on a tender cancelled before its deadline."""
    return principal.has(Role.BIDDER) and bidders_sealed(tender.bid_deadline, tender.cancelled_at, now)


def confidential_for(principal: Principal, tender: Tender, now: datetime) -> bool:
    """Whether a bidder's act enters the ledger as a blinded commitment: while sealed and the tender's sealed stream
    can still publish it (a cancelled tender's stream is closed; there its acts are recorded as the platform's)."""
    return sealed_for(principal, tender, now) and tender.cancelled_at is None


def public_actor(principal: Principal, tender: Tender, now: datetime) -> Actor:
    """Who public events a case causes name: the platform while the caller's own name is sealed, else the caller."""
    return SYSTEM if sealed_for(principal, tender, now) else principal.actor


async def case_tender(session: AsyncSession, case_id: uuid.UUID) -> uuid.UUID | None:
    """The tender a case is about (so a complainant's request can be sealed under it); None for an unknown case."""
    tender_id: uuid.UUID | None = await session.scalar(select(Case.tender_id).where(Case.id == case_id))
    return tender_id


def _may_read(principal: Principal, case: Case, tender: Tender) -> bool:
    if principal.has(Role.REGULATOR):
        return True
    return principal.organization_id in (case.complainant_org_id, tender.agency_id, tender.tenderee_id)


async def readable_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> Case:
    """The case if the caller may know it exists, else NotFound."""
    case = await session.get(Case, case_id)
    tender = await session.get(Tender, case.tender_id) if case else None
    if case is None or tender is None or not _may_read(principal, case, tender):
        raise NotFound(f"case {case_id} does not exist")
    return case


async def locked_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> tuple[Case, Tender]:
    """The case locked for update, with its tender, if the caller may see it."""
    await readable_case(session, principal, case_id)
    case = await session.scalar(
        select(Case).where(Case.id == case_id).with_for_update().execution_options(populate_existing=True)
    )
    tender = await session.get(Tender, case.tender_id) if case else None
    if case is None or tender is None:
        raise NotFound(f"case {case_id} does not exist")
    return case, tender


def ensure_respondent(principal: Principal, tender: Tender) -> None:
    """Objections, challenges and inquiries are answered by the tender's agency or tenderee."""
    if not principal.has(Role.AGENCY, Role.TENDEREE) or principal.organization_id not in (
        tender.agency_id,
        tender.tenderee_id,
    ):
        raise Forbidden("only the agency or the tenderee of this tender may answer")


def ensure_handling_regulator(principal: Principal, case: Case) -> None:
    """A complaint is handled by the regulator it was filed with."""
    if not principal.has(Role.REGULATOR) or principal.organization_id != case.respondent_org_id:
        raise Forbidden("only the regulator this complaint was filed with may handle it")


async def list_cases(
    session: AsyncSession,
    principal: Principal,
    tender_id: uuid.UUID | None,
    kind: CaseKind | None,
    status: CaseStatus | None,
) -> list[Case]:
    """Cases the caller may see, newest first."""
    query = select(Case).order_by(Case.filed_at.desc(), Case.id)
    if not principal.has(Role.REGULATOR):
        mine = select(Tender.id).where(
            or_(Tender.agency_id == principal.organization_id, Tender.tenderee_id == principal.organization_id)
        )
        query = query.where(or_(Case.complainant_org_id == principal.organization_id, Case.tender_id.in_(mine)))
    if tender_id is not None:
        query = query.where(Case.tender_id == tender_id)
    if kind is not None:
        query = query.where(Case.kind == kind.value)
    if status is not None:
        query = query.where(Case.status == status.value)
    return list((await session.scalars(query)).all())


async def published_decisions(session: AsyncSession, tender_id: uuid.UUID | None) -> list[tuple[Case, bool]]:
    """Complaint decisions the regulators have published, newest first (public), each with whether its tender's
    bid deadline has passed: until then the complainant, a potential bidder, is not named to the public."""
    query = (
        select(Case, Tender.bid_deadline <= func.sunbid_now())
        .join(Tender, Tender.id == Case.tender_id)
        .where(Case.kind == CaseKind.COMPLAINT.value, Case.published_at.is_not(None))
        .order_by(Case.published_at.desc(), Case.id)
    )
    if tender_id is not None:
        query = query.where(Case.tender_id == tender_id)
    return [(case, bool(closed)) for case, closed in (await session.execute(query)).all()]
