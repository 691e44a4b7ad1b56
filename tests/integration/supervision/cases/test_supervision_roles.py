"""Role x endpoint for cases, clocks and the workbench: each admits exactly the roles it names."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sunbid.seed import DEMO_PARTIES
from tests.integration.trading.tender_helpers import create_draft, now, org_ids, tender_body
from tests.support.api import auth

USERS = [p.username for p in DEMO_PARTIES]
ANONYMOUS = "anonymous"
ALL = set(USERS)
REGULATOR = {"regulator"}
MISSING = str(uuid.uuid4())

CASES: list[tuple[str, str, Any, set[str]]] = [
    ("GET", "/api/cases", None, ALL),
    ("GET", "/api/supervision/clocks", None, ALL),
    ("GET", "/api/supervision/cards", None, ALL),
    ("GET", "/api/supervision/cards/export", None, ALL),
    ("GET", "/api/supervision/tenders", None, REGULATOR),
    ("GET", "/api/supervision/alerts", None, REGULATOR),
    ("GET", "/api/supervision/operation-log", None, REGULATOR),
    ("GET", "/api/supervision/signals", None, REGULATOR),
    ("GET", "/api/supervision/deviations", None, REGULATOR),
    ("GET", "/api/supervision/accountability", None, REGULATOR),
]

# Role guards run before the body or the case is looked at, so a missing case still tells 403 from 404.
WRITES: list[tuple[str, Any, set[str]]] = [
    ("/api/cases", {}, {"bidder1", "bidder2", "bidder3", "bidder4"}),
    (f"/api/cases/{MISSING}/answer", {"answer": "x"}, {"agency", "tenderee"}),
    (f"/api/cases/{MISSING}/withdraw", None, {"bidder1", "bidder2", "bidder3", "bidder4"}),
    (f"/api/cases/{MISSING}/accept", None, REGULATOR),
    (f"/api/cases/{MISSING}/reject", {"reason": "x"}, REGULATOR),
    (f"/api/cases/{MISSING}/suspend", {"reason": "x"}, REGULATOR),
    (f"/api/cases/{MISSING}/lift", {"reason": "x"}, REGULATOR),
    (f"/api/cases/{MISSING}/decide", {"outcome": "upheld", "decision": "x"}, REGULATOR),
    ("/api/supervision/accountability", {}, REGULATOR),
]


async def _headers(client: httpx.AsyncClient, who: str) -> dict[str, str]:
    return {} if who == ANONYMOUS else await auth(client, who)


@pytest.mark.parametrize("who", [*USERS, ANONYMOUS])
async def test_read_endpoints_admit_exactly_their_roles(client: httpx.AsyncClient, seeded: None, who: str) -> None:
    headers = await _headers(client, who)
    for method, path, body, allowed in CASES:
        response = await client.request(method, path, json=body, headers=headers)
        expected = 200 if who in allowed else 401 if who == ANONYMOUS else 403
        assert response.status_code == expected, (path, response.text)
    public = await client.get("/api/cases/decisions", headers=headers)
    assert public.status_code == 200


@pytest.mark.parametrize("who", [*USERS, ANONYMOUS])
async def test_write_endpoints_admit_exactly_their_roles(client: httpx.AsyncClient, seeded: None, who: str) -> None:
    headers = await _headers(client, who)
    for path, body, allowed in WRITES:
        response = await client.post(path, json=body, headers=headers)
        if who == ANONYMOUS:
            assert response.status_code == 401, (path, response.text)
        elif who not in allowed:
            assert response.status_code == 403, (path, response.text)
        else:
            assert response.status_code in (404, 422), (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_case_is_hidden_from_parties_outside_it(client: httpx.AsyncClient, seeded: None) -> None:
    tender = (await client.get("/api/tenders")).json()[0]["id"]
    regulator = (await client.get("/api/auth/me", headers=await auth(client, "regulator"))).json()["organization_id"]
    filed = await client.post(
        "/api/cases",
        json={
            "kind": "complaint",
            "tender_id": tender,
            "matter": "other",
            "title": "t",
            "grounds": "g",
            "regulator_id": regulator,
        },
        headers=await auth(client, "bidder1"),
    )
    assert filed.status_code == 201, filed.text
    case = filed.json()["id"]
    for who, status in (
        ("bidder1", 200),
        ("agency", 200),
        ("tenderee", 200),
        ("regulator", 200),
        ("bidder2", 404),
        ("guarantor", 404),
        ("expert1", 404),
    ):
        response = await client.get(f"/api/cases/{case}", headers=await auth(client, who))
        assert response.status_code == status, (who, response.text)
    listed = (await client.get("/api/cases", headers=await auth(client, "bidder2"))).json()
    assert listed == []


async def test_extreme_filters_are_answered_not_crashed(client: httpx.AsyncClient, seeded: None) -> None:
    headers = await auth(client, "regulator")
    for path in (
        "/api/supervision/cards",
        "/api/supervision/cards/export",
        "/api/supervision/alerts",
        "/api/supervision/operation-log",
    ):
        ok = await client.get(path, params={"since": "0001-01-01", "until": "9999-12-31"}, headers=headers)
        assert ok.status_code == 200, (path, ok.text)
        huge = await client.get(path, params={"rule": str(2**40)}, headers=headers)
        assert huge.status_code == 422, (path, huge.text)


async def test_the_workbench_lists_published_tenders_only(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    draft = await create_draft(client, tender_body(await org_ids(client), (await now(sessions)) + timedelta(days=25)))
    cancelled = await client.post(
        f"/api/tenders/{draft}/cancel", json={"reason": "草稿作废"}, headers=await auth(client, "agency")
    )
    assert cancelled.status_code == 200, cancelled.text
    regulator = await auth(client, "regulator")
    listed = {t["id"] for t in (await client.get("/api/supervision/tenders", headers=regulator)).json()}
    assert draft not in listed
    assert listed  # the seeded demo tender is published
    trail = await client.get(f"/api/supervision/tenders/{draft}/trail", headers=regulator)
    assert trail.status_code == 404
    assert (await client.get(f"/api/tenders/{draft}")).status_code == 404  # never public, cancelled or not
    assert draft not in {t["id"] for t in (await client.get("/api/tenders")).json()}
    bidder = await auth(client, "bidder1")
    assert (await client.get(f"/api/tenders/{draft}", headers=bidder)).status_code == 404
    assert (await client.get(f"/api/tenders/{draft}", headers=await auth(client, "agency"))).status_code == 200
