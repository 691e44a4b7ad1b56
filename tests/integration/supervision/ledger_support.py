"""Helpers for ledger tests: a throwaway checkpoint key, catch-up, export."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from signing.ledger_bundle import VerifyReport, verify_bundle
from supervision.ledger.keys import LedgerKey
from supervision.ledger.models import LedgerEntry
from supervision.ledger.services import export_bundle
from supervision.ledger.worker import checkpoint_now

ORIGIN = "sunbid.test/ledger"


def new_key() -> LedgerKey:
    """A fresh signer for one test."""
    return LedgerKey(ORIGIN, Ed25519PrivateKey.generate())


async def export_and_verify(
    sessions: async_sessionmaker[AsyncSession], key: LedgerKey, directory: Path, *, checkpoint: bool = True
) -> VerifyReport:
    """Catch up, sign, export, and verify the bundle against the pinned key."""
    if checkpoint:
        await checkpoint_now(sessions, key)
    async with sessions() as session:
        await export_bundle(session, directory, key)
    return verify_bundle(directory, trusted_vkey=key.vkey)


async def all_entries(sessions: async_sessionmaker[AsyncSession]) -> list[LedgerEntry]:
    """Every stored entry in index order."""
    async with sessions() as session:
        return list((await session.scalars(select(LedgerEntry).order_by(LedgerEntry.index))).all())
