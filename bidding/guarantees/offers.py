"""Guarantees a guarantor lodges for a bidder are offers until the bidder accepts them: until then they neither
count at the opening nor tell the guarantor anything about the bidder's other guarantees."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.guarantees import errors
from bidding.guarantees.models import Guarantee
from bidding.guarantees.states import GuaranteeStatus, transition
from bidding.guarantees.verification import VerifiedGuarantee
from core.confidential import commit_confidential
from core.db import db_now
from core.errors import NotFound
from core.identity.models import Organization
from core.identity.principal import Principal
from core.identity.roles import Role
from trading.tenders.models import Tender, TenderLot
from trading.tenders.states import TenderStatus


async def flush_or_duplicate(session: AsyncSession, message: str) -> None:
    """Write pending changes; a unique guarantee (issuer and number, or one active per bidder and lot) is a 409."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise errors.DuplicateGuarantee(message) from exc


async def answer_offer(
    session: AsyncSession, principal: Principal, guarantee_id: uuid.UUID, *, accept: bool
) -> Guarantee:
    """The bidder accepts or declines a guarantee its guarantor lodged, before the deadline: until then it is only
    an offer, so a guarantor can neither learn whether the bidder holds another guarantee nor block its own."""
    guarantee = await session.scalar(
        select(Guarantee)
        .where(Guarantee.id == guarantee_id, Guarantee.bidder_id == principal.organization_id)
        .with_for_update()
    )
    if guarantee is None or not principal.has(Role.BIDDER):
        raise NotFound(f"guarantee {guarantee_id} does not exist")
    tender = await session.get(Tender, guarantee.tender_id)
    now = await db_now(session)
    if tender is None or tender.status != TenderStatus.PUBLISHED or now >= tender.bid_deadline:
        raise errors.BiddingClosed("offers can be answered only until the bid deadline")
    target = GuaranteeStatus.ACTIVE if accept else GuaranteeStatus.DECLINED
    guarantee.status = transition(GuaranteeStatus(guarantee.status), target).value
    if not accept:
        guarantee.closed_at = now
    await flush_or_duplicate(
        session, "your organization already holds an active guarantee for this lot; it stays the one that counts"
    )
    await commit_confidential(
        session,
        tender.id,
        "guarantee.accepted" if accept else "guarantee.declined",
        {"guarantee": str(guarantee.id), "tender": str(tender.id), "lot": str(guarantee.lot_id)},
        actor=principal.actor,
        subject_id=guarantee.id,
    )
    return guarantee


async def own_offer(
    session: AsyncSession, verified: VerifiedGuarantee, bidder: Organization, guarantor: Organization, lot: TenderLot
) -> Guarantee | None:
    """The offer its guarantor already lodged of the very guarantee a bidder now lodges itself."""
    found: Guarantee | None = await session.scalar(
        select(Guarantee).where(
            Guarantee.guarantor_id == guarantor.id,
            Guarantee.number == verified.data.number,
            Guarantee.bidder_id == bidder.id,
            Guarantee.lot_id == lot.id,
            Guarantee.pdf_sha256 == verified.pdf_sha256,
            Guarantee.status == GuaranteeStatus.OFFERED.value,
        )
    )
    return found
