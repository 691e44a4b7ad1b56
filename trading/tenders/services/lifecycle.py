"""Create, publish, amend and cancel tenders; deadline checks read the database clock in the writing transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import local_day
from core.db import db_now
from core.errors import Conflict, InvalidInput, a
from core.holidays import load_snapshot
from core.identity.models import Organization
from core.identity.principal import Principal
from core.identity.roles import OrgType, Role
from core.journal import record_event
from core.settings import Settings
from trading.tenders.models import Tender, TenderAmendment, TenderDocument, TenderLot, TenderNotice
from trading.tenders.rules import (
    BondForm,
    Category,
    LegalBasis,
    LotTerms,
    TenderTerms,
    check_amendment_deadline,
    check_bid_period,
    check_terms,
    proposed_amendment_deadline,
    rules_from_settings,
)
from trading.tenders.schemas import AmendmentIn, TenderIn
from trading.tenders.scoring_template import parse_template
from trading.tenders.services.access import managed_tender
from trading.tenders.services.content import publish_notice
from trading.tenders.services.suspension import ensure_not_suspended
from trading.tenders.states import TenderStatus, transition

CUSTODIAN_TYPES = frozenset({OrgType.AGENCY, OrgType.REGULATOR, OrgType.NOTARY, OrgType.TENDEREE, OrgType.OPERATOR})


def terms_of(tender: Tender) -> TenderTerms:
    """The rule-relevant terms of a stored tender."""
    return TenderTerms(
        category=Category(tender.category),
        legal_basis=LegalBasis(tender.legal_basis),
        lots=[LotTerms(lot.number, lot.estimated_value, lot.bid_bond_amount) for lot in tender.lots],
        bond_forms=[BondForm(f) for f in tender.bond_forms],
        ceiling_price=tender.ceiling_price,
        committee_size=tender.committee_size,
        decryption_window_minutes=tender.decryption_window_minutes,
    )


def _terms_of_input(data: TenderIn) -> TenderTerms:
    return TenderTerms(
        category=data.category,
        legal_basis=data.legal_basis,
        lots=[LotTerms(i, lot.estimated_value, lot.bid_bond_amount) for i, lot in enumerate(data.lots, start=1)],
        bond_forms=data.bond_forms,
        ceiling_price=data.ceiling_price,
        committee_size=data.committee_size,
        decryption_window_minutes=data.decryption_window_minutes,
    )


async def _check_parties(session: AsyncSession, data: TenderIn) -> None:
    """The tenderee is a tenderee; custodians are distinct, eligible, and the operator can never reach quorum alone."""
    tenderee = await session.get(Organization, data.tenderee_id)
    if tenderee is None or tenderee.org_type != OrgType.TENDEREE:
        raise InvalidInput("tenderee_id: not a registered tenderee organization", field="tenderee_id")
    ids = data.custodian_org_ids
    if len(set(ids)) != len(ids):
        raise InvalidInput("custodian_org_ids: a custodian may appear once", field="custodian_org_ids")
    if data.escrow_quorum > len(ids):
        raise InvalidInput("escrow_quorum: the quorum cannot exceed the number of custodians", field="escrow_quorum")
    orgs = (await session.scalars(select(Organization).where(Organization.id.in_(ids)))).all()
    if len(orgs) != len(ids):
        raise InvalidInput("custodian_org_ids: every custodian must be a registered organization")
    for org in orgs:
        if OrgType(org.org_type) not in CUSTODIAN_TYPES:
            raise InvalidInput(f"custodian_org_ids: {a(org.org_type)} cannot be an escrow custodian")
    operators = sum(1 for o in orgs if o.org_type == OrgType.OPERATOR)
    if operators >= data.escrow_quorum:
        raise InvalidInput("custodian_org_ids: the platform operator alone must never be able to open bids")


async def create_tender(session: AsyncSession, settings: Settings, principal: Principal, data: TenderIn) -> Tender:
    """A draft tender by an agency for a tenderee; its terms are judged now and again at publication."""
    check_terms(_terms_of_input(data), rules_from_settings(settings.tendering_bond_cap_yuan))
    parse_template(
        data.scoring_template, category=data.category, legal_basis=data.legal_basis, method=data.evaluation_method
    )
    await _check_parties(session, data)
    tender = Tender(
        id=uuid.uuid4(),
        title=data.title,
        title_en=data.title_en,
        description=data.description,
        category=data.category.value,
        legal_basis=data.legal_basis.value,
        method=data.method.value,
        tenderee_id=data.tenderee_id,
        agency_id=principal.organization_id,
        ceiling_price=data.ceiling_price,
        bond_forms=[f.value for f in data.bond_forms],
        bid_validity_days=data.bid_validity_days,
        evaluation_method=data.evaluation_method,
        scoring_template=data.scoring_template,
        decryption_window_minutes=data.decryption_window_minutes,
        custodian_org_ids=list(data.custodian_org_ids),
        escrow_quorum=data.escrow_quorum,
        committee_size=data.committee_size,
        bid_deadline=data.bid_deadline,
        status=TenderStatus.DRAFT.value,
        created_by=principal.user_id,
        lots=[
            TenderLot(
                number=i,
                title=lot.title,
                description=lot.description,
                estimated_value=lot.estimated_value,
                bid_bond_amount=lot.bid_bond_amount,
            )
            for i, lot in enumerate(data.lots, start=1)
        ],
    )
    session.add(tender)
    await session.flush()
    await record_event(
        session,
        "tender.created",
        {"tender": str(tender.id), "title": tender.title, "tenderee": str(tender.tenderee_id)},
        actor=principal.actor,
        subject_id=tender.id,
    )
    return tender


async def publish_tender(
    session: AsyncSession, settings: Settings, principal: Principal, tender_id: uuid.UUID
) -> TenderNotice:
    """Publish a draft: rules 1, 10, 13-15, 28, 33 checked against the database clock; the notice is frozen."""
    tender = await managed_tender(session, principal, tender_id)
    ensure_not_suspended(tender)
    status = transition(TenderStatus(tender.status), TenderStatus.PUBLISHED)
    rules = rules_from_settings(settings.tendering_bond_cap_yuan)
    check_terms(terms_of(tender), rules)
    parse_template(
        tender.scoring_template,
        category=tender.category,
        legal_basis=tender.legal_basis,
        method=tender.evaluation_method,
    )
    now = await db_now(session)
    check_bid_period(now, tender.bid_deadline, rules)
    documents = await session.scalar(select(func.count()).where(TenderDocument.tender_id == tender.id))
    if not documents:
        raise InvalidInput("a tender is published with its tender documents: upload at least one first")
    tender.status = status.value
    tender.published_at = now
    await session.execute(update(TenderDocument).where(TenderDocument.tender_id == tender.id).values(published_at=now))
    await session.flush()
    notice = await publish_notice(session, tender, "tender", now)
    await record_event(
        session,
        "tender.published",
        {
            "tender": str(tender.id),
            "notice": str(notice.id),
            "bid_deadline": tender.bid_deadline.isoformat(),
            "issued_on": local_day(now).isoformat(),
        },
        actor=principal.actor,
        subject_id=tender.id,
    )
    return notice


async def amendment_proposal(
    session: AsyncSession, settings: Settings, principal: Principal, tender_id: uuid.UUID
) -> tuple[Tender, datetime | None, tuple[str, ...]]:
    """The deadline an amendment published now would need under rule 6 (None when the current one suffices)."""
    tender = await managed_tender(session, principal, tender_id)
    now = await db_now(session)
    snapshot = await load_snapshot(session, settings.unknown_holiday_year)
    proposal, warnings = proposed_amendment_deadline(
        now, tender.bid_deadline, snapshot, rules_from_settings(settings.tendering_bond_cap_yuan)
    )
    return tender, proposal, warnings


async def amend_tender(
    session: AsyncSession, settings: Settings, principal: Principal, tender_id: uuid.UUID, data: AmendmentIn
) -> TenderNotice:
    """Publish an amendment before the deadline; under 15 days before it, the deadline must move (rule 6)."""
    tender = await managed_tender(session, principal, tender_id)
    ensure_not_suspended(tender)
    if tender.status != TenderStatus.PUBLISHED:
        raise Conflict(f"only a published tender can be amended; this one is {tender.status}")
    now = await db_now(session)
    if now >= tender.bid_deadline:
        raise Conflict("the bid deadline has passed; the tender documents can no longer be amended")
    snapshot = await load_snapshot(session, settings.unknown_holiday_year)
    rules = rules_from_settings(settings.tendering_bond_cap_yuan)
    deadline = check_amendment_deadline(now, tender.bid_deadline, data.new_bid_deadline, snapshot, rules)
    documents = []
    for document_id in data.document_ids:
        document = await session.get(TenderDocument, document_id)
        if document is None or document.tender_id != tender.id or document.published_at is not None:
            raise InvalidInput(f"document_ids: {document_id} is not an unpublished document of this tender")
        documents.append(document)
    number = (await session.scalar(select(func.count()).where(TenderAmendment.tender_id == tender.id)) or 0) + 1
    amendment = TenderAmendment(
        id=uuid.uuid4(),
        tender_id=tender.id,
        number=number,
        summary=data.summary,
        description=data.description,
        previous_deadline=tender.bid_deadline,
        bid_deadline=deadline,
        published_at=now,
        created_by=principal.user_id,
    )
    session.add(amendment)
    tender.bid_deadline = deadline
    for document in documents:
        document.published_at = now
    await session.flush()
    notice = await publish_notice(session, tender, "amendment", now, amendment)
    await record_event(
        session,
        "tender.amended",
        {
            "tender": str(tender.id),
            "amendment": str(amendment.id),
            "number": number,
            "previous_deadline": amendment.previous_deadline.isoformat(),
            "bid_deadline": deadline.isoformat(),
            "documents": [str(d.id) for d in documents],
        },
        actor=principal.actor,
        subject_id=tender.id,
    )
    return notice


async def cancel_tender(
    session: AsyncSession, principal: Principal, tender_id: uuid.UUID, reason: str
) -> TenderNotice | None:
    """Cancel with a published reason; a draft is cancelled quietly, a published tender gets a notice."""
    tender = await managed_tender(session, principal, tender_id)
    was_public = tender.status != TenderStatus.DRAFT
    status = transition(TenderStatus(tender.status), TenderStatus.CANCELLED)
    now = await db_now(session)
    tender.status = status.value
    tender.cancelled_at = now
    tender.cancellation_reason = reason
    await session.flush()
    notice = await publish_notice(session, tender, "cancellation", now) if was_public else None
    await record_event(
        session,
        "tender.cancelled",
        {"tender": str(tender.id), "reason": reason, "notice": str(notice.id) if notice else None},
        actor=principal.actor,
        subject_id=tender.id,
    )
    return notice


async def list_tenders(session: AsyncSession, principal: Principal | None) -> list[Tender]:
    """Tenders the caller may read, newest first: ones ever published, plus unpublished ones of the caller's
    organization (drafts, and drafts cancelled before publication)."""
    query = select(Tender).order_by(Tender.created_at.desc(), Tender.id)
    if principal is None:
        query = query.where(Tender.published_at.is_not(None))
    elif not principal.has(Role.REGULATOR, Role.OPERATOR):
        mine = or_(Tender.agency_id == principal.organization_id, Tender.tenderee_id == principal.organization_id)
        query = query.where(or_(Tender.published_at.is_not(None), mine))
    return list((await session.scalars(query)).all())
