"""Organization types and the roles a user of each may hold."""

from __future__ import annotations

from enum import StrEnum


class OrgType(StrEnum):
    """Kinds of party on the platform."""

    TENDEREE = "tenderee"
    AGENCY = "agency"
    BIDDER = "bidder"
    GUARANTOR = "guarantor"
    REGULATOR = "regulator"
    NOTARY = "notary"
    OPERATOR = "operator"
    EXPERT_POOL = "expert_pool"


class Role(StrEnum):
    """What a user may do; each role is scoped to the user's organization."""

    TENDEREE = "tenderee"
    AGENCY = "agency"
    BIDDER = "bidder"
    GUARANTOR = "guarantor"
    REGULATOR = "regulator"
    NOTARY = "notary"
    OPERATOR = "operator"
    EXPERT = "expert"
    ORG_ADMIN = "org_admin"


ROLES_BY_ORG_TYPE: dict[OrgType, frozenset[Role]] = {
    OrgType.TENDEREE: frozenset({Role.TENDEREE, Role.ORG_ADMIN}),
    OrgType.AGENCY: frozenset({Role.AGENCY, Role.ORG_ADMIN}),
    OrgType.BIDDER: frozenset({Role.BIDDER, Role.ORG_ADMIN}),
    OrgType.GUARANTOR: frozenset({Role.GUARANTOR, Role.ORG_ADMIN}),
    OrgType.REGULATOR: frozenset({Role.REGULATOR, Role.ORG_ADMIN}),
    OrgType.NOTARY: frozenset({Role.NOTARY, Role.ORG_ADMIN}),
    OrgType.OPERATOR: frozenset({Role.OPERATOR, Role.ORG_ADMIN}),
    OrgType.EXPERT_POOL: frozenset({Role.EXPERT}),
}

PRIMARY_ROLE: dict[OrgType, Role] = {
    OrgType.TENDEREE: Role.TENDEREE,
    OrgType.AGENCY: Role.AGENCY,
    OrgType.BIDDER: Role.BIDDER,
    OrgType.GUARANTOR: Role.GUARANTOR,
    OrgType.REGULATOR: Role.REGULATOR,
    OrgType.NOTARY: Role.NOTARY,
    OrgType.OPERATOR: Role.OPERATOR,
    OrgType.EXPERT_POOL: Role.EXPERT,
}
