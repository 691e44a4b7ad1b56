"""Use cases for guarantees: trusted roots, lodging with verification, visibility, re-verification at the opening."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.guarantees import errors, offers
from bidding.guarantees.models import Guarantee, GuaranteeTrustRoot
from bidding.guarantees.rules import bid_validity_end, check_bond_form
from bidding.guarantees.states import UNANSWERED, GuaranteeStatus, transition
from bidding.guarantees.verification import Expectation, VerifiedGuarantee, verify_guarantee
from core.db import db_now
from core.errors import Forbidden, NotFound
from core.identity.models import Organization
from core.identity.principal import Principal
from core.identity.roles import OrgType, Role
from core.journal import SYSTEM, Actor, record_event
from trading.tenders.models import Tender, TenderLot
from trading.tenders.rules import BondForm, LegalBasis, bidders_sealed
from trading.tenders.states import TenderStatus

ROOT_KINDS = ("guarantor", "timestamp")


@dataclass(frozen=True)
class TrustAnchors:
    """Roots for guarantor signatures and for the time-stamps on them."""

    guarantor: tuple[x509.Certificate, ...]
    timestamp: tuple[x509.Certificate, ...]


async def add_trust_root(
    session: AsyncSession, *, certificate_pem: str, name: str, kind: str, actor: Actor
) -> GuaranteeTrustRoot:
    """Trust a CA certificate for guarantor signatures (or time-stamps); refuses leaf certificates."""
    if kind not in ROOT_KINDS:
        raise errors.RootRefused(f"kind must be one of {', '.join(ROOT_KINDS)}")
    try:
        cert = x509.load_pem_x509_certificate(certificate_pem.encode())
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except (ValueError, x509.ExtensionNotFound) as exc:
        raise errors.RootRefused("certificate_pem must be a PEM CA certificate with basicConstraints") from exc
    if not constraints.ca:
        raise errors.RootRefused("certificate_pem is not a CA certificate (basicConstraints cA is false)")
    der = cert.public_bytes(serialization.Encoding.DER)
    fingerprint = hashlib.sha256(der).hexdigest()
    existing = await session.scalar(
        select(GuaranteeTrustRoot).where(GuaranteeTrustRoot.sha256 == fingerprint, GuaranteeTrustRoot.kind == kind)
    )
    if existing is not None:
        return existing
    root = GuaranteeTrustRoot(
        kind=kind,
        name=name,
        subject=cert.subject.rfc4514_string(),
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        sha256=fingerprint,
        not_after=cert.not_valid_after_utc,
        added_by=actor.user_id,
    )
    session.add(root)
    await session.flush()
    await record_event(
        session,
        "guarantee.trust_root_added",
        {"root": str(root.id), "kind": kind, "name": name, "subject": root.subject, "sha256": fingerprint},
        actor=actor,
        subject_id=root.id,
    )
    return root


async def list_trust_roots(session: AsyncSession) -> list[GuaranteeTrustRoot]:
    """Every trusted root, newest first."""
    rows = await session.scalars(select(GuaranteeTrustRoot).order_by(GuaranteeTrustRoot.added_at.desc()))
    return list(rows.all())


async def trust_anchors(session: AsyncSession, platform_ca: x509.Certificate) -> TrustAnchors:
    """Configured roots; the platform CA always anchors time-stamps, since the platform TSA chains to it."""
    roots = await list_trust_roots(session)
    load = x509.load_pem_x509_certificate
    return TrustAnchors(
        guarantor=tuple(load(r.certificate_pem.encode()) for r in roots if r.kind == "guarantor"),
        timestamp=(platform_ca, *(load(r.certificate_pem.encode()) for r in roots if r.kind == "timestamp")),
    )


async def _tender_and_lot(session: AsyncSession, tender_id: uuid.UUID, lot_id: uuid.UUID) -> tuple[Tender, TenderLot]:
    tender = await session.get(Tender, tender_id)
    if tender is None or tender.published_at is None:
        raise NotFound(f"tender {tender_id} does not exist")
    lot = next((lot for lot in tender.lots if lot.id == lot_id), None)
    if lot is None:
        raise NotFound(f"tender {tender_id} has no lot {lot_id}")
    return tender, lot


async def _org(session: AsyncSession, organization_id: uuid.UUID) -> Organization:
    org = await session.get(Organization, organization_id)
    if org is None:
        raise NotFound(f"organization {organization_id} does not exist")
    return org


async def expectation_for(
    session: AsyncSession, tender: Tender, lot: TenderLot, *, applicant: str | None = None, issuer: str | None = None
) -> Expectation:
    """What the tender requires of a guarantee on this lot (beneficiary = the tenderee; rule 13 validity)."""
    tenderee = await _org(session, tender.tenderee_id)
    return Expectation(
        tender_id=tender.id,
        lot_id=lot.id,
        beneficiary_credit_code=tenderee.credit_code,
        required_amount=lot.bid_bond_amount,
        currency=tender.currency,
        valid_until_at_least=bid_validity_end(tender.bid_deadline, tender.bid_validity_days),
        applicant_credit_code=applicant,
        issuer_credit_code=issuer,
    )


async def _party(
    session: AsyncSession, credit_code: str, org_type: OrgType, error: type[errors.GuaranteeRejected]
) -> Organization:
    org = await session.scalar(
        select(Organization).where(Organization.credit_code == credit_code, Organization.org_type == org_type.value)
    )
    if org is None:
        raise error(f"no registered {org_type.value} has the credit code {credit_code}")
    return org


async def lodge_guarantee(
    session: AsyncSession,
    principal: Principal,
    *,
    tender_id: uuid.UUID,
    lot_id: uuid.UUID,
    pdf: bytes,
    platform_ca: x509.Certificate,
) -> Guarantee:
    """Verify and store a guarantee before the bid deadline; the bidder or its guarantor lodges it."""
    if not principal.has(Role.BIDDER, Role.GUARANTOR):
        raise Forbidden("only a bidder or a guarantor lodges guarantees")
    tender, lot = await _tender_and_lot(session, tender_id, lot_id)
    now = await db_now(session)
    if tender.status != TenderStatus.PUBLISHED or now >= tender.bid_deadline:
        raise errors.BiddingClosed(f"bids for tender {tender_id} closed at {tender.bid_deadline.isoformat()}")
    check_bond_form(
        LegalBasis(tender.legal_basis), BondForm.GUARANTEE, frozenset(BondForm(f) for f in tender.bond_forms)
    )
    own = await _org(session, principal.organization_id)
    is_bidder = principal.has(Role.BIDDER)
    expected = await expectation_for(
        session,
        tender,
        lot,
        applicant=own.credit_code if is_bidder else None,
        issuer=None if is_bidder else own.credit_code,
    )
    anchors = await trust_anchors(session, platform_ca)
    verified = await verify_guarantee(pdf, expected, anchors.guarantor, anchors.timestamp, now=now)
    bidder = (
        own
        if is_bidder
        else await _party(session, verified.data.applicant.credit_code, OrgType.BIDDER, errors.WrongApplicant)
    )
    guarantor = (
        own
        if not is_bidder
        else await _party(session, verified.data.issuer.credit_code, OrgType.GUARANTOR, errors.IssuerMismatch)
    )
    if is_bidder and (offer := await offers.own_offer(session, verified, bidder, guarantor, lot)) is not None:
        return await offers.answer_offer(session, principal, offer.id, accept=True)
    guarantee = _new_guarantee(
        verified, tender=tender, lot=lot, bidder=bidder, guarantor=guarantor, pdf=pdf, principal=principal
    )
    if not is_bidder:
        guarantee.status = GuaranteeStatus.OFFERED.value
    session.add(guarantee)
    await offers.flush_or_duplicate(
        session,
        "this guarantee is already lodged"
        if not is_bidder
        else "this guarantee, or another active one for your organization and this lot, is already lodged",
    )
    await record_event(
        session,
        "guarantee.lodged",
        {
            "guarantee": str(guarantee.id),
            "tender": str(tender.id),
            "lot": str(lot.id),
            "bidder": str(bidder.id),
            "guarantor": str(guarantor.id),
            "number": guarantee.number,
            "amount": str(guarantee.amount),
            "pdf_sha256": guarantee.pdf_sha256,
        },
        actor=principal.actor,
        subject_id=guarantee.id,
        confidential=True,
    )
    return guarantee


def _new_guarantee(
    verified: VerifiedGuarantee,
    *,
    tender: Tender,
    lot: TenderLot,
    bidder: Organization,
    guarantor: Organization,
    pdf: bytes,
    principal: Principal,
) -> Guarantee:
    data = verified.data
    return Guarantee(
        tender_id=tender.id,
        lot_id=lot.id,
        bidder_id=bidder.id,
        guarantor_id=guarantor.id,
        number=data.number,
        amount=data.amount,
        currency=data.currency,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        data=msgspec.to_builtins(data),
        signer_subject=verified.signer_subject,
        timestamp_time=verified.timestamp_time,
        pdf=pdf,
        pdf_sha256=verified.pdf_sha256,
        status=GuaranteeStatus.ACTIVE.value,
        uploaded_by=principal.user_id,
    )


async def _sealed(session: AsyncSession, tender: Tender) -> bool:
    return bidders_sealed(tender.bid_deadline, tender.cancelled_at, await db_now(session))


async def may_see(session: AsyncSession, principal: Principal, guarantee: Guarantee, tender: Tender) -> bool:
    """Its bidder and guarantor always; the tender's agency, tenderee and regulators only after the bid deadline."""
    if principal.organization_id in (guarantee.bidder_id, guarantee.guarantor_id):
        return True
    after_deadline = not await _sealed(session, tender)
    if principal.has(Role.REGULATOR):
        return after_deadline
    managers = (tender.agency_id, tender.tenderee_id)
    manages = principal.has(Role.AGENCY, Role.TENDEREE) and principal.organization_id in managers
    return after_deadline and manages and guarantee.status not in UNANSWERED


