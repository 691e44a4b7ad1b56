"""API shapes for organizations, users and keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from core.identity.roles import OrgType, Role
from core.schemas import Out, Strict


class OrganizationIn(Strict):
    """Register a party by its 统一社会信用代码."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    credit_code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    org_type: OrgType
    name_en: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    region: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$")] | None = None


class OrganizationOut(Out):
    """A registered party."""

    id: uuid.UUID
    name: str
    name_en: str | None
    credit_code: str
    org_type: str
    region: str | None
    created_at: datetime


class UserIn(Strict):
    """Add a user to an organization."""

    username: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_.-]{2,63}$")]
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    password: Annotated[str, msgspec.Meta(min_length=10, max_length=256)]
    roles: Annotated[list[Role], msgspec.Meta(min_length=1)]


class UserOut(Out):
    """A user, without its password hash."""

    id: uuid.UUID
    organization_id: uuid.UUID
    username: str
    display_name: str
    roles: list[str]


class CertificateRequestIn(Strict):
    """A PEM CSR for an ECDSA P-256 key the client generated and keeps."""

    csr_pem: Annotated[str, msgspec.Meta(min_length=1, max_length=16384)]


class CertificateOut(Out):
    """A certificate issued for a client-held key."""

    id: uuid.UUID
    serial_hex: str
    subject: str
    certificate_pem: str
    chain_pem: list[str]
    not_before: datetime
    not_after: datetime


class AgeRecipientIn(Strict):
    """Register the public half of an age identity kept on the client."""

    recipient: Annotated[str, msgspec.Meta(pattern=r"^age1[02-9ac-hj-np-z]{58}$")]
    label: Annotated[str, msgspec.Meta(max_length=100)] | None = None


class AgeRecipientOut(Out):
    """A registered age recipient."""

    id: uuid.UUID
    recipient: str
    label: str | None
    organization_id: uuid.UUID
