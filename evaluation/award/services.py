"""After the report (rules 55-62): publicity, the decision, the award notice to all at once, contract and report clocks.

Every step first passes trading's suspension guard, so an objection or complaint that suspends the tender stops the
award where it stands; the chronograph skips suspended tenders too. Signing a contract also passes the contract hold
that an open challenge sets (rule 66).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import db_now
from core.errors import Conflict, Forbidden, NotFound, RuleViolation
from core.holidays import load_snapshot
from core.identity.models import Organization
from core.identity.principal import Principal
from core.identity.roles import Role
from core.journal import SYSTEM, Actor, record_event
from core.settings import UnknownHolidayYearPolicy
from evaluation.award.models import Award
from evaluation.award.rules import (
    AwardRules,
    check_choice,
    contract_due,
    decision_due,
    publicity_end,
    regulator_report_due,
)
from evaluation.report.models import EvaluationReport
from signing.statements import sign_statement
from trading.tenders.models import Tender, TenderLot
from trading.tenders.services.contract_hold import ensure_contract_signable
from trading.tenders.services.stages import advance_tender
from trading.tenders.services.suspension import ensure_not_suspended
from trading.tenders.states import TenderStatus

RULES = AwardRules()
POLICY = UnknownHolidayYearPolicy.WEEKENDS_ONLY


def _procurement(tender: Tender) -> bool:
    return tender.legal_basis == "procurement_law"


async def open_awards(session: AsyncSession, report: EvaluationReport) -> list[Award]:
    """The signed report starts publicity (工程, rule 55) or the purchaser's decision clock (采购, rule 58)."""
    tender = await session.get(Tender, report.tender_id)
    if tender is None:
        raise NotFound(f"tender {report.tender_id} does not exist")
    now = await db_now(session)
    snapshot = await load_snapshot(session, POLICY)
    lots = {
        lot.number: lot
        for lot in (await session.scalars(select(TenderLot).where(TenderLot.tender_id == tender.id))).all()
    }
    awards = []
    for lot in report.results["lots"]:
        if not lot["candidates"]:
            continue
        award = Award(
            tender_id=tender.id, lot_id=lots[lot["lot"]].id, lot_number=lot["lot"], candidates=lot["candidates"]
        )
        if _procurement(tender):
            award.status = "awaiting_decision"
            award.decision_due = decision_due(now, snapshot, RULES)
        else:
            award.status = "publicity"
            award.publicity_ends_at = publicity_end(now, snapshot, RULES)
        session.add(award)
        awards.append(award)
    await session.flush()
    if awards:
        await advance_tender(
            session, tender.id, TenderStatus.CANDIDATES_PUBLICIZED, actor=SYSTEM, reason="evaluation report signed"
        )
    for award in awards:
        await record_event(
            session,
            "award.candidates_publicized",
            {
                "tender": str(tender.id),
                "lot": award.lot_number,
                "candidates": [
                    {"rank": c["rank"], "bidder": c["bidder"], "name": c["bidder_name"], "final": c["final"]}
                    for c in award.candidates
                ],
                "publicity_ends_at": award.publicity_ends_at.isoformat() if award.publicity_ends_at else None,
                "decision_due": award.decision_due.isoformat() if award.decision_due else None,
            },
            subject_id=award.id,
        )
    return awards


async def _tender_for(session: AsyncSession, principal: Principal, tender_id: uuid.UUID, *, write: bool) -> Tender:
    tender = await session.scalar(
        select(Tender).where(Tender.id == tender_id).with_for_update(of=Tender)
        if write
        else select(Tender).where(Tender.id == tender_id)
    )
    if tender is None:
        raise NotFound(f"tender {tender_id} does not exist")
    party = principal.organization_id in (tender.agency_id, tender.tenderee_id)
    if write and not (party and principal.has(Role.AGENCY, Role.TENDEREE)):
        raise Forbidden("only the tender's agency or tenderee acts on the award")
    return tender


async def awards_of(session: AsyncSession, tender_id: uuid.UUID) -> list[Award]:
    """A tender's awards by lot (public: candidates are published once the report is signed)."""
    rows = await session.scalars(select(Award).where(Award.tender_id == tender_id).order_by(Award.lot_number))
    return list(rows.all())


async def public_results(session: AsyncSession, tender_id: uuid.UUID) -> tuple[Tender, list[Award], datetime]:
    """The tender, its awards and the database time, once the report is signed (awards exist only from then on)."""
    awards = await awards_of(session, tender_id)
    tender = await session.get(Tender, tender_id)
    if not awards or tender is None:
        raise NotFound(f"tender {tender_id} has no published evaluation result")
    return tender, awards, await db_now(session)


