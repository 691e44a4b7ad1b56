"""RFC 9457 problem details for every error: refusals, invalid input, framework errors and database refusals caused
by the request, so bad input never answers 500."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.params import HeaderParameter, ParameterKwarg
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError

from core.errors import PROBLEM_BASE, DomainError, RuleViolation
from core.oplog import annotate
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
