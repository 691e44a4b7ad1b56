"""The benchmarks' platform side: an embedded database with the demo tender and many certified bidders."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from _support import CA_NAME, log

# --- the platform's data: database, keys, custodians, bidders -------------------------------------------------------


@dataclass
class BenchBidder:
    """A bidder organization with one user, its bearer token, its certified key and its per-tender age identity."""

    username: str
    organization_id: str
    token: str
    key: Any  # ec.EllipticCurvePrivateKey
    certificate: Any  # x509.Certificate
    identity: Any  # signing.envelope.AgeIdentity


@dataclass
class BenchPlatform:
    """What the benchmark needs to know about the prepared platform."""

    root: Path
    pgdata: Path
    data_dir: Path
    url: str
    tender_id: str = ""
    quorum: int = 0
    custodians: list[Any] = field(default_factory=list)  # signing.sealed_bid.Custodian
    bidders: list[BenchBidder] = field(default_factory=list)

    @property
    def bid_blobs(self) -> Path:
        """Where the platform keeps bid ciphertext."""
        return self.data_dir / "blobs" / "bids"

    @property
    def baseline_dir(self) -> Path:
        """The baseline's files, beside the blob store (same file system)."""
        return self.data_dir / "blobs" / "baseline"

    def trust_roots(self) -> list[Any]:
        """The platform CA certificate."""
        from cryptography import x509

        return [x509.load_pem_x509_certificate((self.data_dir / "platform" / "ca" / "ca.pem").read_bytes())]


@contextlib.contextmanager
def embedded_platform(prefix: str) -> Iterator[BenchPlatform]:
    """A temp dir with a started, migrated embedded PostgreSQL and platform keys; everything removed afterwards."""
    from core.database import ensure_database_exists, migrate
    from core.embedded import asyncpg_url, start_embedded, stop_embedded

    root = Path(tempfile.mkdtemp(prefix=prefix, dir=os.environ.get("BENCH_TMP")))
    pgdata, data_dir = root / "pgdata", root / "data"
    data_dir.mkdir()
    try:
        log(f"embedded PostgreSQL in {pgdata}")
        url = asyncpg_url(start_embedded(pgdata), "bench")
        asyncio.run(ensure_database_exists(url))
        migrate(url)
        yield BenchPlatform(root, pgdata, data_dir, url)
    finally:
        stop_embedded(pgdata)
        shutil.rmtree(root, ignore_errors=True)


def _make_platform_keys(data_dir: Path) -> Any:
    from signing.ca import load_or_create_ca
    from signing.receipts import load_or_create_receipt_signer
    from signing.tsa import load_or_create_tsa

    keys = data_dir / "platform"
    ca = load_or_create_ca(keys / "ca", CA_NAME)
    load_or_create_tsa(keys / "tsa", ca)
    load_or_create_receipt_signer(keys / "receipts", ca)
    return ca


def populate(platform: BenchPlatform, bidders: int) -> None:
    """Demo seed (its published tender), custodian recipients, and `bidders` bidder organizations with one user each.

    Parties go in through core.identity.services and certificates through trading.parties.services.certify_key with
    the platform CA; bearer tokens are stored as a sign-in stores them (hash only). The bidders' keys stay here.
    Passwords are hashed with a cheap argon2 setting: nobody signs in with them (the tokens are made directly).
    """
    os.environ["SUNBID_DATA_DIR"] = str(platform.data_dir)
    os.environ["SUNBID_MODE"] = "development"
    from core.settings import get_settings

    get_settings.cache_clear()
    ca = _make_platform_keys(platform.data_dir)
    asyncio.run(_populate(platform, ca, bidders))


async def _populate(platform: BenchPlatform, ca: Any, count: int) -> None:
    from argon2 import PasswordHasher
    from cryptography.hazmat.primitives.asymmetric import ec
    from sqlalchemy import select

    import core.identity.services as identity
    from core.database import set_clock_mode
    from core.db import create_engine, db_now, session_factory
    from core.identity.models import AuthToken, User
    from core.identity.roles import PRIMARY_ROLE, OrgType
    from core.identity.usci import make_credit_code
    from core.settings import Mode
    from signing.ca import make_csr
    from signing.envelope import generate_identity
    from signing.sealed_bid import Custodian
    from sunbid.seed import seed_demo
    from trading.parties.services import certify_key, register_age_recipient
    from trading.tenders.models import Tender

    identity._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    await set_clock_mode(platform.url, Mode.DEVELOPMENT)
    engine = create_engine(platform.url, pool_size=1, max_overflow=0)
    factory = session_factory(engine)
    try:
        async with factory() as session, session.begin():
            await seed_demo(session)
        async with factory() as session, session.begin():
            for username in ("agency", "regulator", "notary"):
                user = (await session.scalars(select(User).where(User.username == username))).one()
                await register_age_recipient(
                    session, identity.principal_of(user), generate_identity().recipient, "custodian"
                )
            tender = (await session.scalars(select(Tender).where(Tender.status == "published"))).one()
            platform.tender_id, platform.quorum = str(tender.id), tender.escrow_quorum
            from bidding.bids.views import escrow_recipients

            platform.custodians = [
                Custodian(str(c.organization_id), c.recipient) for c in await escrow_recipients(session, tender)
            ]
        log(f"creating {count} bidders")
        async with factory() as session, session.begin():
            now = await db_now(session)
            for i in range(count):
                username = f"benchbidder{i:04d}"
                org = await identity.create_organization(
                    session,
                    name=f"基准投标人{i:04d}有限公司",
                    credit_code=make_credit_code(f"91330100MA1{i:06d}"),
                    org_type=OrgType.BIDDER,
                    region="330100",
                )
                user = await identity.create_user(
                    session,
                    organization_id=org.id,
                    username=username,
                    display_name=f"投标人 {i:04d}",
                    password=secrets.token_urlsafe(12),
                    roles=[PRIMARY_ROLE[OrgType.BIDDER]],
                )
                await session.refresh(user, ["organization"])
                key = ec.generate_private_key(ec.SECP256R1())
                issued = await certify_key(session, ca, identity.principal_of(user), make_csr(key, username))
                token = secrets.token_urlsafe(32)
                session.add(
                    AuthToken(
                        token_sha256=hashlib.sha256(token.encode()).digest(),
                        user_id=user.id,
                        expires_at=now + timedelta(days=1),
                    )
                )
                from cryptography import x509

                platform.bidders.append(
                    BenchBidder(
                        username,
                        str(org.id),
                        token,
                        key,
                        x509.load_pem_x509_certificate(issued.certificate_pem.encode()),
                        generate_identity(),
                    )
                )
    finally:
        await engine.dispose()
