"""The report (rule 54): results from locked scores, the PDF, signatures by every member in turn, dissent, release.

The platform renders; each member's own client appends a PAdES signature with the member's certified key.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import db_now
from core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from core.identity.principal import Principal
from core.identity.roles import Role
from core.journal import SYSTEM, record_event
from evaluation.draws.models import PanelMember
from evaluation.draws.services import committee, publish_draws
from evaluation.draws.states import SeatStatus
from evaluation.report.document import render_report
from evaluation.report.models import EvaluationReport, ReportSignature
from evaluation.scoring.models import ScoreSheet
from evaluation.scoring.rules import MAX_CANDIDATES, TIE_BREAKS, deviations, q, rank_bids
from evaluation.scoring.services import open_evaluation, seat_of, template_of
from evaluation.scoring.states import EvaluationStatus, SheetStatus
from evaluation.scoring.verdicts import MIN_VALID_BIDS, LotVerdicts, verdicts_by_lot
from signing.ca import public_key_sha256
from signing.pades import PdfSignatureError, validate_pdf_async
from trading.tenders.models import Tender
from trading.tenders.services.stages import advance_tender
from trading.tenders.services.suspension import ensure_not_suspended
from trading.tenders.states import TenderStatus

KIND_ZH = {"expert": "评标专家", "tenderee_rep": "招标人代表"}


def _failed_lot(lot: int, reason: str, verdicts: LotVerdicts, **extra: Any) -> dict[str, Any]:
    return {
        "lot": lot,
        "failed": reason,
        "too_few_valid": True,
        "invalid": verdicts.invalid,
        "ranking": [],
        "candidates": [],
        **extra,
    }


async def _lot_results(
    session: AsyncSession, tender: Tender, seated: list[PanelMember], decisions: dict[str, Any]
) -> list[dict[str, Any]]:
    template = template_of(tender)
    seat_ids = {m.id: m for m in seated}
    sheets = (
        await session.scalars(
            select(ScoreSheet).where(ScoreSheet.tender_id == tender.id, ScoreSheet.status == SheetStatus.LOCKED.value)
        )
    ).all()
    results = []
    for lot, verdicts in (await verdicts_by_lot(session, tender.id, seated)).items():
        valid, invalid = verdicts.valid, verdicts.invalid
        too_few = len(valid) < MIN_VALID_BIDS
        if too_few and tender.legal_basis == "procurement_law":
            results.append(_failed_lot(lot, "rule 52: fewer than 3 qualified bids; no evaluation", verdicts))
            continue
        if not valid:
            results.append(_failed_lot(lot, "no valid bid", verdicts))
            continue
        if too_few:
            decision = decisions.get(str(lot))
            if decision is None:
                raise RuleViolation(
                    52,
                    f"lot {lot} has {len(valid)} valid bids: the committee first votes whether to reject all "
                    "(POST .../rejection-votes)",
                )
            if decision["reject_all"]:
                reason = f"rule 52: the committee rejected all bids ({decision['for']} of {decision['members']} votes)"
                results.append(_failed_lot(lot, reason, verdicts, rejected_all=True, decision=decision))
                continue
        totals: dict[str, dict[str, Decimal]] = defaultdict(dict)
        for bid in valid:
            for member in seated:
                sheet = next(
                    (
                        s
                        for s in sheets
                        if s.member_id == member.id and s.lot_number == lot and s.bidder_id == bid.bidder
                    ),
                    None,
                )
                if sheet is None:
                    raise Conflict(f"lot {lot}: seat {member.seat} has not scored {bid.bidder_name}")
                totals[str(bid.bidder)][str(member.id)] = sheet.subjective_total
        names = {str(b.bidder): b.bidder_name for b in valid}
        ranking = rank_bids(
            {str(b.bidder): b.price for b in valid}, {k: list(v.values()) for k, v in totals.items()}, template
        )
        rows = [
            {
                "rank": r.rank,
                "bidder": r.bidder,
                "bidder_name": names[r.bidder],
                "price": str(r.price),
                "price_score": str(r.price_score),
                "subjective_mean": str(r.subjective_mean),
                "final": str(q(r.final)),
            }
            for r in ranking
        ]
        flags = [d for d in deviations(totals, template.deviation_threshold) if d.flagged]
        results.append(
            {
                "lot": lot,
                "too_few_valid": too_few,
                "decision": decisions.get(str(lot)),
                "invalid": invalid,
                "ranking": rows,
                "candidates": rows[:MAX_CANDIDATES],
                "deviations": [
                    {
                        "member": d.member,
                        "seat": seat_ids[uuid.UUID(d.member)].seat,
                        "bidder": d.bidder,
                        "score": str(d.score),
                        "mean": str(d.mean),
                        "deviation": str(d.deviation),
                    }
                    for d in flags
                ],
                "scores": {
                    b: {str(seat_ids[uuid.UUID(m)].seat): str(s) for m, s in v.items()} for b, v in totals.items()
                },
            }
        )
    return results


async def finalize(session: AsyncSession, principal: Principal, tender_id: uuid.UUID) -> EvaluationReport:
    """Compute the results from locked scores (means, no extremes dropped), flag deviations, render the report."""
    _, tender = await seat_of(session, principal, tender_id)
    ensure_not_suspended(tender)
    evaluation = await open_evaluation(session, tender_id)
    if evaluation.status != EvaluationStatus.OPEN:
        raise Conflict(f"the evaluation is already {evaluation.status}")
    members = await committee(session, tender_id)
    seated = [m for m in members if m.status == SeatStatus.SEATED]
    if len(seated) != tender.committee_size:
        raise RuleViolation(
            33, f"{len(seated)} of {tender.committee_size} members are seated; the committee is incomplete"
        )
    chair = next((m for m in seated if m.id == evaluation.chair_member_id), None)
    if chair is None and tender.legal_basis == "procurement_law":
        raise RuleViolation(38, "the committee elects its chair before the report (POST .../chair-votes)")
    template = template_of(tender)
    lots = await _lot_results(session, tender, seated, evaluation.decisions)
    now = await db_now(session)
    results = {
        "tender": str(tender.id),
        "method": tender.evaluation_method,
        "tie_breaks": TIE_BREAKS,
        "price_formula": template.formula.value,
        "members": [{"seat": m.seat, "member": str(m.id), "kind": m.kind, "kind_zh": KIND_ZH[m.kind]} for m in seated],
        "chair_seat": chair.seat if chair else None,
        "lots": lots,
        "computed_at": now.isoformat(),
    }
    pdf = render_report(tender.title, results, now)
    report = EvaluationReport(
        tender_id=tender.id, status="signing", results=results, pdf=pdf, pdf_sha256=hashlib.sha256(pdf).hexdigest()
    )
    session.add(report)
    evaluation.status = EvaluationStatus.REPORTING.value
    evaluation.lot_outcomes = {str(lot["lot"]): [c["bidder"] for c in lot["candidates"]] for lot in lots}
    await session.flush()
    for lot in lots:
        for flag in lot.get("deviations", []):
            await record_event(
                session,
                "evaluation.deviation_flagged",
                {
                    "tender": str(tender.id),
                    "lot": lot["lot"],
                    **flag,
                    "threshold": str(template.deviation_threshold),
                    "evidence": lot["scores"].get(flag["bidder"], {}),
                },
                subject_id=uuid.UUID(flag["member"]),
            )
    await record_event(
        session,
        "evaluation.report_rendered",
        {"tender": str(tender.id), "report": str(report.id), "pdf_sha256": report.pdf_sha256},
        actor=principal.actor,
        subject_id=report.id,
    )
    return report


async def report_for(session: AsyncSession, principal: Principal, tender_id: uuid.UUID) -> EvaluationReport:
    """The report: committee members and, once signed, the tender's agency, tenderee and regulators."""
    report = await session.scalar(select(EvaluationReport).where(EvaluationReport.tender_id == tender_id))
    if report is None:
        raise NotFound(f"tender {tender_id} has no evaluation report yet")
    member = await session.scalar(
        select(PanelMember.id).where(
            PanelMember.tender_id == tender_id,
            PanelMember.user_id == principal.user_id,
            PanelMember.status == SeatStatus.SEATED.value,
        )
    )
    if member is not None:
        return report
    tender = await session.get(Tender, tender_id)
    party = tender is not None and principal.organization_id in (tender.agency_id, tender.tenderee_id)
    if report.status == "signed" and (party or principal.has(Role.REGULATOR, Role.OPERATOR)):
        return report
    raise NotFound(f"tender {tender_id} has no evaluation report you may read")