async def get_guarantee(
    session: AsyncSession, principal: Principal, guarantee_id: uuid.UUID, *, with_pdf: bool = False
) -> Guarantee:
    """One guarantee, or NotFound for anyone who may not know it exists."""
    query = select(Guarantee).where(Guarantee.id == guarantee_id)
    if with_pdf:
        from sqlalchemy.orm import undefer

        query = query.options(undefer(Guarantee.pdf))
    guarantee = await session.scalar(query)
    tender = await session.get(Tender, guarantee.tender_id) if guarantee is not None else None
    if guarantee is None or tender is None or not await may_see(session, principal, guarantee, tender):
        raise NotFound(f"guarantee {guarantee_id} does not exist")
    return guarantee


async def list_mine(session: AsyncSession, principal: Principal) -> list[Guarantee]:
    """Guarantees the caller's organization took out (bidder) or issued (guarantor)."""
    org = principal.organization_id
    query = select(Guarantee).where((Guarantee.bidder_id == org) | (Guarantee.guarantor_id == org))
    return list((await session.scalars(query.order_by(Guarantee.created_at.desc()))).all())


async def list_for_tender(session: AsyncSession, principal: Principal, tender_id: uuid.UUID) -> list[Guarantee]:
    """A tender's guarantees for its agency, tenderee and regulators; sealed, with no count, until the deadline."""
    tender = await session.get(Tender, tender_id)
    if tender is None or tender.published_at is None:
        raise NotFound(f"tender {tender_id} does not exist")
    managers = (tender.agency_id, tender.tenderee_id)
    if not (
        principal.has(Role.REGULATOR)
        or (principal.has(Role.AGENCY, Role.TENDEREE) and principal.organization_id in managers)
    ):
        raise Forbidden("only the tender's agency and tenderee, and regulators, see its guarantees")
    if await _sealed(session, tender):
        raise errors.SealedUntilDeadline(
            "guarantees reveal who bids; they are sealed until the bid deadline, and for good when the tender was "
            "cancelled before it (招标投标法 Art 22)"
        )
    query = select(Guarantee).where(Guarantee.tender_id == tender_id).order_by(Guarantee.created_at)
    if not principal.has(Role.REGULATOR):
        query = query.where(Guarantee.status.not_in(UNANSWERED))
    return list((await session.scalars(query)).all())


