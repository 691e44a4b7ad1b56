"""Tender documents: stored by SHA-256, downloadable by any signed-in party; downloaders secret until the deadline."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.blobs import BlobStore
from core.db import db_now
from core.errors import Conflict, Forbidden, NotFound
from core.identity.principal import Principal
from core.identity.roles import Role
from core.journal import record_event
from trading.tenders.errors import ConfidentialUntilDeadline
from trading.tenders.models import DocumentDownload, TenderDocument
from trading.tenders.rules import bidders_sealed
from trading.tenders.services.access import is_manager, managed_tender, readable_tender
from trading.tenders.states import TenderStatus

MAX_DOCUMENT_BYTES = 200 * 1024 * 1024


async def add_document(
    session: AsyncSession,
    store: BlobStore,
    principal: Principal,
    tender_id: uuid.UUID,
    *,
    title: str,
    filename: str,
    media_type: str,
    chunks: AsyncIterable[bytes],
) -> TenderDocument:
    """Store a document; in a draft it is published with the tender, later only through an amendment."""
    tender = await managed_tender(session, principal, tender_id)
    if tender.status not in (TenderStatus.DRAFT, TenderStatus.PUBLISHED):
        raise Conflict(f"documents cannot be added to a {tender.status} tender")
    blob = await store.put_stream(chunks, MAX_DOCUMENT_BYTES)
    document = TenderDocument(
        id=uuid.uuid4(),
        tender_id=tender.id,
        title=title,
        filename=filename,
        media_type=media_type,
        sha256=blob.sha256,
        size=blob.size,
        uploaded_by=principal.user_id,
    )
    session.add(document)
    await session.flush()
    await record_event(
        session,
        "tender.document_added",
        {"tender": str(tender.id), "document": str(document.id), "sha256": blob.sha256, "size": blob.size},
        actor=principal.actor,
        subject_id=tender.id,
    )
    return document


async def list_documents(
    session: AsyncSession, principal: Principal | None, tender_id: uuid.UUID
) -> list[TenderDocument]:
    """Published documents for everyone; the managing agency also sees those not yet published."""
    tender = await readable_tender(session, principal, tender_id)
    query = select(TenderDocument).where(TenderDocument.tender_id == tender.id)
    if not is_manager(principal, tender):
        query = query.where(TenderDocument.published_at.is_not(None))
    return list((await session.scalars(query.order_by(TenderDocument.uploaded_at, TenderDocument.id))).all())


async def download_document(
    session: AsyncSession, principal: Principal, tender_id: uuid.UUID, document_id: uuid.UUID
) -> TenderDocument:
    """Record who downloads a published document (no registration gate beyond sign-up: rule 12)."""
    tender = await readable_tender(session, principal, tender_id)
    document = await session.get(TenderDocument, document_id)
    if document is None or document.tender_id != tender.id:
        raise NotFound(f"document {document_id} does not exist")
    if document.published_at is None and not is_manager(principal, tender):
        raise NotFound(f"document {document_id} does not exist")
    row = DocumentDownload(
        document_id=document.id,
        tender_id=tender.id,
        user_id=principal.user_id,
        organization_id=principal.organization_id,
    )
    session.add(row)
    await session.flush()
    await record_event(
        session,
        "tender.document_downloaded",
        {"tender": str(tender.id), "document": str(document.id), "organization": str(principal.organization_id)},
        actor=principal.actor,
        subject_id=tender.id,
        confidential=True,
    )
    return document


async def list_downloads(session: AsyncSession, principal: Principal, tender_id: uuid.UUID) -> list[DocumentDownload]:
    """Rule 12: the downloader list, for the agency and regulators, only once the bid deadline has passed."""
    tender = await readable_tender(session, principal, tender_id)
    if not (is_manager(principal, tender) or principal.has(Role.REGULATOR)):
        raise Forbidden("the downloader list is for the tender's agency and regulators only")
    if bidders_sealed(tender.bid_deadline, tender.cancelled_at, await db_now(session)):
        raise ConfidentialUntilDeadline(
            12,
            "who downloaded the tender documents stays confidential until the bid deadline (for good when the "
            "tender was cancelled before it)",
        )
    rows = await session.scalars(
        select(DocumentDownload)
        .where(DocumentDownload.tender_id == tender.id)
        .order_by(DocumentDownload.downloaded_at, DocumentDownload.id)
    )
    return list(rows.all())
