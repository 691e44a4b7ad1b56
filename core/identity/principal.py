"""The authenticated caller as services see it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from core.identity.roles import OrgType, Role
from core.journal import Actor


@dataclass(frozen=True)
class Principal:
    """A signed-in user acting for its organization."""

    user_id: uuid.UUID
    username: str
    organization_id: uuid.UUID
    org_type: OrgType
    roles: frozenset[Role]

    @property
    def actor(self) -> Actor:
        """The journal actor for this principal."""
        return Actor(user_id=self.user_id, organization_id=self.organization_id)

    def has(self, *roles: Role) -> bool:
        """True when the principal holds any of the roles."""
        return bool(self.roles.intersection(roles))
