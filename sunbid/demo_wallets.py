"""The demo users' keys: generated on this machine into ./var/wallet like any client's, then certified.

The database only ever receives certificates and public age recipients; the keys stay in the local demo wallet.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.models import User
from core.identity.services import principal_of
from signing.ca import load_or_create_ca, make_csr
from signing.wallet import Wallet
from sunbid.seed import DEMO_PARTIES, DEMO_PASSWORD
from trading.parties.services import certify_key, register_age_recipient

CUSTODIAN_LABEL = "custodian"
CUSTODIANS = frozenset({"agency", "regulator", "notary"})
DEMO_SCRYPT_LOG_N = 14


def open_demo_wallet(wallet_dir: Path, username: str) -> Wallet:
    """The demo user's wallet (its passphrase is the demo password), created on first use."""
    path = wallet_dir / username
    if (path / "wallet.json").exists():
        return Wallet.open(path, DEMO_PASSWORD)
    return Wallet.create(path, DEMO_PASSWORD, scrypt_log_n=DEMO_SCRYPT_LOG_N)


async def ensure_demo_wallets(session: AsyncSession, wallet_dir: Path, ca_dir: Path) -> list[str]:
    """Give every demo user a wallet key certified by the platform CA, and custodians an age identity."""
    ca = load_or_create_ca(ca_dir, "Sunbid Development CA")
    done: list[str] = []
    for party in DEMO_PARTIES:
        user = await session.scalar(select(User).where(User.username == party.username))
        if user is None:
            continue
        wallet = open_demo_wallet(wallet_dir, party.username)
        principal = principal_of(user)
        issued = await certify_key(session, ca, principal, make_csr(wallet.signing_key, party.username))
        wallet.store_certificate(issued.certificate_pem)
        if party.username in CUSTODIANS:
            if CUSTODIAN_LABEL not in wallet.labels():
                wallet.new_age_identity(CUSTODIAN_LABEL)
            await register_age_recipient(session, principal, wallet.age_recipient(CUSTODIAN_LABEL), "escrow custodian")
        done.append(party.username)
    return done
