"""Identity refusals."""

from __future__ import annotations

from core.errors import Conflict, InvalidInput, Locked, NotAuthenticated


class BadCredentials(NotAuthenticated):
    """Username or password is wrong (never says which)."""

    code = "bad-credentials"
    title = "Bad credentials"


class AccountLocked(Locked):
    """Too many failed logins; the account is locked until the time given."""

    code = "account-locked"
    title = "Account locked"


class InvalidCreditCodeError(InvalidInput):
    """The 统一社会信用代码 is malformed or its check character is wrong."""

    code = "invalid-credit-code"
    title = "Invalid 统一社会信用代码"


class DuplicateParty(Conflict):
    """An organization with this credit code, or a user with this name, already exists."""

    code = "duplicate-party"
    title = "Already registered"


class RoleNotAllowed(InvalidInput):
    """The role does not fit the organization type."""

    code = "role-not-allowed"
    title = "Role not allowed for this organization"
