"""Release (退保) and claim (索赔): platform-signed statements in the guarantor's inbox, on rule 17's clocks.

Later stages (bids, award, contract) record journal events; the assembly subscribes the handlers below to them, so
this layer never imports those stages. Each handler is idempotent: only active guarantees are settled.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.guarantees.models import Guarantee, GuaranteeMessage
from bidding.guarantees.rules import BondRules, ClaimReason, ReleaseReason, claim_due, release_due
from bidding.guarantees.states import GuaranteeStatus, transition
from core.confidential import commit_confidential
from core.db import db_now
from core.errors import NotFound
from core.holidays import load_snapshot
from core.identity.principal import Principal
from core.journal import SYSTEM, Actor, JournalEvent, record_event
from core.settings import UnknownHolidayYearPolicy
from signing.statements import sign_statement
from trading.tenders.models import Tender
from trading.tenders.rules import LegalBasis

BID_WITHDRAWN = "bid.withdrawn"
AWARD_NOTIFIED = "award.notified"
CONTRACT_SIGNED = "contract.signed"
BID_REVOKED = "bid.revoked"
CONTRACT_REFUSED = "contract.refused"
"""Trigger events from later stages; payload: {"tender", "lot", "bidder"} (award.notified and contract.signed: the
winner as "bidder"), ids as strings. The event's recorded_at starts the clock."""


@dataclass(frozen=True)
class SettlementContext:
    """What settling needs besides the session: the platform's signing key and the calendar policy."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    policy: UnknownHolidayYearPolicy = UnknownHolidayYearPolicy.WEEKENDS_ONLY
    rules: BondRules = field(default_factory=BondRules)


_context: list[SettlementContext] = []


def configure(context: SettlementContext) -> None:
    """Set the process's settlement context (the app does this at start-up)."""
    _context[:] = [context]


def current_context() -> SettlementContext:
    """The configured context; settling before start-up is a programming error."""
    if not _context:
        raise RuntimeError("guarantee settlement is not configured (bidding.guarantees.settlement.configure)")
    return _context[0]


async def _settle(
    session: AsyncSession,
    guarantee: Guarantee,
    *,
    kind: str,
    reason: str,
    event_time: datetime,
    due_at: datetime,
    warnings: tuple[str, ...],
    ctx: SettlementContext,
    trigger_event_id: uuid.UUID | None,
    actor: Actor,
) -> GuaranteeMessage:
    target = GuaranteeStatus.RELEASED if kind == "release" else GuaranteeStatus.CLAIMED
    guarantee.status = transition(GuaranteeStatus(guarantee.status), target).value
    guarantee.status_reason = reason
    now = await db_now(session)
    guarantee.closed_at = now
    payload: dict[str, Any] = {
        "type": f"sunbid.guarantee.{kind}",
        "guarantee": str(guarantee.id),
        "number": guarantee.number,
        "tender": str(guarantee.tender_id),
        "lot": str(guarantee.lot_id),
        "amount": str(guarantee.amount),
        "currency": guarantee.currency,
        "reason": reason,
        "triggered_at": event_time.isoformat(),
        "due_at": due_at.isoformat(),
        "issued_at": now.isoformat(),
        "pdf_sha256": guarantee.pdf_sha256,
    }
    statement = sign_statement(payload, ctx.key, ctx.certificate).to_json()
    message = GuaranteeMessage(
        guarantee_id=guarantee.id,
        guarantor_id=guarantee.guarantor_id,
        kind=kind,
        reason=reason,
        trigger_event_id=trigger_event_id,
        triggered_at=event_time,
        due_at=due_at,
        statement=statement,
        statement_sha256=hashlib.sha256(statement.encode()).hexdigest(),
    )
    session.add(message)
    await session.flush()
    event_type = f"guarantee.{'released' if kind == 'release' else 'claimed'}"
    facts = {**payload, "message": str(message.id), "warnings": list(warnings)}
    tender = await session.get(Tender, guarantee.tender_id)
    if tender is not None and now < tender.bid_deadline:  # a withdrawal's release would tell that a bid existed
        await commit_confidential(session, tender.id, event_type, facts, actor=actor, subject_id=guarantee.id)
    else:
        await record_event(session, event_type, facts, actor=actor, subject_id=guarantee.id)
    return message


async def release_guarantee(
    session: AsyncSession,
    guarantee: Guarantee,
    reason: ReleaseReason,
    event_time: datetime,
    *,
    trigger_event_id: uuid.UUID | None = None,
    actor: Actor = SYSTEM,
    ctx: SettlementContext | None = None,
) -> GuaranteeMessage:
    """Send the guarantor a signed release, due by rule 17's deadline counted from event_time."""
    ctx = ctx or current_context()
    tender = await session.get(Tender, guarantee.tender_id)
    if tender is None:
        raise NotFound(f"tender {guarantee.tender_id} does not exist")
    snapshot = await load_snapshot(session, ctx.policy)
    due = release_due(LegalBasis(tender.legal_basis), reason, event_time, snapshot, ctx.rules)
    return await _settle(
        session,
        guarantee,
        kind="release",
        reason=reason.value,
        event_time=event_time,
        due_at=due.ends_at,
        warnings=due.warnings,
        ctx=ctx,
        trigger_event_id=trigger_event_id,
        actor=actor,
    )


