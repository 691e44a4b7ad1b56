"""API shapes for sign-in."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

from core.schemas import Out, Strict


class LoginRequest(Strict):
    """Credentials for POST /api/auth/login."""

    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class TokenOut(Out):
    """A bearer token and who it belongs to."""

    token: str
    token_type: str
    user_id: uuid.UUID
    organization_id: uuid.UUID
    roles: list[str]


class MeOut(Out):
    """The signed-in principal."""

    user_id: uuid.UUID
    username: str
    organization_id: uuid.UUID
    org_type: str
    roles: list[str]
