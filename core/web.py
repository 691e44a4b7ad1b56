"""Web kernel: bearer-token authentication, role guards, body guards, transactions and the request log (problem details
for errors are in core.problems)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import (
    DomainError,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    RuleViolation,
    UnsupportedMediaType,
)
from core.grouped import GroupedLookup, grouped_on_driver
from core.identity.principal import Principal
from core.identity.roles import Role
from core.identity.services import authenticate_many
from core.oplog import SEALED_PATHS, annotate, describe, is_sealed

logger = logging.getLogger("sunbid.web")


async def alert_websocket_refusal(
    socket: ASGIConnection[Any, Any, Any, Any], exc: DomainError, who: Principal | None
) -> None:
    """A rule refusal on a websocket is a rule alert, as an HTTP request's is (its handshake was the GET)."""
    if not isinstance(exc, RuleViolation):
        return
    annotate(socket.scope, refusal={"rule": exc.rule, "code": exc.code, "detail": exc.detail})
    row = describe({**socket.scope, "method": "GET"}, exc.status)
    if row is None:
        return
    if who is not None:
        row.update(user_id=who.user_id, organization_id=who.organization_id)
    await socket.app.state.oplog_writer.write(row)


def seal_operation(request: Request[Any, Any, Any], tender_id: Any) -> None:
    """Log this request sealed under the tender: hidden from every query until that tender's bid deadline."""
    annotate(request.scope, sealed_tender=str(tender_id))


def _is_json(media_type: str) -> bool:
    """application/json or a structured +json type (Litestar has already lowercased and stripped it)."""
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


async def json_body_guard(connection: ASGIConnection[Any, Any, Any, Any], route_handler: BaseRouteHandler) -> None:
    """A route that reads a JSON body refuses another media type (415) rather than reading text or a form as JSON.

    An app-level guard, because guards add up across layers where a `before_request` hook is replaced by any closer
    one; an empty body is left to the route's own validation."""
    if not isinstance(connection, Request) or "data" not in route_handler.parsed_fn_signature.parameters:
        return
    media_type = connection.content_type[0]
    body = await connection.body()
    if not _is_json(media_type) and body:
        raise UnsupportedMediaType(
            f"this route reads a JSON body: send it with Content-Type: application/json (got {media_type or 'none'})"
        )
    if (b"\\u0000" in body or b"\x00" in body) and (where := _nul_path(body)) is not None:
        raise InvalidInput(f"{where}: text must not contain NUL (\\u0000) characters")


def _nul_path(body: bytes) -> str | None:
    """Where in a JSON body a NUL character is (a depth-first walk, linear in the body); None when there is none or
    the body does not parse (the route's own decoding then says what is wrong)."""
    try:
        stack: list[tuple[str, Any]] = [("", json.loads(body))]
    except (ValueError, RecursionError):
        return None
    while stack:
        path, value = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            return path or "body"
        if isinstance(value, dict):
            for key, item in reversed(value.items()):
                here = f"{path}.{key}" if path else str(key)
                if "\x00" in key:
                    return here
                stack.append((here, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(value))))
    return None


TokenDesk = GroupedLookup[str, Principal | NotAuthenticated]


def token_desk(pool: asyncpg.Pool) -> TokenDesk:
    """Bearer tokens of concurrent requests resolved together, one statement per batch (core.grouped)."""
    return grouped_on_driver(pool, authenticate_many)


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Resolves `Authorization: Bearer <token>` to a Principal; anonymous callers get user None."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        """Look the token up in the database (app.state.token_desk); a bad token is refused even where anonymous
        access is fine."""
        header = connection.headers.get("authorization")
        token = None
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise NotAuthorizedException("the Authorization header must be 'Bearer <token>'")
            token = value.strip()
        elif connection.scope["type"] == ScopeType.WEBSOCKET:
            token = connection.query_params.get("token")
        if not token:
            return AuthenticationResult(user=None, auth=None)
        desk: TokenDesk = connection.app.state.token_desk
        outcome = await desk.get(token)
        if isinstance(outcome, NotAuthenticated):
            raise NotAuthorizedException(outcome.detail)
        return AuthenticationResult(user=outcome, auth=token)


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The principal of this connection, or None when anonymous."""
    user = connection.scope.get("user")
    return user if isinstance(user, Principal) else None


Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def requires(*roles: Role) -> Guard:
    """A guard: the caller must be signed in and, when roles are given, hold one of them.

    A coroutine function although it never waits: Litestar runs a plain function guard in a worker thread, a trip
    every guarded request would pay (docs/adr/0004-ingest-latency.md)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = current_principal(connection)
        if principal is None:
            raise NotAuthenticated("this endpoint needs a bearer token (POST /api/auth/login)")
        if roles and not principal.has(*roles):
            raise Forbidden(f"this endpoint is for: {', '.join(sorted(r.value for r in roles))}")

    guard.__name__ = "requires_" + "_".join(r.value for r in roles) if roles else "requires_login"
    return guard


signed_in = requires()


def principal_dependency(request: Request[Any, Any, Any]) -> Principal:
    """Dependency for guarded handlers: the signed-in principal."""
    principal = current_principal(request)
    if principal is None:
        raise NotAuthenticated("this endpoint needs a bearer token (POST /api/auth/login)")
    return principal


def optional_principal_dependency(request: Request[Any, Any, Any]) -> Principal | None:
    """Dependency for public handlers that show more to signed-in callers."""
    return current_principal(request)


class UnitOfWork:
    """Opens one transaction per use; controllers call services inside it and never write SQL."""

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = factory

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[AsyncSession]:
        async with self._factory() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads (still transactional, rolled back at the end)."""
        async with self._factory() as session:
            yield session


def uow_dependency(request: Request[Any, Any, Any]) -> UnitOfWork:
    """Dependency giving the request a unit of work over the app's session factory."""
    return UnitOfWork(request.app.state.session_factory)


class RequestLogMiddleware:
    """One structured line per HTTP request: method, path, status, duration, user; never headers, cookies or query."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.log = logging.getLogger("sunbid.request")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or SEALED_PATHS.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            if not is_sealed(scope):
                self._line(scope, status["code"], started)

    def _line(self, scope: Any, status: int, started: float) -> None:
        """Sealed traffic is never logged: even a line without content would tell who takes part and how often."""
        user = scope.get("user")
        self.log.info(
            "request",
            extra={
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user": str(user.user_id) if isinstance(user, Principal) else None,
            },
        )
