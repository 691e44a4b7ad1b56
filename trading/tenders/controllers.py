"""HTTP endpoints for tenders: agencies run them, tenderees read their own, bidders download and ask."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.exceptions import SerializationException
from litestar.params import Parameter
from litestar.response import Stream

from core.blobs import BlobStore
from core.errors import NotFound
from core.identity.principal import Principal
from core.identity.roles import Role
from core.settings import Settings
from core.web import UnitOfWork, optional_principal_dependency, principal_dependency, requires, signed_in
from trading.tenders.models import DocumentDownload, Tender, TenderDocument, TenderQuestion
from trading.tenders.rules import refuse_floor_price
from trading.tenders.schemas import (
    AmendmentIn,
    AnswerIn,
    CancelIn,
    DocumentOut,
    DownloadOut,
    LotOut,
    ProposalOut,
    QuestionIn,
    QuestionOut,
    TenderIn,
    TenderOut,
)
from trading.tenders.services import documents, lifecycle, questions
from trading.tenders.services.access import readable_tender
from trading.tenders.services.documents import MAX_DOCUMENT_BYTES

DEPENDENCIES = {
    "principal": Provide(principal_dependency, sync_to_thread=False),
    "viewer": Provide(optional_principal_dependency, sync_to_thread=False),
}
agency_only = requires(Role.AGENCY)


async def floor_price_guard(request: Request[Any, Any, Any]) -> None:
    """Rule 10 before decoding: a body carrying a floor price is refused naming the rule, not as an unknown field; a
    body that does not parse is left to the route's own decoding, which says what is wrong."""
    if not await request.body():
        return
    try:
        body = await request.json()
    except (SerializationException, ValueError, RecursionError):
        return
    refuse_floor_price(body)


def tender_out(tender: Tender) -> TenderOut:
    """The API view of a tender."""
    return TenderOut(
        id=tender.id,
        title=tender.title,
        title_en=tender.title_en,
        description=tender.description,
        status=tender.status,
        category=tender.category,
        legal_basis=tender.legal_basis,
        method=tender.method,
        tenderee_id=tender.tenderee_id,
        agency_id=tender.agency_id,
        currency=tender.currency,
        ceiling_price=tender.ceiling_price,
        bond_forms=list(tender.bond_forms),
        bid_validity_days=tender.bid_validity_days,
        evaluation_method=tender.evaluation_method,
        scoring_template=tender.scoring_template,
        decryption_window_minutes=tender.decryption_window_minutes,
        custodian_org_ids=list(tender.custodian_org_ids),
        escrow_quorum=tender.escrow_quorum,
        committee_size=tender.committee_size,
        bid_deadline=tender.bid_deadline,
        published_at=tender.published_at,
        cancellation_reason=tender.cancellation_reason,
        lots=[
            LotOut(
                id=lot.id,
                number=lot.number,
                title=lot.title,
                description=lot.description,
                estimated_value=lot.estimated_value,
                bid_bond_amount=lot.bid_bond_amount,
            )
            for lot in tender.lots
        ],
    )


def document_out(document: TenderDocument) -> DocumentOut:
    """The API view of a document."""
    return DocumentOut(
        id=document.id,
        title=document.title,
        filename=document.filename,
        media_type=document.media_type,
        sha256=document.sha256,
        size=document.size,
        published_at=document.published_at,
    )


def question_out(question: TenderQuestion, show_asker: bool) -> QuestionOut:
    """A question; the asker only for the agency."""
    return QuestionOut(
        id=question.id,
        question=question.question,
        asked_at=question.asked_at,
        answer=question.answer,
        answered_at=question.answered_at,
        asker_organization_id=question.asker_organization_id if show_asker else None,
    )


def download_out(row: DocumentDownload) -> DownloadOut:
    """A recorded download."""
    return DownloadOut(
        document_id=row.document_id,
        organization_id=row.organization_id,
        user_id=row.user_id,
        downloaded_at=row.downloaded_at,
    )


