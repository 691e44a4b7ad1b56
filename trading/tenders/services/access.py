"""Who may see or run a tender: the public reads published ones, the agency runs its own, the tenderee reads its own."""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Forbidden, NotFound
from core.identity.principal import Principal
from core.identity.roles import Role
from trading.tenders.models import Tender
from trading.tenders.states import TenderStatus


class TenderParties(Protocol):
    """What reading rights depend on: a Tender row, or the same facts read by plain SQL."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def status(self) -> str: ...
    @property
    def agency_id(self) -> uuid.UUID: ...
    @property
    def tenderee_id(self) -> uuid.UUID: ...


def _never_published(tender: TenderParties) -> bool:
    return isinstance(tender, Tender) and tender.published_at is None


def may_read(principal: Principal | None, tender: TenderParties) -> bool:
    """Published tenders are public; drafts (also one cancelled before publication) only for their agency, their
    tenderee, regulators and the operator."""
    if tender.status != TenderStatus.DRAFT and not _never_published(tender):
        return True
    if principal is None:
        return False
    if principal.has(Role.REGULATOR, Role.OPERATOR):
        return True
    return principal.organization_id in (tender.agency_id, tender.tenderee_id)


def is_manager(principal: Principal | None, tender: Tender) -> bool:
    """The agency (招标代理) named on the tender, acting through an agency user."""
    return principal is not None and principal.has(Role.AGENCY) and principal.organization_id == tender.agency_id


async def readable_tender(session: AsyncSession, principal: Principal | None, tender_id: uuid.UUID) -> Tender:
    """The tender if the caller may know it exists, else NotFound (drafts do not leak)."""
    tender = await session.get(Tender, tender_id)
    if tender is None or not may_read(principal, tender):
        raise NotFound(f"tender {tender_id} does not exist")
    return tender


async def managed_tender(session: AsyncSession, principal: Principal, tender_id: uuid.UUID) -> Tender:
    """The tender locked for update, if the caller's agency runs it."""
    tender = await session.scalar(select(Tender).where(Tender.id == tender_id).with_for_update(of=Tender))
    if tender is None or not may_read(principal, tender):
        raise NotFound(f"tender {tender_id} does not exist")
    if not is_manager(principal, tender):
        raise Forbidden("only the agency running this tender may change it")
    return tender
