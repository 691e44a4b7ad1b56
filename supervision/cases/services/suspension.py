"""Cases hold the tender's suspension lock and contract hold through trading's services; each lifts per case."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import db_now
from core.holidays import load_snapshot
from core.journal import Actor
from core.settings import Settings
from supervision.cases import rules
from supervision.cases.models import Case
from supervision.clocks.periods import period_end
from supervision.clocks.services import settle_clocks, start_clock
from trading.tenders.models import Tender
from trading.tenders.services.contract_hold import hold_contract_signing, lift_contract_hold
from trading.tenders.services.suspension import lift_suspension, suspend_tender


async def hold_suspension(session: AsyncSession, case: Case, *, rule: int, reason: str, actor: Actor) -> None:
    """Suspend the tender (if not already) and mark this case as one of its holders."""
    await suspend_tender(session, case.tender_id, rule=rule, reason=reason, actor=actor, case_id=case.id)
    case.holds_suspension = True
    await session.flush()


async def start_suspension_clock(session: AsyncSession, settings: Settings, case: Case, tender: Tender) -> None:
    """Rule 67: a procurement suspension lasts at most 30 日; the regulator gets cards as it nears the limit."""
    if tender.legal_basis != rules.PROCUREMENT:
        return
    snapshot = await load_snapshot(session, settings.unknown_holiday_year)
    period = rules.PROCUREMENT_SUSPENSION_MAX
    now = await db_now(session)
    await start_clock(
        session,
        subject_type="case",
        subject_id=case.id,
        purpose="suspension",
        period=period,
        due_at=period_end(now, period, snapshot),
        responsible_org_id=case.respondent_org_id,
        tender_id=tender.id,
        started_at=now,
    )


async def release_suspension(session: AsyncSession, case: Case, *, rule: int, reason: str, actor: Actor) -> None:
    """Drop this case's hold; lift the tender's lock when no other case still holds it."""
    if not case.holds_suspension:
        return
    case.holds_suspension = False
    await session.flush()
    await settle_clocks(session, case.id, "suspension")
    others = await session.scalar(
        select(func.count()).where(Case.tender_id == case.tender_id, Case.holds_suspension.is_(True))
    )
    if not others:
        await lift_suspension(session, case.tender_id, rule=rule, reason=reason, actor=actor, case_id=case.id)


async def hold_contract(session: AsyncSession, case: Case, *, rule: int, reason: str, actor: Actor) -> None:
    """Rule 66: no contract on the tender may be signed while this case is open."""
    await hold_contract_signing(session, case.tender_id, case_id=case.id, rule=rule, reason=reason, actor=actor)
    case.holds_contract_lock = True
    await session.flush()


async def release_contract(session: AsyncSession, case: Case, *, reason: str, actor: Actor) -> None:
    """Drop this case's contract hold; holds of other open cases stay."""
    if not case.holds_contract_lock:
        return
    case.holds_contract_lock = False
    await lift_contract_hold(session, case.tender_id, case_id=case.id, reason=reason, actor=actor)
    await session.flush()