async def _award(session: AsyncSession, tender_id: uuid.UUID, lot: int) -> Award:
    award = await session.scalar(
        select(Award).where(Award.tender_id == tender_id, Award.lot_number == lot).with_for_update()
    )
    if award is None:
        raise NotFound(f"lot {lot} of tender {tender_id} has no award in progress")
    return award


async def _decide(
    session: AsyncSession, tender: Tender, award: Award, rank: int, reason: str | None, actor: Actor
) -> None:
    check_choice(rank, len(award.candidates), reason, tender.legal_basis)
    chosen = award.candidates[rank - 1]
    now = await db_now(session)
    award.status = "decided"
    award.decided_at = now
    award.winner_id = uuid.UUID(chosen["bidder"])
    award.winner_rank = rank
    award.decision_reason = reason
    if not _procurement(tender):
        award.regulator_report_due = regulator_report_due(now, await load_snapshot(session, POLICY), RULES)
    await record_event(
        session,
        "award.decided",
        {
            "tender": str(tender.id),
            "lot": award.lot_number,
            "bidder": chosen["bidder"],
            "rank": rank,
            "reason": reason,
            "regulator_report_due": award.regulator_report_due.isoformat() if award.regulator_report_due else None,
        },
        actor=actor,
        subject_id=award.id,
    )


async def decide(
    session: AsyncSession, principal: Principal, tender_id: uuid.UUID, lot: int, rank: int, reason: str | None
) -> Award:
    """The tenderee (or its agency) determines the winner: after publicity (rule 55), rank 1 unless reasoned (57)."""
    tender = await _tender_for(session, principal, tender_id, write=True)
    ensure_not_suspended(tender)
    award = await _award(session, tender_id, lot)
    now = await db_now(session)
    if award.status == "publicity":
        if award.publicity_ends_at is not None and now < award.publicity_ends_at:
            raise RuleViolation(
                55,
                f"the candidate publicity runs until {award.publicity_ends_at.isoformat()}",
                publicity_ends_at=award.publicity_ends_at.isoformat(),
            )
    elif award.status not in ("awaiting_decision", "contract_refused"):
        raise Conflict(f"the award of lot {lot} is {award.status}")
    await _decide(session, tender, award, rank, reason, principal.actor)
    return award


async def notify(
    session: AsyncSession,
    principal: Principal,
    tender_id: uuid.UUID,
    key: ec.EllipticCurvePrivateKey,
    cert: x509.Certificate,
) -> dict[str, Any]:
    """Rule 60: one signed award notice for every decided lot and the result to all bidders, in one transaction."""
    tender = await _tender_for(session, principal, tender_id, write=True)
    ensure_not_suspended(tender)
    awards = [a for a in await awards_of(session, tender_id) if a.status == "decided"]
    if not awards:
        raise Conflict("no decided award awaits its notice")
    now = await db_now(session)
    snapshot = await load_snapshot(session, POLICY)
    tenderee = await session.get(Organization, tender.tenderee_id)
    lots = {
        lot.number: lot
        for lot in (await session.scalars(select(TenderLot).where(TenderLot.tender_id == tender.id))).all()
    }
    report = await session.scalar(select(EvaluationReport).where(EvaluationReport.tender_id == tender_id))
    notice: dict[str, Any] = {
        "type": "sunbid.award.notice",
        "tender": str(tender.id),
        "title": tender.title,
        "currency": tender.currency,
        "notified_at": now.isoformat(),
        "tenderee": {
            "name": tenderee.name if tenderee else "",
            "credit_code": tenderee.credit_code if tenderee else "",
        },
        "report_sha256": report.pdf_sha256 if report else None,
        "lots": [],
    }
    for award in awards:
        winner = await session.get(Organization, award.winner_id)
        chosen = award.candidates[(award.winner_rank or 1) - 1]
        ranking: list[dict[str, Any]] = next(
            (lot["ranking"] for lot in (report.results["lots"] if report else []) if lot["lot"] == award.lot_number), []
        )
        notice["lots"].append(
            {
                "lot": award.lot_number,
                "lot_id": str(award.lot_id),
                "title": lots[award.lot_number].title,
                "award": str(award.id),
                "price": str(Decimal(chosen["price"])),
                "rank": award.winner_rank,
                "winner": {
                    "id": str(award.winner_id),
                    "name": winner.name if winner else "",
                    "credit_code": winner.credit_code if winner else "",
                },
                "results": [{"bidder": r["bidder"], "rank": r["rank"], "final": r["final"]} for r in ranking],
            }
        )
    statement = sign_statement(notice, key, cert).to_json()
    for award in awards:
        award.status = "notified"
        award.notified_at = now
        award.notice = notice
        award.notice_statement = statement
        award.contract_due = contract_due(now, snapshot, RULES)
    await session.flush()
    await advance_tender(session, tender.id, TenderStatus.AWARDED, actor=principal.actor, reason="award notice sent")
    for award in awards:
        await record_event(
            session,
            "award.notified",
            {
                "tender": str(tender.id),
                "lot": str(award.lot_id),
                "bidder": str(award.winner_id),
                "notice_sha256": hashlib.sha256(statement.encode()).hexdigest(),
                "contract_due": award.contract_due.isoformat() if award.contract_due else None,
            },
            actor=principal.actor,
            subject_id=award.id,
        )
    return notice


