"""Checking a signed statement against the platform CA and the signer's own registered certificate."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.identity.models import Certificate
from signing.ca import public_key_sha256
from signing.statements import SignedStatement, StatementInvalid, verify_statement


async def registered_key(session: AsyncSession, user_id: uuid.UUID, cert: x509.Certificate) -> bool:
    """True when the certificate's key is one the platform certified for this user and did not revoke."""
    found = await session.scalar(
        select(Certificate.id).where(
            Certificate.user_id == user_id,
            Certificate.public_key_sha256 == public_key_sha256(cert),
            Certificate.revoked_at.is_(None),
        )
    )
    return found is not None


async def verified_payload(
    session: AsyncSession, statement: str, user_id: uuid.UUID, roots: list[x509.Certificate], at: datetime, kind: str
) -> tuple[dict[str, Any], SignedStatement]:
    """The payload of a statement signed by this user's certified key, of the expected type."""
    try:
        signed = SignedStatement.from_json(statement)
        payload = verify_statement(signed, roots, at)
    except StatementInvalid as exc:
        raise InvalidInput(f"statement: {exc.reason}", field="statement") from exc
    if not await registered_key(session, user_id, signed.certificate):
        raise InvalidInput("statement: the signing key is not certified for you on this platform", field="statement")
    if payload.get("type") != kind:
        raise InvalidInput(f"statement: the payload type must be {kind!r}", field="statement")
    return payload, signed