async def reverify_for_opening(
    session: AsyncSession, tender_id: uuid.UUID, platform_ca: x509.Certificate, actor: Actor = SYSTEM
) -> Sequence[tuple[Guarantee, errors.GuaranteeRejected | None]]:
    """At the opening, verify each active guarantee again; a failing one becomes invalid with its problem code."""
    tender = await session.get(Tender, tender_id)
    if tender is None:
        raise NotFound(f"tender {tender_id} does not exist")
    now = await db_now(session)
    if now < tender.bid_deadline:
        raise errors.SealedUntilDeadline("guarantees are re-verified when the opening starts, not before")
    from sqlalchemy.orm import undefer

    rows = await session.scalars(
        select(Guarantee)
        .where(Guarantee.tender_id == tender_id, Guarantee.status == GuaranteeStatus.ACTIVE.value)
        .options(undefer(Guarantee.pdf))
        .with_for_update()
    )
    anchors = await trust_anchors(session, platform_ca)
    results: list[tuple[Guarantee, errors.GuaranteeRejected | None]] = []
    for guarantee in rows.all():
        lot = next(lot for lot in tender.lots if lot.id == guarantee.lot_id)
        expected = await expectation_for(session, tender, lot)
        failure: errors.GuaranteeRejected | None = None
        try:
            await verify_guarantee(guarantee.pdf, expected, anchors.guarantor, anchors.timestamp, now=now)
        except errors.GuaranteeRejected as exc:
            failure = exc
        guarantee.opening_verified_at = now
        if failure is not None:
            guarantee.status = transition(GuaranteeStatus(guarantee.status), GuaranteeStatus.INVALID).value
            guarantee.status_reason = failure.code
        await record_event(
            session,
            "guarantee.opening_verified",
            {
                "guarantee": str(guarantee.id),
                "tender": str(tender_id),
                "valid": failure is None,
                "problem": failure.code if failure else None,
            },
            actor=actor,
            subject_id=guarantee.id,
        )
        results.append((guarantee, failure))
    return results
