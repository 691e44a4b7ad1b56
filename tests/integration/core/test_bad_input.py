"""Input that used to crash a handler: each answer is a 4xx problem naming what was wrong, and nothing is stored."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.identity.models import AgeRecipient, Organization
from core.oplog import OperationLogEntry
from tests.integration.trading.tender_helpers import org_ids, tender_body
from tests.support.api import assert_problem, auth

JSON = {"content-type": "application/json"}


async def _tender(client: httpx.AsyncClient) -> str:
    tender: str = next(t for t in (await client.get("/api/tenders")).json() if t["status"] == "published")["id"]
    return tender


async def test_a_nul_character_is_refused_naming_the_field(client: httpx.AsyncClient, seeded: None) -> None:
    login = await client.post("/api/auth/login", json={"username": "bidder4\u0000", "password": "x"})
    assert_problem(login, 422, "username: text must not contain NUL")
    operator = await auth(client, "operator")
    nested = await client.post(
        "/api/organizations",
        json={"name": "公司", "credit_code": "91330100MA0555555X", "org_type": "bidder", "region": "a\u0000"},
        headers=operator,
    )
    assert_problem(nested, 422, "region: text must not contain NUL")
    regulator = await auth(client, "regulator")
    query = await client.get("/api/supervision/signals", params={"kind": "a\u0000b"}, headers=regulator)
    assert_problem(query, 422, "NUL")


async def test_unreadable_bodies_answer_400(client: httpx.AsyncClient, seeded: None) -> None:
    agency = await auth(client, "agency")
    for body in (b"{", b'{"summary":', b"\x00"):
        malformed = await client.post("/api/tenders", content=body, headers={**agency, **JSON})
        assert malformed.status_code == 400, (body, malformed.text)
        assert malformed.headers["content-type"].startswith("application/problem+json")
    tender = await _tender(client)
    bidder = await auth(client, "bidder2")
    deep = '{"question":"q","x":' + "[" * 5000 + "]" * 5000 + "}"
    nested = await client.post(f"/api/tenders/{tender}/questions", content=deep, headers={**bidder, **JSON})
    assert nested.status_code == 400, nested.text
    not_utf8 = await client.post(
        f"/api/tenders/{tender}/questions", content=b'{"question":"\xff\xfe"}', headers={**bidder, **JSON}
    )
    assert not_utf8.status_code == 400, not_utf8.text
    listed = await client.get(f"/api/tenders/{tender}/questions", headers=bidder)
    assert listed.json() == []


@pytest.mark.parametrize(
    ("moment", "fragment"),
    [
        ("0001-01-01T00:00:00Z", "bid_deadline: 0001-01-01T00:00:00+00:00 is outside 1900-2199"),
        ("9999-12-31T23:59:59Z", "is outside 1900-2199"),
        ("2026-12-31T10:00:00", "bid_deadline: 2026-12-31T10:00:00 has no time zone"),
    ],
)
async def test_dates_out_of_range_or_without_a_zone_are_refused(
    client: httpx.AsyncClient, seeded: None, moment: str, fragment: str
) -> None:
    agency = await auth(client, "agency")
    body = tender_body(await org_ids(client), datetime(2026, 12, 31, 10, tzinfo=UTC), bid_deadline=moment)
    assert_problem(await client.post("/api/tenders", json=body, headers=agency), 422, fragment)


async def test_references_and_ranges_the_database_would_refuse_are_4xx(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    regulator = await auth(client, "regulator")
    orgs = (await client.get("/api/organizations", headers=regulator)).json()
    target = next(o for o in orgs if o["org_type"] == "bidder")["id"]
    unknown_case = await client.post(
        "/api/supervision/accountability",
        json={"kind": "warning", "reason": "违规", "target_org_id": target, "case_id": str(uuid.uuid4())},
        headers=regulator,
    )
    assert_problem(unknown_case, 422, "refers to something that does not exist")
    tender = await _tender(client)
    huge_lot = await client.post(
        f"/api/awards/{tender}/decision", json={"lot": 2**31}, headers=await auth(client, "agency")
    )
    assert_problem(huge_lot, 422, "lot")
    expert = await auth(client, "expert1")
    not_ascii = await client.post(
        f"/api/evaluations/{tender}/report/signatures", json={"pdf_base64": "ééééé"}, headers=expert
    )
    assert_problem(not_ascii, 422, "pdf_base64: not base64")
    async with sessions() as session:
        organizations = await session.scalar(select(func.count()).select_from(Organization))
    assert organizations == len(orgs)


async def test_an_age_recipient_with_a_bad_checksum_is_refused(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """It only looks like one: stored, it would become a custodian's escrow key and every sealing would fail."""
    fake = "age1" + "q" * 58
    refused = await client.post(
        "/api/keys/age-recipients", json={"recipient": fake, "label": "custodian"}, headers=await auth(client, "notary")
    )
    assert_problem(refused, 422, "recipient: not an age X25519 recipient")
    async with sessions() as session:
        assert await session.scalar(select(AgeRecipient.id).where(AgeRecipient.recipient == fake)) is None


async def test_a_deeply_nested_statement_header_is_still_logged(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The operation log must not lose a request whose statement header it cannot read (Art 49)."""
    operator = await auth(client, "operator")
    deep = base64.b64encode(b"[" * 5000 + b"]" * 5000).decode()
    swept = await client.post("/api/bids/maintenance/sweep", headers={**operator, "sunbid-statement": deep})
    assert swept.status_code == 200, swept.text
    path = OperationLogEntry.path == "/api/bids/maintenance/sweep"
    for _ in range(50):  # the row is written just after the response
        async with sessions() as session:
            if await session.scalar(select(func.count()).where(path)):
                return
        await asyncio.sleep(0.1)
    pytest.fail("the sweep is missing from the operation log")


@pytest.mark.parametrize(
    ("template", "changes", "fragment"),
    [
        ({"price": -100, "technical": "abc"}, {}, "scoring_template: technical is not a number"),
        ({"criteria": [{"name": "技术"}], "price": 60}, {}, "scoring_template: expected"),
        ({"price": {"points": 60, "formula": "guess"}, "technical": 40}, {}, "scoring_template: expected"),
        (
            {"price": 5, "technical": 95},
            {
                "category": "goods",
                "legal_basis": "procurement_law",
                "evaluation_method": "综合评分法",
                "committee_size": 5,
                "lots": [{"title": "一包", "estimated_value": "1000000", "bid_bond_amount": "20000"}],
            },
            "rule 46",
        ),
    ],
)
async def test_a_scoring_template_the_evaluation_could_not_use_is_refused_at_drafting(
    client: httpx.AsyncClient, seeded: None, template: dict[str, Any], changes: dict[str, Any], fragment: str
) -> None:
    body = tender_body(
        await org_ids(client), datetime(2026, 12, 31, 10, tzinfo=UTC), scoring_template=template, **changes
    )
    assert_problem(await client.post("/api/tenders", json=body, headers=await auth(client, "agency")), 422, fragment)
