"""HTTP for the committee: entry, bids, reviews, signed scores, votes, clarifications, the report and signatures."""

from __future__ import annotations

import asyncio
import base64
import binascii
import tarfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.response import Stream

from bidding.opening import context as opening_context
from core.errors import InvalidInput, NotFound
from core.identity.principal import Principal
from core.identity.roles import Role
from core.schemas import LotNumber
from core.web import UnitOfWork, principal_dependency, requires
from evaluation.report import services as report_services
from evaluation.report.models import EvaluationReport
from evaluation.scoring import clarifications, services, votes
from evaluation.scoring.models import Clarification
from evaluation.scoring.schemas import (
    BidOut,
    ChairVoteIn,
    ClarificationIn,
    ClarificationOut,
    EntryIn,
    EvaluationOut,
    RefusalIn,
    RejectionVoteIn,
    ReplyIn,
    ReportOut,
    ReviewIn,
    RevisionIn,
    ScoreIn,
    SignatureIn,
    VoteIn,
)

EXPERT = requires(Role.EXPERT, Role.TENDEREE)
WATCHERS = requires(Role.EXPERT, Role.TENDEREE, Role.AGENCY, Role.REGULATOR, Role.OPERATOR)


def _roots(request: Request[Any, Any, Any]) -> list[Any]:
    return [request.app.state.ca.certificate]


def clarification_out(c: Clarification) -> ClarificationOut:
    """A clarification as the API shows it."""
    return ClarificationOut(
        id=c.id,
        tender_id=c.tender_id,
        lot=c.lot_number,
        bidder=c.bidder_id,
        question=c.question,
        deadline=c.deadline,
        status=c.status,
    )


def report_out(r: EvaluationReport) -> ReportOut:
    """The report's state."""
    return ReportOut(id=r.id, tender_id=r.tender_id, status=r.status, pdf_sha256=r.pdf_sha256, results=r.results)


async def _member_chunks(package: Path, member: str) -> AsyncIterator[bytes]:
    """A file inside an opened package, read in a worker thread chunk by chunk (never whole in memory)."""
    archive = await asyncio.to_thread(tarfile.open, package, "r:")
    try:
        handle = await asyncio.to_thread(archive.extractfile, member)
        if handle is None:
            return
        while chunk := await asyncio.to_thread(handle.read, FILE_CHUNK):
            yield chunk
    finally:
        await asyncio.to_thread(archive.close)


FILE_CHUNK = 1024 * 1024
DEPENDENCIES = {"principal": Provide(principal_dependency, sync_to_thread=False)}
BIDDERS = [requires(Role.BIDDER)]


