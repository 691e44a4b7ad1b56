"""Use cases for parties and their keys; the server stores certificates and public recipients, never private keys."""

from __future__ import annotations

import uuid
from datetime import UTC

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Forbidden, InvalidInput, NotFound
from core.identity.models import AgeRecipient, Certificate, Organization, User
from core.identity.principal import Principal
from core.identity.roles import Role
from core.journal import record_event
from signing.ca import CertificateAuthority, CertificateRequestRefused, issue_certificate, public_key_sha256
from signing.envelope import InvalidKey, check_recipient


async def list_organizations(session: AsyncSession, org_type: str | None = None) -> list[Organization]:
    """Registered parties, by name."""
    query = select(Organization).order_by(Organization.name)
    if org_type:
        query = query.where(Organization.org_type == org_type)
    return list((await session.scalars(query)).all())


async def get_organization(session: AsyncSession, principal: Principal, organization_id: uuid.UUID) -> Organization:
    """One party; members see their own, the operator and regulators see all."""
    if principal.organization_id != organization_id and not principal.has(Role.OPERATOR, Role.REGULATOR):
        raise NotFound(f"organization {organization_id} does not exist")
    org = await session.get(Organization, organization_id)
    if org is None:
        raise NotFound(f"organization {organization_id} does not exist")
    return org


def ensure_may_manage_users(principal: Principal, organization_id: uuid.UUID) -> None:
    """The operator, or an org_admin of that organization, may add its users."""
    if principal.has(Role.OPERATOR):
        return
    if principal.organization_id == organization_id and principal.has(Role.ORG_ADMIN):
        return
    raise Forbidden("only the operator or an org_admin of this organization may manage its users")


async def list_users(session: AsyncSession, principal: Principal, organization_id: uuid.UUID) -> list[User]:
    """Users of an organization, for those who may manage them."""
    ensure_may_manage_users(principal, organization_id)
    rows = await session.scalars(select(User).where(User.organization_id == organization_id).order_by(User.username))
    return list(rows.all())


async def certify_key(
    session: AsyncSession, ca: CertificateAuthority, principal: Principal, csr_pem: str
) -> Certificate:
    """Issue a certificate for the caller's client-held key; the subject comes from the platform's records."""
    user = await session.get(User, principal.user_id)
    if user is None:
        raise NotFound("the signed-in user no longer exists")
    org = user.organization
    try:
        cert = issue_certificate(
            ca,
            csr_pem,
            common_name=user.display_name,
            organization=org.name,
            organization_identifier=f"CN-USCI-{org.credit_code}",
        )
    except CertificateRequestRefused as exc:
        raise InvalidInput(f"csr_pem: {exc}", field="csr_pem") from exc
    from cryptography.hazmat.primitives.serialization import Encoding

    record = Certificate(
        user_id=user.id,
        organization_id=org.id,
        purpose="signing",
        serial_hex=format(cert.serial_number, "x"),
        subject=cert.subject.rfc4514_string(),
        certificate_pem=cert.public_bytes(Encoding.PEM).decode(),
        public_key_sha256=public_key_sha256(cert),
        not_before=cert.not_valid_before_utc.astimezone(UTC),
        not_after=cert.not_valid_after_utc.astimezone(UTC),
    )
    session.add(record)
    await session.flush()
    await record_event(
        session,
        "party.certificate_issued",
        {"certificate": str(record.id), "serial": record.serial_hex, "key_sha256": record.public_key_sha256},
        actor=principal.actor,
        subject_id=record.id,
    )
    return record


async def list_certificates(session: AsyncSession, principal: Principal) -> list[Certificate]:
    """The caller's own certificates, newest first."""
    rows = await session.scalars(
        select(Certificate).where(Certificate.user_id == principal.user_id).order_by(Certificate.issued_at.desc())
    )
    return list(rows.all())


async def register_age_recipient(
    session: AsyncSession, principal: Principal, recipient: str, label: str | None
) -> AgeRecipient:
    """Record the public recipient of an age identity the caller keeps (custodians, bidders); it must be a valid
    X25519 recipient, since the newest one of a custodian seals every escrow share it is sent."""
    try:
        check_recipient(recipient)
    except InvalidKey as exc:
        raise InvalidInput(f"recipient: {exc} (checksum or key invalid)", field="recipient") from exc
    existing = await session.scalar(select(AgeRecipient).where(AgeRecipient.recipient == recipient))
    if existing is not None:
        if existing.user_id != principal.user_id:
            raise InvalidInput("recipient: this age recipient is registered to someone else", field="recipient")
        return existing
    row = AgeRecipient(
        user_id=principal.user_id, organization_id=principal.organization_id, recipient=recipient, label=label
    )
    session.add(row)
    await session.flush()
    await record_event(
        session,
        "party.age_recipient_registered",
        {"recipient": recipient, "label": label},
        actor=principal.actor,
        subject_id=row.id,
    )
    return row
