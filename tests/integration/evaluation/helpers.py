"""Helpers for evaluation tests: an expert pool with certified keys, a simulated opening, signed scores."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.identity.models import Organization, User
from core.identity.roles import OrgType, Role
from core.identity.services import create_organization, create_user
from core.identity.usci import make_credit_code
from core.journal import SYSTEM, record_event
from signing.ca import make_csr
from signing.statements import sign_statement
from sunbid.seed import DEMO_PASSWORD
from tests.support.api import auth
from trading.tenders.models import Tender
from trading.tenders.services.stages import advance_tender
from trading.tenders.states import TenderStatus

KEYS: dict[str, ec.EllipticCurvePrivateKey] = {}
"""Signing keys per username, made once per module run (cheap P-256, kept at module scope)."""

BIDDER_CODES = {"bidder1": "91330100MA0000007"}


@dataclass
class Expert:
    """A test expert: user, headers, key and certificate."""

    username: str
    headers: dict[str, str]
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate


def csv_row(number: int, username: str, **over: str) -> str:
    """One pool CSV line; defaults make a qualified 道路工程 expert."""
    row = {
        "pool_number": f"P{number:04d}",
        "username": username,
        "name": f"专家{number}",
        "specialties": "A01;B01",
        "title": "高级工程师",
        "title_level": "senior",
        "practice_since": "2005-03-01",
        "employer_name": "阳光设计院",
        "employer_credit_code": "",
        "past_employers": "",
        "declared_relations": "",
        "region": "330100",
    }
    row.update(over)
    return ",".join(row.values())


HEADER = (
    "pool_number,username,name,specialties,title,title_level,practice_since,employer_name,"
    "employer_credit_code,past_employers,declared_relations,region"
)


async def make_expert_users(sessions: async_sessionmaker[AsyncSession], count: int) -> list[str]:
    """Expert users in the demo expert pool organization."""
    names = [f"exp{i:02d}" for i in range(1, count + 1)]
    async with sessions() as session, session.begin():
        pool = await session.scalar(select(Organization).where(Organization.org_type == OrgType.EXPERT_POOL.value))
        assert pool is not None
        for name in names:
            await create_user(
                session,
                organization_id=pool.id,
                username=name,
                display_name=f"专家 {name}",
                password=DEMO_PASSWORD,
                roles=[Role.EXPERT],
            )
    return names


async def other_agency(sessions: async_sessionmaker[AsyncSession]) -> str:
    """An agency user of a second agency, which runs none of the demo tenders."""
    async with sessions() as session, session.begin():
        code = make_credit_code("91330100MA0777777")
        org = await create_organization(session, name="另一招标代理有限公司", credit_code=code, org_type=OrgType.AGENCY)
        await create_user(
            session,
            organization_id=org.id,
            username="agency-other",
            display_name="另一代理",
            password=DEMO_PASSWORD,
            roles=[Role.AGENCY],
        )
    return "agency-other"


async def certified(client: httpx.AsyncClient, username: str) -> Expert:
    """Sign in and certify a (module-cached) key for the user."""
    headers = await auth(client, username)
    key = KEYS.setdefault(username, ec.generate_private_key(ec.SECP256R1()))
    issued = await client.post("/api/keys/certificates", json={"csr_pem": make_csr(key, username)}, headers=headers)
    assert issued.status_code == 201, issued.text
    return Expert(username, headers, key, x509.load_pem_x509_certificate(issued.json()["certificate_pem"].encode()))


async def simulate_opening(
    sessions: async_sessionmaker[AsyncSession], tender_id: str, prices: dict[str, str]
) -> dict[str, str]:
    """Until the opening hall lands: move the tender to opened and record one bid.opened per bidder."""
    ids = {}
    async with sessions() as session, session.begin():
        tender = await session.get(Tender, uuid.UUID(tender_id))
        assert tender is not None
        await advance_tender(session, tender.id, TenderStatus.BIDDING_CLOSED, actor=SYSTEM, reason="test deadline")
        await advance_tender(session, tender.id, TenderStatus.OPENED, actor=SYSTEM, reason="test opening")
        for username, price in prices.items():
            user = await session.scalar(select(User).where(User.username == username))
            assert user is not None
            ids[username] = str(user.organization_id)
            await record_event(
                session,
                "bid.opened",
                {
                    "tender": tender_id,
                    "lot": 1,
                    "bidder": ids[username],
                    "price": price,
                    "files": [{"name": "技术标.pdf", "sha256": "0" * 64}],
                    "client": {"ip": "203.0.113.7"},
                    "guarantee_applicant": None,
                },
                subject_id=uuid.uuid4(),
            )
    return ids


def score_statement(expert: Expert, tender_id: str, bidder: str, criteria: dict[str, Any]) -> str:
    """A signed score statement as the expert's client makes it."""
    payload = {
        "type": "sunbid.evaluation.score",
        "tender": tender_id,
        "lot": 1,
        "bidder": bidder,
        "criteria": {k: str(Decimal(str(v))) for k, v in criteria.items()},
    }
    return sign_statement(payload, expert.key, expert.certificate).to_json()


def after(hours: int = 1) -> timedelta:
    """A small step past a deadline."""
    return timedelta(hours=hours)
