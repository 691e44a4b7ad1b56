"""Use cases for organizations, users and sign-in. Never imports the web framework."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import db_now
from core.errors import DomainError, NotAuthenticated, NotFound
from core.identity.errors import (
    AccountLocked,
    BadCredentials,
    DuplicateParty,
    InvalidCreditCodeError,
    RoleNotAllowed,
)
from core.identity.models import AuthToken, LoginThrottle, Organization, User
from core.identity.principal import Principal
from core.identity.roles import ROLES_BY_ORG_TYPE, OrgType, Role
from core.identity.usci import InvalidCreditCode, validate_credit_code
from core.journal import SYSTEM, Actor, record_event
from core.settings import Settings

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def _token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def create_organization(
    session: AsyncSession,
    *,
    name: str,
    credit_code: str,
    org_type: OrgType,
    name_en: str | None = None,
    region: str | None = None,
    actor: Actor = SYSTEM,
) -> Organization:
    """Register a party after checking its 统一社会信用代码."""
    try:
        validate_credit_code(credit_code)
    except InvalidCreditCode as exc:
        raise InvalidCreditCodeError(f"credit_code {credit_code!r}: {exc}", field="credit_code") from exc
    existing = await session.scalar(select(Organization.id).where(Organization.credit_code == credit_code))
    if existing is not None:
        raise DuplicateParty(f"an organization with credit_code {credit_code} is already registered")
    org = Organization(name=name, name_en=name_en, credit_code=credit_code, org_type=org_type.value, region=region)
    session.add(org)
    await session.flush()
    await record_event(
        session,
        "party.organization_registered",
        {"organization": str(org.id), "name": name, "credit_code": credit_code, "org_type": org_type.value},
        actor=actor,
        subject_id=org.id,
    )
    return org


async def create_user(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    username: str,
    display_name: str,
    password: str,
    roles: list[Role],
    actor: Actor = SYSTEM,
) -> User:
    """Add a user to an organization with roles that fit its type."""
    org = await session.get(Organization, organization_id)
    if org is None:
        raise NotFound(f"organization {organization_id} does not exist")
    allowed = ROLES_BY_ORG_TYPE[OrgType(org.org_type)]
    for role in roles:
        if role not in allowed:
            raise RoleNotAllowed(
                f"role {role.value!r} is not allowed for a {org.org_type} organization "
                f"(allowed: {sorted(r.value for r in allowed)})",
                field="roles",
            )
    if await session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DuplicateParty(f"username {username!r} is taken")
    user = User(
        organization_id=organization_id,
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        roles=[r.value for r in roles],
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise DuplicateParty(f"username {username!r} is taken") from exc
    await record_event(
        session,
        "party.user_created",
        {"user": str(user.id), "organization": str(organization_id), "roles": sorted(user.roles)},
        actor=actor,
        subject_id=user.id,
    )
    return user


@dataclass(frozen=True)
class LoginOutcome:
    """A sign-in attempt: a token, or a refusal to raise after commit; `user` is the account tried, for the log only."""

    token: str | None = None
    user: User | None = None
    refusal: DomainError | None = None

    def accepted(self) -> tuple[str, User]:
        """The token and user of a successful sign-in; raises the refusal otherwise."""
        if self.refusal is not None:
            raise self.refusal
        if self.token is None or self.user is None:
            raise BadCredentials("username or password is wrong")
        return self.token, self.user


async def login(
    session: AsyncSession, settings: Settings, username: str, password: str, source: str = "unknown"
) -> LoginOutcome:
    """Check the password, count failures per account name and source address towards a lockout (the same for an
    unknown name), issue a token; never journaled (docs/security.md)."""
    now = await db_now(session)
    throttle = await _throttle(session, username[:64], source[:45])
    user = await session.scalar(select(User).where(User.username == username))
    if throttle.locked_until is not None and throttle.locked_until > now:
        return LoginOutcome(
            user=user,
            refusal=AccountLocked(
                f"too many failed sign-ins from your address; try again after {throttle.locked_until.isoformat()}",
                locked_until=throttle.locked_until.isoformat(),
            ),
        )
    usable = user is not None and user.active
    verified = _verify_quietly(user.password_hash if user is not None and usable else _DUMMY_HASH, password)
    if user is None or not usable or not verified:
        throttle.failures += 1
        if throttle.failures < settings.login_max_failures:
            return LoginOutcome(user=user, refusal=BadCredentials("username or password is wrong"))
        throttle.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
        throttle.failures = 0
        await session.execute(  # lapsed locks of any name and address: the table does not keep growing
            delete(LoginThrottle).where(LoginThrottle.locked_until < now - timedelta(days=1))
        )
        return LoginOutcome(
            user=user,
            refusal=AccountLocked(
                f"too many failed sign-ins from your address; locked for {settings.login_lockout_minutes} minutes"
            ),
        )
    throttle.failures, throttle.locked_until = 0, None
    token = secrets.token_urlsafe(32)
    session.add(
        AuthToken(
            token_sha256=_token_digest(token),
            user_id=user.id,
            expires_at=now + timedelta(minutes=settings.token_ttl_minutes),
        )
    )
    return LoginOutcome(token=token, user=user)


async def _throttle(session: AsyncSession, username: str, source: str) -> LoginThrottle:
    """The (locked) throttle row of this account name and address, created on first use (again, if a concurrent
    purge removed it between the insert and the lock)."""
    for _ in range(3):
        await session.execute(insert(LoginThrottle).values(username=username, source=source).on_conflict_do_nothing())
        throttle = await session.scalar(
            select(LoginThrottle)
            .where(LoginThrottle.username == username, LoginThrottle.source == source)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if throttle is not None:
            return throttle
    raise RuntimeError("the throttle row vanished three times in a row")


def _verify_quietly(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def logout(session: AsyncSession, token: str) -> None:
    """Revoke a bearer token."""
    await session.execute(update(AuthToken).where(AuthToken.token_sha256 == _token_digest(token)).values(revoked=True))


AUTHENTICATE_SQL = """
select k.n, u.id, u.username, u.organization_id, o.org_type, u.roles,
       t.revoked or t.expires_at <= sunbid_now() or not u.active as lapsed