async def _act(
    session: AsyncSession, principal: Principal, tender_id: uuid.UUID
) -> tuple[EvaluationReport, PanelMember]:
    member, tender = await seat_of(session, principal, tender_id)
    ensure_not_suspended(tender)
    report = await session.scalar(
        select(EvaluationReport).where(EvaluationReport.tender_id == tender_id).with_for_update()
    )
    if report is None or report.status != "signing":
        raise Conflict("there is no report awaiting signatures")
    if await session.scalar(
        select(ReportSignature.id).where(ReportSignature.report_id == report.id, ReportSignature.member_id == member.id)
    ):
        raise Conflict("you have already signed or refused this report")
    return report, member


async def sign_report(
    session: AsyncSession,
    principal: Principal,
    tender_id: uuid.UUID,
    pdf: bytes,
    dissent: str | None,
    roots: list[x509.Certificate],
) -> EvaluationReport:
    """Accept the report with one more signature appended by this member's certified key, nothing else changed."""
    report, member = await _act(session, principal, tender_id)
    if len(pdf) <= len(report.pdf) or not pdf.startswith(report.pdf):
        raise InvalidInput("the signed file must be the current report with one signature appended")
    try:
        statuses = await validate_pdf_async(pdf, roots)
    except PdfSignatureError as exc:
        raise InvalidInput(f"pdf: {exc}") from exc
    signed = await session.scalars(
        select(ReportSignature).where(ReportSignature.report_id == report.id, ReportSignature.action == "signed")
    )
    if len(statuses) != len(signed.all()) + 1 or not all(s.accepted for s in statuses):
        raise InvalidInput("pdf: every signature must be valid and exactly one must be new")
    cert = statuses[-1].signer_certificate
    from core.identity.models import Certificate

    if cert is None or not await session.scalar(
        select(Certificate.id).where(
            Certificate.user_id == principal.user_id, Certificate.public_key_sha256 == public_key_sha256(cert)
        )
    ):
        raise InvalidInput("pdf: the new signature is not made with your certified key")
    report.pdf = pdf
    report.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    return await _record_act(session, principal, report, member, "signed", dissent)


