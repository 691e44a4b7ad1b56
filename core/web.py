"""Web kernel: RFC 9457 problem details for every error, bearer-token authentication, role guards, transactions."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.params import HeaderParameter, ParameterKwarg
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import (
    PROBLEM_BASE,
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
from core.schemas import NOT_BLANK

logger = logging.getLogger("sunbid.web")

PROBLEM_MEDIA_TYPE = "application/problem+json"

_HTTP_CODES = {
    400: ("bad-request", "Bad request"),
    401: ("not-authenticated", "Not authenticated"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("too-large", "Content too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid-input", "Invalid input"),
    429: ("too-many-requests", "Too many requests"),
}


def problem(
    status: int, code: str, title: str, detail: str, instance: str | None = None, **extra: Any
) -> Response[dict[str, Any]]:
    """An RFC 9457 problem details response."""
    body: dict[str, Any] = {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    """A service's refusal, as problem+json with the error's own type; a rule refusal is kept for the alert log."""
    if isinstance(exc, RuleViolation):
        annotate(request.scope, refusal={"rule": exc.rule, "code": exc.code, "detail": exc.detail})
    return problem(exc.status, exc.code, exc.title, exc.detail, request.url.path, **exc.extra)


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


def _missing_headers(request: Request[Any, Any, Any]) -> list[str]:
    """Every required header the route declares and the request lacks (the framework names only the first)."""
    missing = []
    for field in request.route_handler.parsed_fn_signature.parameters.values():
        kwarg = field.kwarg_definition
        if not isinstance(kwarg, ParameterKwarg) or kwarg.required is False or field.has_default or field.is_optional:
            continue
        name = kwarg.header or (kwarg.name if isinstance(kwarg, HeaderParameter) else None)
        if name and name.lower() not in request.headers:
            missing.append(name)
    return missing


def _plain_message(message: Any) -> Any:
    """msgspec's wording, except where it shows a pattern instead of saying what was wrong."""
    if isinstance(message, str) and message.startswith(f"Expected `str` matching regex {NOT_BLANK!r}"):
        return "must not be blank (only spaces, line breaks or invisible characters)"
    return message


def validation_error_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    """Body and parameter validation: 422 naming each offending field."""
    errors = exc.extra if isinstance(exc.extra, list) else []
    errors = [{**e, "message": _plain_message(e.get("message"))} if isinstance(e, dict) else e for e in errors]
    messages = [
        f"{e.get('key') or e.get('source') or 'body'}: {e.get('message')}" for e in errors if isinstance(e, dict)
    ]
    detail = "; ".join(messages) if messages else str(exc.detail)
    header_missing = not messages and str(exc.detail).startswith("Missing required header")
    if header_missing and (missing := _missing_headers(request)) and any(f"'{h}'" in detail for h in missing):
        detail = f"missing required header{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"
    return problem(422, "invalid-input", "Invalid input", detail, request.url.path, errors=errors or None)


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Framework errors (404, 405, 413 ...) in the same format."""
    status = exc.status_code
    code, title = _HTTP_CODES.get(status, ("http-error", "HTTP error"))
    return problem(status, code, title, str(exc.detail), request.url.path)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Anything unexpected: logged with its traceback, answered without internals."""
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal-error",
        "Internal error",
        "the server could not complete the request; it has been logged",
        request.url.path,
    )


DATABASE_REFUSALS: dict[str, tuple[int, str, str, str]] = {
    "22021": (
        422,
        "invalid-text",
        "Invalid text",
        "a text contains a NUL (\\u0000) or another character that cannot be stored",
    ),
    "22P05": (
        422,
        "invalid-text",
        "Invalid text",
        "a text contains a NUL (\\u0000) or another character that cannot be stored",
    ),
    "22001": (422, "too-long", "Value too long", "a text is longer than its field allows"),
    "22003": (422, "out-of-range", "Value out of range", "a number is outside the range its field allows"),
    "22008": (422, "out-of-range", "Value out of range", "a date or time is outside the range its field allows"),
    "23505": (
        409,
        "duplicate",
        "Already exists",
        "this conflicts with a record that already exists (or was stored at the same moment); read it back or retry",
    ),
    "23503": (
        422,
        "unknown-reference",
        "Unknown reference",
        "an id in the request refers to something that does not exist",
    ),
}
"""Database refusals that are the request's fault (SQLSTATE -> problem), so bad input answers 4xx, never 500."""


def _sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error, through SQLAlchemy's wrapper and asyncpg's exception chain."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            return None
        code = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if isinstance(code, str):
            return code
        seen = getattr(seen, "orig", None) or seen.__cause__
    return None


def database_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """A database refusal caused by the request's values: 4xx naming the kind of problem; anything else is a 500."""
    state = _sqlstate(exc)
    refusal = DATABASE_REFUSALS.get(state or "")
    if refusal is None:
        return internal_error_handler(request, exc)
    logger.warning("the database refused %s %s (SQLSTATE %s)", request.method, request.url.path, state, exc_info=exc)
    return problem(*refusal, request.url.path)


def unreadable_body_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """A body nested too deeply to read, or not UTF-8: 400, not a crash (logged with its trace, in case it was the
    server's own recursion)."""
    logger.warning("unreadable request %s %s", request.method, request.url.path, exc_info=exc)
    what = "nested too deeply to read" if isinstance(exc, RecursionError) else "not valid UTF-8"
    return problem(400, "unreadable-body", "Unreadable request", f"the request is {what}", request.url.path)


EXCEPTION_HANDLERS: dict[type[Exception] | int, Callable[..., Response[Any]]] = {
    DomainError: domain_error_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    DBAPIError: database_error_handler,
    asyncpg.PostgresError: database_error_handler,
    RecursionError: unreadable_body_handler,
    UnicodeDecodeError: unreadable_body_handler,
    Exception: internal_error_handler,
}


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
