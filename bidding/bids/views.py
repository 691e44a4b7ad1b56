"""Who may see which bid, and when: before the deadline a bid exists only for its own bidder; afterwards the
tender's agency and tenderee, regulators and the operator see the bid activity. Also the orphan sweep.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.bids.errors import BidNotFound, BidsSealed
from bidding.bids.models import Bid
from bidding.bids.storage import BidBlobs
from core.db import db_now
from core.errors import Conflict, Forbidden
from core.identity.models import AgeRecipient, Organization
from core.identity.principal import Principal
from core.identity.roles import Role
from trading.tenders.models import Tender
from trading.tenders.rules import bidders_sealed
from trading.tenders.services.access import readable_tender


@dataclass(frozen=True)
class CustodianRecipient:
    """A custodian of a tender and the age recipient its escrow share must be sealed to."""

    organization_id: uuid.UUID
    name: str
    recipient: str


async def escrow_recipients(session: AsyncSession, tender: Tender) -> list[CustodianRecipient]:
    """Each custodian's most recently registered age recipient, in the tender's custodian order."""
    out = []
    for org_id in tender.custodian_org_ids:
        org = await session.get(Organization, org_id)
        recipient = await session.scalar(
            select(AgeRecipient.recipient)
            .where(AgeRecipient.organization_id == org_id)
            .order_by(AgeRecipient.created_at.desc(), AgeRecipient.id)
            .limit(1)
        )
        if org is None or recipient is None:
            raise Conflict(f"custodian {org_id} has not registered an age recipient yet (sunbid keys init --age)")
        out.append(CustodianRecipient(org_id, org.name, recipient))
    return out


async def escrow_info(
    session: AsyncSession, principal: Principal, tender_id: uuid.UUID
) -> tuple[Tender, list[CustodianRecipient]]:
    """What a bidder's tool needs to seal escrow shares: the quorum and each custodian's recipient."""
    tender = await readable_tender(session, principal, tender_id)
    return tender, await escrow_recipients(session, tender)


async def _deadline_passed(session: AsyncSession, tender: Tender) -> bool:
    return not bidders_sealed(tender.bid_deadline, tender.cancelled_at, await db_now(session))


def _oversees(principal: Principal, tender: Tender) -> bool:
    if principal.has(Role.REGULATOR, Role.OPERATOR):
        return True
    if principal.has(Role.AGENCY) and principal.organization_id == tender.agency_id:
        return True
    return principal.has(Role.TENDEREE) and principal.organization_id == tender.tenderee_id


async def visible_bid(session: AsyncSession, principal: Principal, bid_id: uuid.UUID) -> Bid:
    """The bid for its own bidder at any time, for overseers after the deadline; otherwise the same 404."""
    bid = await session.get(Bid, bid_id)
    if bid is None:
        raise BidNotFound()
    if bid.bidder_org_id == principal.organization_id and principal.has(Role.BIDDER):
        return bid
    tender = await session.get(Tender, bid.tender_id)
    if tender is not None and _oversees(principal, tender) and await _deadline_passed(session, tender):
        return bid
    raise BidNotFound()


async def own_bids(session: AsyncSession, principal: Principal, tender_id: uuid.UUID | None) -> list[Bid]:
    """The caller's organization's bid versions, newest first."""
    query = select(Bid).where(Bid.bidder_org_id == principal.organization_id)
    if tender_id is not None:
        query = query.where(Bid.tender_id == tender_id)
    rows = await session.scalars(query.order_by(Bid.tender_id, Bid.lot_number, Bid.version.desc()))
    return list(rows.all())


async def tender_bids(session: AsyncSession, principal: Principal, tender_id: uuid.UUID) -> list[Bid]:
    """Bid activity of a tender, only once its deadline has passed; the refusal before is the same for all."""
    tender = await readable_tender(session, principal, tender_id)
    if not _oversees(principal, tender):
        raise Forbidden("bid activity is shown to the tender's agency and tenderee, regulators and the operator")
    if not await _deadline_passed(session, tender):
        raise BidsSealed(
            "bids stay sealed until the bid deadline, and for good when the tender was cancelled before it: neither "
            "their number nor the bidders are shown (招标投标法 Art 22; rule 22)"
        )
    rows = await session.scalars(
        select(Bid).where(Bid.tender_id == tender_id).order_by(Bid.lot_number, Bid.received_at)
    )
    return list(rows.all())


async def sweep_orphans(session: AsyncSession, blobs: BidBlobs, cutoff: float) -> tuple[int, int]:
    """Remove unfinished uploads and blobs no bid row names, last written before cutoff; (temp, blobs) removed."""
    temp = blobs.sweep_temp(cutoff)
    candidates = blobs.blobs_older_than(cutoff)
    if not candidates:
        return temp, 0
    referenced = set(
        (await session.scalars(select(Bid.ciphertext_sha256).where(Bid.ciphertext_sha256.in_(list(candidates))))).all()
    )
    removed = 0
    for sha256, path in candidates.items():
        if sha256 not in referenced:
            path.unlink(missing_ok=True)
            removed += 1
    return temp, removed