async def claim_guarantee(
    session: AsyncSession,
    guarantee: Guarantee,
    reason: ClaimReason,
    event_time: datetime,
    *,
    trigger_event_id: uuid.UUID | None = None,
    actor: Actor = SYSTEM,
    ctx: SettlementContext | None = None,
) -> GuaranteeMessage:
    """Send the guarantor a signed claim for the guaranteed amount, payable within the configured term."""
    ctx = ctx or current_context()
    snapshot = await load_snapshot(session, ctx.policy)
    due = claim_due(event_time, snapshot, ctx.rules)
    return await _settle(
        session,
        guarantee,
        kind="claim",
        reason=reason.value,
        event_time=event_time,
        due_at=due.ends_at,
        warnings=due.warnings,
        ctx=ctx,
        trigger_event_id=trigger_event_id,
        actor=actor,
    )


async def _active(session: AsyncSession, payload: dict[str, Any]) -> list[Guarantee]:
    query = select(Guarantee).where(
        Guarantee.tender_id == uuid.UUID(payload["tender"]),
        Guarantee.status.in_([GuaranteeStatus.ACTIVE.value, GuaranteeStatus.INVALID.value]),
    )
    if payload.get("lot"):
        query = query.where(Guarantee.lot_id == uuid.UUID(payload["lot"]))
    return list((await session.scalars(query.with_for_update())).all())


def _bidder(payload: dict[str, Any]) -> uuid.UUID:
    return uuid.UUID(payload["bidder"])


async def _basis(session: AsyncSession, payload: dict[str, Any]) -> LegalBasis:
    tender = await session.get(Tender, uuid.UUID(payload["tender"]))
    if tender is None:
        raise NotFound(f"tender {payload['tender']} does not exist")
    return LegalBasis(tender.legal_basis)


async def on_bid_withdrawn(session: AsyncSession, event: JournalEvent) -> None:
    """A bid withdrawn before the deadline: release its guarantee (5 日 / 5 工作日)."""
    for g in await _active(session, event.payload):
        if g.bidder_id == _bidder(event.payload):
            await release_guarantee(session, g, ReleaseReason.WITHDRAWN, event.recorded_at, trigger_event_id=event.id)


async def on_award_notified(session: AsyncSession, event: JournalEvent) -> None:
    """采购: the award notice starts the losers' 5 工作日; 工程 losers wait for the contract."""
    if await _basis(session, event.payload) is not LegalBasis.PROCUREMENT_LAW:
        return
    for g in await _active(session, event.payload):
        if g.bidder_id != _bidder(event.payload):
            await release_guarantee(
                session, g, ReleaseReason.UNSUCCESSFUL, event.recorded_at, trigger_event_id=event.id
            )


async def on_contract_signed(session: AsyncSession, event: JournalEvent) -> None:
    """The contract releases the winner's guarantee, and (工程) every remaining loser's."""
    for g in await _active(session, event.payload):
        reason = ReleaseReason.WINNER_CONTRACT if g.bidder_id == _bidder(event.payload) else ReleaseReason.UNSUCCESSFUL
        await release_guarantee(session, g, reason, event.recorded_at, trigger_event_id=event.id)


async def _claim_bidder(session: AsyncSession, event: JournalEvent, reason: ClaimReason) -> None:
    for g in await _active(session, event.payload):
        if g.bidder_id == _bidder(event.payload) and g.status == GuaranteeStatus.ACTIVE.value:
            await claim_guarantee(session, g, reason, event.recorded_at, trigger_event_id=event.id)


async def on_bid_revoked(session: AsyncSession, event: JournalEvent) -> None:
    """A bid revoked after the deadline by the bidder's fault (rule 27): claim on its guarantee."""
    await _claim_bidder(session, event, ClaimReason.REVOKED)


async def on_contract_refused(session: AsyncSession, event: JournalEvent) -> None:
    """The winner refuses the contract: claim on its guarantee."""
    await _claim_bidder(session, event, ClaimReason.CONTRACT_REFUSED)


HANDLERS = {
    BID_WITHDRAWN: on_bid_withdrawn,
    AWARD_NOTIFIED: on_award_notified,
    CONTRACT_SIGNED: on_contract_signed,
    BID_REVOKED: on_bid_revoked,
    CONTRACT_REFUSED: on_contract_refused,
}


async def inbox(
    session: AsyncSession, principal: Principal, *, unacknowledged_only: bool = False
) -> list[GuaranteeMessage]:
    """Release and claim messages for the caller's guarantor organization, newest first."""
    query = select(GuaranteeMessage).where(GuaranteeMessage.guarantor_id == principal.organization_id)
    if unacknowledged_only:
        query = query.where(GuaranteeMessage.acknowledged_at.is_(None))
    return list((await session.scalars(query.order_by(GuaranteeMessage.created_at.desc()))).all())


async def acknowledge(session: AsyncSession, principal: Principal, message_id: uuid.UUID) -> GuaranteeMessage:
    """The guarantor confirms receipt; acknowledging twice keeps the first time."""
    message = await session.scalar(select(GuaranteeMessage).where(GuaranteeMessage.id == message_id).with_for_update())
    if message is None or message.guarantor_id != principal.organization_id:
        raise NotFound(f"message {message_id} does not exist")
    if message.acknowledged_at is None:
        message.acknowledged_at = await db_now(session)
        message.acknowledged_by = principal.user_id
        await record_event(
            session,
            "guarantee.message_acknowledged",
            {"message": str(message.id), "guarantee": str(message.guarantee_id), "kind": message.kind},
            actor=principal.actor,
            subject_id=message.guarantee_id,
        )
    return message
