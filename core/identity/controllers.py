"""HTTP endpoints for sign-in and sign-out."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import Provide

from core.identity.principal import Principal
from core.identity.schemas import LoginRequest, MeOut, TokenOut
from core.identity.services import login, logout
from core.oplog import annotate
from core.settings import Settings
from core.web import UnitOfWork, principal_dependency, signed_in

TOKEN_TYPE = "Bearer"  # noqa: S105 (the OAuth token type name, not a secret)


class AuthController(Controller):
    """Bearer tokens for the API and the CLI."""

    path = "/api/auth"
    tags = ["auth"]  # noqa: RUF012 (Litestar reads this class attribute)

    @post("/login", status_code=200, summary="Sign in and receive a bearer token")
    async def login(
        self, request: Request[Any, Any, Any], data: LoginRequest, uow: UnitOfWork, settings: Settings
    ) -> TokenOut:
        """Password sign-in; repeated failures lock sign-ins to that account name from the caller's address (not
        the account: nobody can lock a competitor out). The operation log names the account tried."""
        source = request.client.host if request.client else "unknown"
        async with uow() as session:
            outcome = await login(session, settings, data.username, data.password, source)
        if outcome.user is not None:
            annotate(request.scope, account=(outcome.user.id, outcome.user.organization_id))
        token, user = outcome.accepted()
        return TokenOut(
            token=token,
            token_type=TOKEN_TYPE,
            user_id=user.id,
            organization_id=user.organization_id,
            roles=sorted(user.roles),
        )

    @post("/logout", status_code=204, guards=[signed_in], summary="Revoke the bearer token")
    async def logout(self, request: Request[Any, Any, Any], uow: UnitOfWork) -> None:
        """Revoke the token used for this request."""
        async with uow() as session:
            await logout(session, str(request.auth))

    @get(
        "/me",
        guards=[signed_in],
        dependencies={"principal": Provide(principal_dependency, sync_to_thread=False)},
        summary="Who am I",
    )
    async def me(self, principal: Principal) -> MeOut:
        """The signed-in user and its organization's roles."""
        return MeOut(
            user_id=principal.user_id,
            username=principal.username,
            organization_id=principal.organization_id,
            org_type=principal.org_type.value,
            roles=sorted(r.value for r in principal.roles),
        )
