"""HTTP endpoints for organizations, users and client-held keys."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import Provide

from core.identity.models import Certificate, Organization, User
from core.identity.principal import Principal
from core.identity.roles import OrgType, Role
from core.identity.services import create_organization, create_user
from core.web import UnitOfWork, principal_dependency, requires, signed_in
from signing.ca import CertificateAuthority
from trading.parties import services
from trading.parties.schemas import (
    AgeRecipientIn,
    AgeRecipientOut,
    CertificateOut,
    CertificateRequestIn,
    OrganizationIn,
    OrganizationOut,
    UserIn,
    UserOut,
)

PRINCIPAL = {"principal": Provide(principal_dependency, sync_to_thread=False)}


def _org_out(org: Organization) -> OrganizationOut:
    return OrganizationOut(
        id=org.id,
        name=org.name,
        name_en=org.name_en,
        credit_code=org.credit_code,
        org_type=org.org_type,
        region=org.region,
        created_at=org.created_at,
    )


def _user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        organization_id=user.organization_id,
        username=user.username,
        display_name=user.display_name,
        roles=sorted(user.roles),
    )


def _cert_out(cert: Certificate, ca: CertificateAuthority) -> CertificateOut:
    return CertificateOut(
        id=cert.id,
        serial_hex=cert.serial_hex,
        subject=cert.subject,
        certificate_pem=cert.certificate_pem,
        chain_pem=[ca.certificate_pem],
        not_before=cert.not_before,
        not_after=cert.not_after,
    )


class OrganizationController(Controller):
    """Parties registered on the platform."""

    path = "/api/organizations"
    tags = ["parties"]  # noqa: RUF012 (Litestar reads this class attribute)
    dependencies = PRINCIPAL

    @post("/", guards=[requires(Role.OPERATOR)], summary="Register an organization (operator)")
    async def register(self, data: OrganizationIn, uow: UnitOfWork, principal: Principal) -> OrganizationOut:
        """Create a party after validating its 统一社会信用代码."""
        async with uow() as session:
            org = await create_organization(
                session,
                name=data.name,
                credit_code=data.credit_code,
                org_type=data.org_type,
                name_en=data.name_en,
                region=data.region,
                actor=principal.actor,
            )
        return _org_out(org)

    @get("/", guards=[requires(Role.OPERATOR, Role.REGULATOR)], summary="List organizations (operator, regulator)")
    async def list_all(self, uow: UnitOfWork, org_type: OrgType | None = None) -> list[OrganizationOut]:
        """All registered parties, optionally of one type."""
        async with uow.read() as session:
            orgs = await services.list_organizations(session, org_type.value if org_type else None)
        return [_org_out(o) for o in orgs]

    @get("/{organization_id:uuid}", guards=[signed_in], summary="One organization")
    async def show(self, organization_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> OrganizationOut:
        """A party: its own members, the operator and regulators may read it."""
        async with uow.read() as session:
            org = await services.get_organization(session, principal, organization_id)
        return _org_out(org)

    @post("/{organization_id:uuid}/users", guards=[signed_in], summary="Add a user (operator or org_admin)")
    async def add_user(
        self, organization_id: uuid.UUID, data: UserIn, uow: UnitOfWork, principal: Principal
    ) -> UserOut:
        """Create a user with roles that fit the organization's type."""
        services.ensure_may_manage_users(principal, organization_id)
        async with uow() as session:
            user = await create_user(
                session,
                organization_id=organization_id,
                username=data.username,
                display_name=data.display_name,
                password=data.password,
                roles=data.roles,
                actor=principal.actor,
            )
        return _user_out(user)

    @get("/{organization_id:uuid}/users", guards=[signed_in], summary="List users (operator or org_admin)")
    async def users(self, organization_id: uuid.UUID, uow: UnitOfWork, principal: Principal) -> list[UserOut]:
        """The organization's users."""
        async with uow.read() as session:
            users = await services.list_users(session, principal, organization_id)
        return [_user_out(u) for u in users]


class KeyController(Controller):
    """Certificates for keys that stay on the client, and public age recipients."""

    path = "/api/keys"
    tags = ["keys"]  # noqa: RUF012 (Litestar reads this class attribute)
    dependencies = PRINCIPAL

    @post("/certificates", guards=[signed_in], summary="Certify a client-generated ECDSA P-256 key")
    async def certify(
        self, data: CertificateRequestIn, uow: UnitOfWork, principal: Principal, request: Request[Any, Any, Any]
    ) -> CertificateOut:
        """The platform CA signs the CSR; the private key never leaves the client."""
        ca: CertificateAuthority = request.app.state.ca
        async with uow() as session:
            cert = await services.certify_key(session, ca, principal, data.csr_pem)
        return _cert_out(cert, ca)

    @get("/certificates", guards=[signed_in], summary="My certificates")
    async def certificates(
        self, uow: UnitOfWork, principal: Principal, request: Request[Any, Any, Any]
    ) -> list[CertificateOut]:
        """The caller's certificates, newest first."""
        async with uow.read() as session:
            certs = await services.list_certificates(session, principal)
        return [_cert_out(c, request.app.state.ca) for c in certs]

    @post("/age-recipients", guards=[signed_in], summary="Register an age recipient")
    async def register_age(self, data: AgeRecipientIn, uow: UnitOfWork, principal: Principal) -> AgeRecipientOut:
        """Record the public recipient of an age identity the caller keeps."""
        async with uow() as session:
            row = await services.register_age_recipient(session, principal, data.recipient, data.label)
        return AgeRecipientOut(id=row.id, recipient=row.recipient, label=row.label, organization_id=row.organization_id)


@get("/api/ca/certificate", summary="The platform CA certificate (PEM)", tags=["keys"], media_type="text/plain")
async def ca_certificate(request: Request[Any, Any, Any]) -> str:
    """The trust root for certificates this platform issues."""
    ca: CertificateAuthority = request.app.state.ca
    return ca.certificate_pem