async def refuse_report(
    session: AsyncSession, principal: Principal, tender_id: uuid.UUID, reason: str | None
) -> EvaluationReport:
    """Rule 54: refusing with a written reason records dissent; refusing without one counts as agreement."""
    report, member = await _act(session, principal, tender_id)
    return await _record_act(session, principal, report, member, "refused", reason)


async def _record_act(
    session: AsyncSession,
    principal: Principal,
    report: EvaluationReport,
    member: PanelMember,
    action: str,
    dissent: str | None,
) -> EvaluationReport:
    session.add(
        ReportSignature(
            report_id=report.id,
            member_id=member.id,
            action=action,
            dissent=dissent or None,
            pdf_sha256=report.pdf_sha256,
        )
    )
    await session.flush()
    agreed = action == "signed" or not dissent
    await record_event(
        session,
        f"evaluation.report_{action}",
        {
            "tender": str(report.tender_id),
            "seat": member.seat,
            "dissent": dissent,
            "counted_as_agreement": agreed,
            "pdf_sha256": report.pdf_sha256,
        },
        actor=principal.actor,
        subject_id=report.id,
    )
    acts = (await session.scalars(select(ReportSignature).where(ReportSignature.report_id == report.id))).all()
    seated = [m for m in await committee(session, report.tender_id) if m.status == SeatStatus.SEATED]
    if len(acts) == len(seated):
        await _complete(session, report, list(acts))
    return report


async def _complete(session: AsyncSession, report: EvaluationReport, acts: list[ReportSignature]) -> None:
    """Every member acted: the result is fixed, the draw records are published, the award clocks start."""
    report.status = "signed"
    report.signed_at = await db_now(session)
    evaluation = await open_evaluation(session, report.tender_id)
    evaluation.status = EvaluationStatus.SIGNED.value
    await record_event(
        session,
        "evaluation.report_signed",
        {
            "tender": str(report.tender_id),
            "report": str(report.id),
            "pdf_sha256": report.pdf_sha256,
            "signatures": sum(1 for a in acts if a.action == "signed"),
            "dissents": [a.dissent for a in acts if a.dissent],
        },
        subject_id=report.id,
    )
    await publish_draws(session, report.tender_id)
    from evaluation.award.services import open_awards

    if not await open_awards(session, report):
        await advance_tender(
            session, report.tender_id, TenderStatus.FAILED, actor=SYSTEM, reason="evaluation: no lot has a candidate"
        )
        await record_event(
            session,
            "evaluation.failed",
            {
                "tender": str(report.tender_id),
                "report": str(report.id),
                "lots": {str(lot["lot"]): lot.get("failed") for lot in report.results["lots"]},
            },
            subject_id=report.id,
        )


def ensure_member_or_party(principal: Principal, tender: Tender) -> None:
    """Result views: committee, agency, tenderee, regulators and the operator."""
    if not (
        principal.has(Role.REGULATOR, Role.OPERATOR)
        or principal.organization_id in (tender.agency_id, tender.tenderee_id)
    ):
        raise Forbidden("the results are visible to the tender's parties and regulators once fixed")
