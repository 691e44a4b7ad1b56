"""Domain errors: every refusal the platform makes carries an RFC 9457 problem type, a status and a clear detail."""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_BASE = "https://sunbid.example/problems/"


class DomainError(Exception):
    """A refusal a service raises; the web layer turns it into problem+json with the same fields."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    @property
    def type_uri(self) -> str:
        """The problem type URI, stable per error class."""
        return PROBLEM_BASE + self.code


class NotFound(DomainError):
    """The thing asked for does not exist, or the caller may not know it exists."""

    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(DomainError):
    """The request clashes with the current state."""

    status = 409
    code = "conflict"
    title = "Conflict"


class InvalidInput(DomainError):
    """Well-formed but unacceptable input."""

    status = 422
    code = "invalid-input"
    title = "Invalid input"


class NotAuthenticated(DomainError):
    """No valid credentials were presented."""

    status = 401
    code = "not-authenticated"
    title = "Not authenticated"


class Forbidden(DomainError):
    """The caller is known but its role does not allow this."""

    status = 403
    code = "forbidden"
    title = "Forbidden"


class RuleViolation(DomainError):
    """A statutory rule refuses the action; `rule` is its row in docs/statutory-rules.md."""

    status = 422
    code = "rule-violation"
    title = "Statutory rule violated"

    def __init__(self, rule: int, detail: str, **extra: Any) -> None:
        super().__init__(f"rule {rule}: {detail}", rule=rule, **extra)
        self.rule = rule


class TooLarge(DomainError):
    """The body exceeds the size the route accepts."""

    status = 413
    code = "too-large"
    title = "Content too large"


class UnsupportedMediaType(DomainError):
    """The body is not in the media type the route reads."""

    status = 415
    code = "unsupported-media-type"
    title = "Unsupported media type"


class Locked(DomainError):
    """The account or object is locked for now."""

    status = 423
    code = "locked"
    title = "Locked"


def a(word: str) -> str:
    """The word with its indefinite article, for refusals that name a state or a kind ('an active expert')."""
    spoken = word.replace("_", " ")
    return f"{'an' if spoken[:1].lower() in 'aeiou' else 'a'} {spoken}"