async def record_contract(
    session: AsyncSession, principal: Principal, tender_id: uuid.UUID, lot: int, signed: bool, note: str | None
) -> Award:
    """The contract is signed (releases guarantees) or refused by the winner (claims its guarantee)."""
    tender = await _tender_for(session, principal, tender_id, write=True)
    ensure_not_suspended(tender)
    if signed:
        await ensure_contract_signable(session, tender.id)
    award = await _award(session, tender_id, lot)
    if award.status != "notified":
        raise Conflict(f"the award of lot {lot} is {award.status}; a contract follows the award notice")
    award.contract_outcome_at = await db_now(session)
    award.status = "contracted" if signed else "contract_refused"
    await record_event(
        session,
        "contract.signed" if signed else "contract.refused",
        {"tender": str(tender.id), "lot": str(award.lot_id), "bidder": str(award.winner_id), "note": note},
        actor=principal.actor,
        subject_id=award.id,
    )
    if signed and all(a.status == "contracted" for a in await awards_of(session, tender_id)):
        await advance_tender(
            session, tender.id, TenderStatus.CONTRACTED, actor=principal.actor, reason="contract signed"
        )
    return award


async def report_to_regulator(session: AsyncSession, principal: Principal, tender_id: uuid.UUID, lot: int) -> Award:
    """Rule 62: the written report on the tendering to the regulator."""
    await _tender_for(session, principal, tender_id, write=True)
    award = await _award(session, tender_id, lot)
    if award.decided_at is None:
        raise Conflict("the report to the regulator follows the decision")
    award.regulator_reported_at = await db_now(session)
    await record_event(
        session,
        "award.regulator_reported",
        {"tender": str(tender_id), "lot": award.lot_number},
        actor=principal.actor,
        subject_id=award.id,
    )
    return award


async def _flag(session: AsyncSession, award: Award, name: str, due: Any) -> None:
    award.overdue = [*award.overdue, name]
    await record_event(
        session,
        f"award.{name}_overdue",
        {"tender": str(award.tender_id), "lot": award.lot_number, "due": due.isoformat()},
        subject_id=award.id,
    )


async def award_clocks(session: AsyncSession) -> int:
    """Chronograph step: 采购 default decision (rule 58), contract (61) and regulator-report (62) deadlines."""
    now = await db_now(session)
    applied = 0
    rows = await session.execute(
        select(Award, Tender)
        .join(Tender, Tender.id == Award.tender_id)
        .where(Award.status.in_(["awaiting_decision", "decided", "notified"]), Tender.status != TenderStatus.SUSPENDED)
        .with_for_update(of=Award, skip_locked=True)
    )
    for award, tender in rows.all():
        if award.status == "awaiting_decision" and award.decision_due and now >= award.decision_due:
            await _decide(session, tender, award, 1, None, SYSTEM)
            await record_event(
                session,
                "award.decided_by_default",
                {"tender": str(tender.id), "lot": award.lot_number, "rule": 58},
                subject_id=award.id,
            )
            applied += 1
        if (
            award.contract_due
            and now >= award.contract_due
            and award.contract_outcome_at is None
            and "contract" not in award.overdue
        ):
            await _flag(session, award, "contract", award.contract_due)
            applied += 1
        if (
            award.regulator_report_due
            and now >= award.regulator_report_due
            and award.regulator_reported_at is None
            and "regulator_report" not in award.overdue
        ):
            await _flag(session, award, "regulator_report", award.regulator_report_due)
            applied += 1
    return applied