class EvaluationController(Controller):
    """/api/evaluations/{tender_id}: the committee's workroom (experts see only their own committee's tender)."""

    path = "/api/evaluations/{tender_id:uuid}"
    tags = ["evaluation"]  # noqa: RUF012 (Litestar reads this class attribute)
    dependencies = DEPENDENCIES

    @post("/enter", guards=[EXPERT], status_code=200, summary="Declare on entry")
    async def enter(self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID, data: EntryIn) -> dict[str, str]:
        """No conflict seats the member; a conflict recuses it."""
        async with uow() as session:
            member = await services.enter(
                session, principal, tender_id, no_conflict=data.no_conflict, declaration=data.declaration
            )
            return {"id": str(member.id), "status": member.status}

    @get("/bids", guards=[EXPERT], summary="Opened bids")
    async def bids(self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID) -> list[BidOut]:
        """Only for seated members of this committee."""
        async with uow.read() as session:
            return [
                BidOut(lot=b.lot, bidder=b.bidder, bidder_name=b.bidder_name, price=str(b.price), files=b.files)
                for b in await services.bids_for_member(session, principal, tender_id)
            ]

    @get("/files", guards=[EXPERT], summary="One file of an opened bid (seated members)")
    async def file(
        self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID, lot: LotNumber, bidder: uuid.UUID, name: str
    ) -> Stream:
        """The decrypted file as the opening checked it against the bidder's signed manifest (SHA-256 in /bids)."""
        async with uow.read() as session:
            bid_id, member = await services.bid_file(session, principal, tender_id, lot, bidder, name)
        package = opening_context.current().package_path(bid_id)
        if not await asyncio.to_thread(package.is_file):
            raise NotFound(f"the opened package of this bid is not kept on this server ({package.name})")
        return Stream(
            _member_chunks(package, f"files/{member}"),
            media_type="application/octet-stream",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(Path(member).name)}"},
        )

    @post("/reviews", guards=[EXPERT], status_code=201, summary="Qualification and compliance verdict")
    async def review(
        self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID, data: ReviewIn
    ) -> dict[str, str]:
        """Pass or fail with rule-50 grounds; locked once stored."""
        async with uow() as session:
            row = await services.review_bid(
                session,
                principal,
                tender_id,
                lot=data.lot,
                bidder=data.bidder,
                passed=data.passed,
                grounds=data.grounds,
                note=data.note,
            )
            return {"id": str(row.id)}

    @post("/scores", guards=[EXPERT], status_code=201, summary="Submit a signed score")
    async def score(
        self,
        request: Request[Any, Any, Any],
        uow: UnitOfWork,
        principal: Principal,
        tender_id: uuid.UUID,
        data: ScoreIn,
    ) -> dict[str, Any]:
        """Verified against the member's certified key; locked from then on."""
        async with uow() as session:
            sheet = await services.submit_score(session, principal, tender_id, data.statement, _roots(request))
            return {"id": str(sheet.id), "subjective_total": str(sheet.subjective_total), "version": sheet.version}

    @post("/scores/revisions", guards=[EXPERT], status_code=201, summary="Revise a locked score (rule 53)")
    async def revise(
        self,
        request: Request[Any, Any, Any],
        uow: UnitOfWork,
        principal: Principal,
        tender_id: uuid.UUID,
        data: RevisionIn,
    ) -> dict[str, Any]:
        """Only for a sum error, out-of-range, inconsistent objective or abnormal scores."""
        async with uow() as session:
            sheet = await services.revise_score(
                session, principal, tender_id, data.statement, data.reason, _roots(request)
            )
            return {"id": str(sheet.id), "subjective_total": str(sheet.subjective_total), "version": sheet.version}

    @post("/extension-votes", guards=[EXPERT], status_code=201, summary="Ask for more time (rule 41)")
    async def vote(self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID, data: VoteIn) -> dict[str, bool]:
        """Extended once more than 1/3 of the members ask."""
        async with uow() as session:
            evaluation = await votes.vote_extension(session, principal, tender_id, data.reason)
            return {"extended": evaluation.extended}

    @get(
        "/", guards=[requires(Role.EXPERT, Role.TENDEREE, Role.AGENCY, Role.REGULATOR, Role.OPERATOR)], summary="State"
    )
    async def state(self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID) -> EvaluationOut:
        """Status, chair and rule-52 decisions: seated members, the tender's parties, regulators."""
        async with uow.read() as session:
            evaluation = await votes.evaluation_state(session, principal, tender_id)
            chair = await services.seat_number(session, evaluation.chair_member_id)
            return EvaluationOut(
                tender_id=evaluation.tender_id,
                status=evaluation.status,
                extended=evaluation.extended,
                chair_seat=chair,
                decisions=evaluation.decisions,
            )

    @post("/chair-votes", guards=[EXPERT], status_code=201, summary="Elect the chair (rule 38)")
    async def chair(
        self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID, data: ChairVoteIn
    ) -> dict[str, bool]:
        """Elected by a majority of the seated members; never the purchaser's representative (采购)."""
        async with uow() as session:
            evaluation = await votes.vote_chair(session, principal, tender_id, data.seat)
            return {"elected": evaluation.chair_member_id is not None}

    @post("/rejection-votes", guards=[EXPERT], status_code=201, summary="Vote on rejecting all bids (rule 52)")
    async def reject_all(
        self,
        request: Request[Any, Any, Any],
        uow: UnitOfWork,
        principal: Principal,
        tender_id: uuid.UUID,
        data: RejectionVoteIn,
    ) -> dict[str, Any]:
        """工程, 1 or 2 valid bids: each member signs a vote; the majority's decision is recorded."""
        async with uow() as session:
            evaluation = await votes.vote_reject_all(session, principal, tender_id, data.statement, _roots(request))
            return {"decisions": evaluation.decisions}

    @post("/clarifications", guards=[EXPERT], status_code=201, summary="Ask a low bid to explain (rule 49)")
    async def clarify(
        self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID, data: ClarificationIn
    ) -> ClarificationOut:
        """Only for an abnormally low bid; the bidder replies with a signed statement by the deadline."""
        async with uow() as session:
            return clarification_out(
                await clarifications.request_clarification(
                    session,
                    principal,
                    tender_id,
                    lot=data.lot,
                    bidder=data.bidder,
                    question=data.question,
                    hours=data.hours,
                )
            )

    @post("/report", guards=[EXPERT], status_code=201, summary="Compute the results and render the report")
    async def finalize(self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID) -> ReportOut:
        """Means of locked scores, ranking with documented tie-breaks, at most 3 candidates."""
        async with uow() as session:
            return report_out(await report_services.finalize(session, principal, tender_id))

    @get("/report", summary="The report's state and results")
    async def report(self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID) -> ReportOut:
        """Members always; the tender's parties and regulators once signed."""
        async with uow.read() as session:
            return report_out(await report_services.report_for(session, principal, tender_id))

    @get("/report/pdf", summary="The report PDF as signed so far", media_type="application/pdf")
    async def report_pdf(self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID) -> Response[bytes]:
        """The next signer appends to exactly these bytes."""
        async with uow.read() as session:
            report = await report_services.report_for(session, principal, tender_id)
            return Response(report.pdf, media_type="application/pdf")

    @post("/report/signatures", guards=[EXPERT], status_code=201, summary="Append my signature")
    async def sign(
        self,
        request: Request[Any, Any, Any],
        uow: UnitOfWork,
        principal: Principal,
        tender_id: uuid.UUID,
        data: SignatureIn,
    ) -> ReportOut:
        """The current PDF plus one valid PAdES signature by the member's certified key; dissent optional."""
        try:
            pdf = base64.b64decode(data.pdf_base64, validate=True)
        except (binascii.Error, ValueError) as exc:  # a non-ASCII string raises ValueError
            raise InvalidInput("pdf_base64: not base64") from exc
        async with uow() as session:
            return report_out(
                await report_services.sign_report(session, principal, tender_id, pdf, data.dissent, _roots(request))
            )

    @post("/report/refusals", guards=[EXPERT], status_code=201, summary="Refuse to sign")
    async def refuse(self, uow: UnitOfWork, principal: Principal, tender_id: uuid.UUID, data: RefusalIn) -> ReportOut:
        """With a reason: dissent; without: counted as agreement (rule 54)."""
        async with uow() as session:
            return report_out(await report_services.refuse_report(session, principal, tender_id, data.reason))


class ClarificationController(Controller):
    """/api/clarifications: the bidder's side of rule 49."""

    path = "/api/clarifications"
    tags = ["evaluation"]  # noqa: RUF012 (Litestar reads this class attribute)
    guards = BIDDERS
    dependencies = DEPENDENCIES

    @get("/", summary="Clarification requests to my organization")
    async def mine(self, uow: UnitOfWork, principal: Principal) -> list[ClarificationOut]:
        """Open and closed requests."""
        async with uow.read() as session:
            return [clarification_out(c) for c in await clarifications.my_clarifications(session, principal)]

    @post("/{clarification_id:uuid}/reply", status_code=200, summary="Reply with a signed explanation")
    async def reply(
        self,
        request: Request[Any, Any, Any],
        uow: UnitOfWork,
        principal: Principal,
        clarification_id: uuid.UUID,
        data: ReplyIn,
    ) -> ClarificationOut:
        """Accepted only before the deadline on the database clock."""
        async with uow() as session:
            return clarification_out(
                await clarifications.reply_clarification(
                    session, principal, clarification_id, data.statement, _roots(request)
                )
            )