class TenderController(Controller):
    """Tenders and their documents, amendments, questions and cancellation."""

    path = "/api/tenders"
    tags = ["tenders"]  # noqa: RUF012 (Litestar reads this class attribute)
    dependencies = DEPENDENCIES

    @post("/", guards=[agency_only], before_request=floor_price_guard, summary="Create a draft tender (agency)")
    async def create(self, data: TenderIn, uow: UnitOfWork, settings: Settings, principal: Principal) -> TenderOut:
        """A draft for one of the agency's tenderees; terms are checked now and at publication."""
        async with uow() as session:
            tender = await lifecycle.create_tender(session, settings, principal, data)
        return tender_out(tender)

    @get("/", summary="Tenders the caller may read")
    async def list_all(self, uow: UnitOfWork, viewer: Principal | None) -> list[TenderOut]:
        """Published tenders for everyone; drafts for their agency and tenderee."""
        async with uow.read() as session:
            tenders = await lifecycle.list_tenders(session, viewer)
        return [tender_out(t) for t in tenders]

    @get("/{tender_id:uuid}", summary="One tender")
    async def show(self, tender_id: uuid.UUID, uow: UnitOfWork, viewer: Principal | None) -> TenderOut:
        """A tender the caller may read (drafts are not found for others)."""
        async with uow.read() as session:
            tender = await readable_tender(session, viewer, tender_id)
        return tender_out(tender)

    @post("/{tender_id:uuid}/publish", status_code=200, guards=[agency_only], summary="Publish a draft (agency)")
    async def publish(
        self, tender_id: uuid.UUID, uow: UnitOfWork, settings: Settings, principal: Principal
    ) -> TenderOut:
        """Rules 1, 10, 13-15, 28 and 33 are checked on the database clock; the tender notice is published."""
        async with uow() as session:
            await lifecycle.publish_tender(session, settings, principal, tender_id)
            tender = await readable_tender(session, principal, tender_id)
        return tender_out(tender)

    @get("/{tender_id:uuid}/amendments/proposal", guards=[agency_only], summary="Deadline an amendment needs (agency)")
    async def proposal(
        self, tender_id: uuid.UUID, uow: UnitOfWork, settings: Settings, principal: Principal
    ) -> ProposalOut:
        """Rule 6: the new deadline to use if an amendment were published now."""
        async with uow.read() as session:
            tender, proposed, warnings = await lifecycle.amendment_proposal(session, settings, principal, tender_id)
        return ProposalOut(current_deadline=tender.bid_deadline, proposed_deadline=proposed, warnings=list(warnings))

    @post(
        "/{tender_id:uuid}/amendments",
        guards=[agency_only],
        before_request=floor_price_guard,
        summary="Publish an amendment (agency)",
    )
    async def amend(
        self, tender_id: uuid.UUID, data: AmendmentIn, uow: UnitOfWork, settings: Settings, principal: Principal
    ) -> TenderOut:
        """Rule 6: within 15 days of the deadline the amendment must postpone it."""
        async with uow() as session:
            await lifecycle.amend_tender(session, settings, principal, tender_id, data)
            tender = await readable_tender(session, principal, tender_id)
        return tender_out(tender)

    @post("/{tender_id:uuid}/cancel", status_code=200, guards=[agency_only], summary="Cancel with a reason (agency)")
    async def cancel(self, tender_id: uuid.UUID, data: CancelIn, uow: UnitOfWork, principal: Principal) -> TenderOut:
        """A published tender's cancellation is announced with its reason."""
        async with uow() as session:
            await lifecycle.cancel_tender(session, principal, tender_id, data.reason)
            tender = await readable_tender(session, principal, tender_id)
        return tender_out(tender)

    @post(
        "/{tender_id:uuid}/documents",
        guards=[agency_only],
        request_max_body_size=MAX_DOCUMENT_BYTES,
        summary="Upload a tender document (agency; raw body)",
    )
    async def upload(
        self,
        tender_id: uuid.UUID,
        request: Request[Any, Any, Any],
        *,
        uow: UnitOfWork,
        settings: Settings,
        principal: Principal,
        title: Annotated[str, Parameter(min_length=1, max_length=300)],
        filename: Annotated[str, Parameter(min_length=1, max_length=255, pattern=r"^[^/\\]+$")],
    ) -> DocumentOut:
        """Streams the body to the blob store under its SHA-256."""
        media_type = request.headers.get("content-type") or "application/octet-stream"
        async with uow() as session:
            document = await documents.add_document(
                session,
                BlobStore(settings.blob_dir),
                principal,
                tender_id,
                title=title,
                filename=filename,
                media_type=media_type[:100],
                chunks=request.stream(),
            )
        return document_out(document)

    @get("/{tender_id:uuid}/documents", summary="Tender documents")
    async def list_documents(
        self, tender_id: uuid.UUID, uow: UnitOfWork, viewer: Principal | None
    ) -> list[DocumentOut]:
        """Published documents with their SHA-256."""
        async with uow.read() as session:
            rows = await documents.list_documents(session, viewer, tender_id)
        return [document_out(d) for d in rows]

    @get("/{tender_id:uuid}/documents/{document_id:uuid}", guards=[signed_in], summary="Download a document")
    async def download(
        self, tender_id: uuid.UUID, document_id: uuid.UUID, uow: UnitOfWork, settings: Settings, principal: Principal
    ) -> Stream:
        """The document's bytes; the download is recorded (rule 12)."""
        store = BlobStore(settings.blob_dir)
        async with uow() as session:
            document = await documents.download_document(session, principal, tender_id, document_id)
            if not store.exists(document.sha256):
                raise NotFound(f"the bytes of document {document_id} are missing from this server's blob store")
        chunks: AsyncIterator[bytes] = store.read_stream(document.sha256)
        return Stream(
            chunks,
            media_type=document.media_type,
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(document.filename)}",
                "X-Content-SHA256": document.sha256,
            },
        )

    @get(
        "/{tender_id:uuid}/downloads",
        guards=[requires(Role.AGENCY, Role.REGULATOR)],
        summary="Who downloaded the documents (after the deadline)",
    )
    async def downloads(self, tender_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> list[DownloadOut]:
        """Rule 12: agency and regulators only, once the bid deadline has passed."""
        async with uow.read() as session:
            rows = await documents.list_downloads(session, principal, tender_id)
        return [download_out(r) for r in rows]

    @post("/{tender_id:uuid}/questions", guards=[requires(Role.BIDDER)], summary="Ask a question (bidder)")
    async def ask(self, tender_id: uuid.UUID, data: QuestionIn, uow: UnitOfWork, principal: Principal) -> QuestionOut:
        """The answer will be published to everyone without naming the asker."""
        async with uow() as session:
            question = await questions.ask(session, principal, tender_id, data.question)
        return question_out(question, show_asker=False)

    @get("/{tender_id:uuid}/questions", summary="Questions and answers")
    async def list_questions(
        self, tender_id: uuid.UUID, uow: UnitOfWork, viewer: Principal | None
    ) -> list[QuestionOut]:
        """Answered questions for all, a bidder's own open ones to it; the agency sees every one, and who asked once
        the deadline has passed."""
        async with uow.read() as session:
            rows, manager = await questions.list_questions(session, viewer, tender_id)
        return [question_out(q, manager) for q in rows]

    @post(
        "/{tender_id:uuid}/questions/{question_id:uuid}/answer",
        status_code=200,
        guards=[agency_only],
        summary="Answer a question to all bidders (agency)",
    )
    async def answer(
        self, tender_id: uuid.UUID, question_id: uuid.UUID, data: AnswerIn, uow: UnitOfWork, principal: Principal
    ) -> QuestionOut:
        """Publish the answer to everyone; the asker is not named here (the list names it after the deadline)."""
        async with uow() as session:
            question = await questions.answer(session, principal, tender_id, question_id, data.answer)
        return question_out(question, show_asker=False)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
