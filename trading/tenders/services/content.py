"""Notice snapshots: what a notice announced, frozen as JSON when it is published."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.models import Organization
from trading.tenders.models import Tender, TenderAmendment, TenderDocument, TenderNotice

KIND_TITLES = {
    "tender": ("招标公告", "Tender notice"),
    "amendment": ("变更公告", "Amendment notice"),
    "cancellation": ("终止公告", "Cancellation notice"),
}


def _org(org: Organization) -> dict[str, Any]:
    return {"id": str(org.id), "name": org.name, "name_en": org.name_en, "credit_code": org.credit_code}


async def tender_snapshot(session: AsyncSession, tender: Tender) -> dict[str, Any]:
    """The tender's public terms, parties and published documents as plain JSON."""
    ids = {tender.tenderee_id, tender.agency_id, *tender.custodian_org_ids}
    orgs = {o.id: o for o in (await session.scalars(select(Organization).where(Organization.id.in_(ids)))).all()}
    documents = (
        await session.scalars(
            select(TenderDocument)
            .where(TenderDocument.tender_id == tender.id, TenderDocument.published_at.is_not(None))
            .order_by(TenderDocument.uploaded_at, TenderDocument.id)
        )
    ).all()
    total = sum((lot.estimated_value for lot in tender.lots), Decimal(0))
    return {
        "tender_id": str(tender.id),
        "title": tender.title,
        "title_en": tender.title_en,
        "description": tender.description,
        "status": tender.status,
        "category": tender.category,
        "legal_basis": tender.legal_basis,
        "method": tender.method,
        "tenderee": _org(orgs[tender.tenderee_id]),
        "agency": _org(orgs[tender.agency_id]),
        "custodians": [_org(orgs[i]) for i in tender.custodian_org_ids],
        "escrow_quorum": tender.escrow_quorum,
        "currency": tender.currency,
        "total_estimate": str(total),
        "ceiling_price": None if tender.ceiling_price is None else str(tender.ceiling_price),
        "bond_forms": list(tender.bond_forms),
        "bid_validity_days": tender.bid_validity_days,
        "evaluation_method": tender.evaluation_method,
        "decryption_window_minutes": tender.decryption_window_minutes,
        "committee_size": tender.committee_size,
        "issued_at": tender.published_at.isoformat() if tender.published_at else None,
        "bid_deadline": tender.bid_deadline.isoformat(),
        "lots": [
            {
                "id": str(lot.id),
                "number": lot.number,
                "title": lot.title,
                "description": lot.description,
                "estimated_value": str(lot.estimated_value),
                "bid_bond_amount": str(lot.bid_bond_amount),
            }
            for lot in tender.lots
        ],
        "documents": [
            {
                "id": str(d.id),
                "title": d.title,
                "filename": d.filename,
                "media_type": d.media_type,
                "sha256": d.sha256,
                "size": d.size,
                "published_at": d.published_at.isoformat() if d.published_at else None,
            }
            for d in documents
        ],
    }


async def publish_notice(
    session: AsyncSession,
    tender: Tender,
    kind: str,
    published_at: datetime,
    amendment: TenderAmendment | None = None,
) -> TenderNotice:
    """Freeze and store a notice of the given kind."""
    content = await tender_snapshot(session, tender)
    content["notice_kind"] = kind
    content["notice_published_at"] = published_at.isoformat()
    if amendment is not None:
        content["amendment"] = {
            "id": str(amendment.id),
            "number": amendment.number,
            "summary": amendment.summary,
            "description": amendment.description,
            "previous_deadline": amendment.previous_deadline.isoformat(),
            "bid_deadline": amendment.bid_deadline.isoformat(),
        }
    if kind == "cancellation":
        content["cancellation"] = {"reason": tender.cancellation_reason}
    zh, en = KIND_TITLES[kind]
    notice = TenderNotice(
        id=uuid.uuid4(),
        tender_id=tender.id,
        kind=kind,
        title=f"{tender.title} {zh}",
        title_en=f"{tender.title_en or tender.title} — {en}",
        published_at=published_at,
        amendment_id=amendment.id if amendment else None,
        content=content,
    )
    session.add(notice)
    await session.flush()
    return notice