from unnest($1::bytea[]) with ordinality as k(digest, n)
join auth_tokens t on t.token_sha256 = k.digest
join users u on u.id = t.user_id
join organizations o on o.id = u.organization_id
"""
"""Any number of tokens in one statement (n is each token's position, from 1)."""


async def authenticate_many(
    connection: asyncpg.Connection, tokens: Sequence[str]
) -> list[Principal | NotAuthenticated]:
    """Each token's principal, or the refusal it earns, in the tokens' order: one statement for a whole burst of
    requests (core.grouped), since it runs before every signed-in request."""
    rows = {row["n"]: row for row in await connection.fetch(AUTHENTICATE_SQL, [_token_digest(t) for t in tokens])}
    outcomes: list[Principal | NotAuthenticated] = []
    for n in range(1, len(tokens) + 1):
        row = rows.get(n)
        if row is None:
            outcomes.append(NotAuthenticated("the bearer token is unknown"))
        elif row["lapsed"]:
            outcomes.append(NotAuthenticated("the bearer token has expired or was revoked"))
        else:
            outcomes.append(
                Principal(
                    user_id=row["id"],
                    username=row["username"],
                    organization_id=row["organization_id"],
                    org_type=OrgType(row["org_type"]),
                    roles=frozenset(Role(r) for r in row["roles"]),
                )
            )
    return outcomes


async def warm_authentication(connection: asyncpg.Connection) -> None:
    """Prepare the token lookup on a fresh driver connection (core.db.create_driver_pool with warmers)."""
    await connection.fetch(AUTHENTICATE_SQL, [])


async def authenticate_on_driver(connection: asyncpg.Connection, token: str) -> Principal:
    """One token's principal; NotAuthenticated when it is unknown, expired or revoked."""
    outcome = (await authenticate_many(connection, [token]))[0]
    if isinstance(outcome, NotAuthenticated):
        raise outcome
    return outcome


async def authenticate(session: AsyncSession, token: str) -> Principal:
    """Resolve a bearer token to its principal, or refuse (the same statement as the middleware's, on the session's
    connection)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    if raw.driver_connection is None:
        raise RuntimeError("the session's connection has no driver connection")
    return await authenticate_on_driver(cast("asyncpg.Connection", raw.driver_connection), token)


def principal_of(user: User) -> Principal:
    """The principal a loaded user (with its organization) acts as."""
    return Principal(
        user_id=user.id,
        username=user.username,
        organization_id=user.organization_id,
        org_type=OrgType(user.organization.org_type),
        roles=frozenset(Role(r) for r in user.roles),
    )
