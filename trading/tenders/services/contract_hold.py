"""The contract-signing lock (rule 66): supervision sets and lifts a hold per case; the award checks it before signing.

Lighter than the suspension lock: the procedure goes on, only the contract waits (94号令 Art 13 / 条例(采购) Art 54).
Before the bid deadline a hold would tell that someone filed (rule 12), so its events enter the ledger sealed.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.confidential import commit_confidential
from core.db import db_now
from core.errors import NotFound, RuleViolation
from core.journal import Actor, record_event
from trading.tenders.models import ContractHold, Tender


class ContractSigningSuspended(RuleViolation):
    """An open challenge or complaint may affect the result, so no contract may be signed until it is decided."""

    status = 423
    code = "contract-signing-suspended"
    title = "Contract signing suspended"

    def __init__(self, hold: ContractHold) -> None:
        super().__init__(
            hold.rule,
            f"contract signing on tender {hold.tender_id} is suspended while case {hold.case_id} is open "
            f"({hold.reason}); it resumes when the case is answered or decided",
            tender=str(hold.tender_id),
            case=str(hold.case_id),
        )


async def _record(
    session: AsyncSession, tender_id: uuid.UUID, event_type: str, payload: dict[str, Any], actor: Actor
) -> None:
    """Journal the hold's event, sealed while the tender's bids are still secret."""
    tender = await session.get(Tender, tender_id)
    if tender is None:
        raise NotFound(f"tender {tender_id} does not exist")
    if await db_now(session) < tender.bid_deadline:
        await commit_confidential(session, tender_id, event_type, payload, actor=actor, subject_id=tender_id)
    else:
        await record_event(session, event_type, payload, actor=actor, subject_id=tender_id)


async def open_holds(session: AsyncSession, tender_id: uuid.UUID) -> list[ContractHold]:
    """The tender's holds still in force, oldest first."""
    query = (
        select(ContractHold)
        .where(ContractHold.tender_id == tender_id, ContractHold.lifted_at.is_(None))
        .order_by(ContractHold.set_at, ContractHold.id)
    )
    return list((await session.scalars(query)).all())


async def ensure_contract_signable(session: AsyncSession, tender_id: uuid.UUID) -> None:
    """Refuse a contract while any case holds the lock; call in the transaction that records the contract."""
    holds = await open_holds(session, tender_id)
    if holds:
        raise ContractSigningSuspended(holds[0])


async def hold_contract_signing(
    session: AsyncSession, tender_id: uuid.UUID, *, case_id: uuid.UUID, rule: int, reason: str, actor: Actor
) -> bool:
    """Set the case's hold; False (and nothing recorded) when the case already holds one."""
    held = await session.scalar(
        select(ContractHold).where(
            ContractHold.tender_id == tender_id, ContractHold.case_id == case_id, ContractHold.lifted_at.is_(None)
        )
    )
    if held is not None:
        return False
    hold = ContractHold(id=uuid.uuid4(), tender_id=tender_id, case_id=case_id, rule=rule, reason=reason)
    session.add(hold)
    await session.flush()
    await _record(
        session,
        tender_id,
        "tender.contract_held",
        {"tender": str(tender_id), "case": str(case_id), "rule": rule, "reason": reason},
        actor,
    )
    return True


async def lift_contract_hold(
    session: AsyncSession, tender_id: uuid.UUID, *, case_id: uuid.UUID, reason: str, actor: Actor
) -> bool:
    """Lift the case's hold; False when it holds none. Other cases' holds stay."""
    hold = await session.scalar(
        select(ContractHold)
        .where(ContractHold.tender_id == tender_id, ContractHold.case_id == case_id, ContractHold.lifted_at.is_(None))
        .with_for_update()
    )
    if hold is None:
        return False
    hold.lifted_at = await db_now(session)
    await session.flush()
    remaining = len(await open_holds(session, tender_id))
    await _record(
        session,
        tender_id,
        "tender.contract_released",
        {"tender": str(tender_id), "case": str(case_id), "rule": hold.rule, "reason": reason, "remaining": remaining},
        actor,
    )
    return True
