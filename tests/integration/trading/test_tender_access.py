"""Who may do what with tenders (role x endpoint), Q&A anonymity and the rule-12 downloader list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.integration.trading.tender_helpers import create_draft, now, org_ids, published_tender, tender_body
from tests.support.api import assert_problem, auth

ROLES = ["anonymous", "agency", "tenderee", "bidder1", "regulator", "operator"]


async def org_of(client: httpx.AsyncClient, username: str) -> str:
    me: str = (await client.get("/api/auth/me", headers=await auth(client, username))).json()["organization_id"]
    return me


async def headers_for(client: httpx.AsyncClient, who: str) -> dict[str, str]:
    return {} if who == "anonymous" else await auth(client, who)


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("agency", 201), ("tenderee", 403), ("bidder1", 403), ("regulator", 403), ("operator", 403)],
)
async def test_create_tender_by_role(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], who: str, status: int
) -> None:
    body = tender_body(await org_ids(client), (await now(sessions)) + timedelta(days=25))
    response = await client.post("/api/tenders", json=body, headers=await headers_for(client, who))
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 404), ("agency", 200), ("tenderee", 200), ("bidder1", 404), ("regulator", 200), ("operator", 200)],
)
async def test_read_draft_by_role(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], who: str, status: int
) -> None:
    tender_id = await create_draft(
        client, tender_body(await org_ids(client), (await now(sessions)) + timedelta(days=25))
    )
    response = await client.get(f"/api/tenders/{tender_id}", headers=await headers_for(client, who))
    assert response.status_code == status, response.text
    listed = await client.get("/api/tenders", headers=await headers_for(client, who))
    assert (tender_id in [t["id"] for t in listed.json()]) is (status == 200)


@pytest.mark.parametrize(
    ("who", "publish_status", "cancel_status"),
    [
        ("anonymous", 401, 401),
        ("tenderee", 403, 403),
        ("bidder1", 403, 403),
        ("regulator", 403, 403),
        ("agency", 200, 200),
    ],
)
async def test_publish_and_cancel_by_role(
    client: httpx.AsyncClient,
    seeded: None,
    *,
    sessions: async_sessionmaker[AsyncSession],
    who: str,
    publish_status: int,
    cancel_status: int,
) -> None:
    tender_id = await create_draft(
        client, tender_body(await org_ids(client), (await now(sessions)) + timedelta(days=25))
    )
    headers = await headers_for(client, who)
    assert (await client.post(f"/api/tenders/{tender_id}/publish", headers=headers)).status_code == publish_status
    cancel = await client.post(f"/api/tenders/{tender_id}/cancel", json={"reason": "测试"}, headers=headers)
    assert cancel.status_code == cancel_status, cancel.text


@pytest.mark.parametrize("who", ROLES)
async def test_published_tender_is_public(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], who: str
) -> None:
    tender_id = await published_tender(client, sessions)
    headers = await headers_for(client, who)
    assert (await client.get(f"/api/tenders/{tender_id}", headers=headers)).status_code == 200
    documents = (await client.get(f"/api/tenders/{tender_id}/documents", headers=headers)).json()
    assert len(documents) == 1
    download = await client.get(f"/api/tenders/{tender_id}/documents/{documents[0]['id']}", headers=headers)
    if who == "anonymous":
        assert_problem(download, 401, "bearer token")
    else:
        assert download.status_code == 200, download.text
        assert download.text == "招标文件正文"
        assert download.headers["x-content-sha256"] == documents[0]["sha256"]


async def test_questions_are_answered_to_all_without_naming_the_asker(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tender_id = await published_tender(client, sessions)
    bidder = await auth(client, "bidder1")
    agency = await auth(client, "agency")
    url = f"/api/tenders/{tender_id}/questions"
    for who, status in (("anonymous", 401), ("agency", 403), ("tenderee", 403)):
        response = await client.post(url, json={"question": "?"}, headers=await headers_for(client, who))
        assert response.status_code == status, (who, response.text)
    asked = await client.post(url, json={"question": "工期能否延长？"}, headers=bidder)
    assert asked.status_code == 201, asked.text
    question_id = asked.json()["id"]
    assert (await client.get(url)).json() == []
    assert (await client.get(url, headers=await auth(client, "bidder2"))).json() == []
    (own,) = (await client.get(url, headers=bidder)).json()  # the asker follows its own question
    assert (own["id"], own["question"], own["answer"]) == (question_id, "工期能否延长？", None)
    agency_view = (await client.get(url, headers=agency)).json()
    assert agency_view[0]["question"] == "工期能否延长？"
    assert agency_view[0]["asker_organization_id"] is None  # a potential bidder, until the deadline (rule 12)
    refused = await client.post(f"{url}/{question_id}/answer", json={"answer": "否"}, headers=bidder)
    assert refused.status_code == 403
    answered = await client.post(f"{url}/{question_id}/answer", json={"answer": "工期不变。"}, headers=agency)
    assert answered.status_code == 200, answered.text
    for who in ("anonymous", "bidder2"):
        public: list[dict[str, Any]] = (await client.get(url, headers=await headers_for(client, who))).json()
        assert public[0]["answer"] == "工期不变。"
        assert public[0]["asker_organization_id"] is None


async def test_rule_12_downloaders_secret_until_deadline(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    tender_id = await published_tender(client, sessions)
    document = (await client.get(f"/api/tenders/{tender_id}/documents")).json()[0]
    await client.get(f"/api/tenders/{tender_id}/documents/{document['id']}", headers=await auth(client, "bidder1"))
    url = f"/api/tenders/{tender_id}/downloads"
    for who in ("agency", "regulator"):
        body = assert_problem(await client.get(url, headers=await auth(client, who)), 403, "rule 12:")
        assert body["rule"] == 12
    for who, status in (("anonymous", 401), ("bidder1", 403), ("tenderee", 403)):
        assert (await client.get(url, headers=await headers_for(client, who))).status_code == status
    await shift_clock(timedelta(days=21))
    for who in ("agency", "regulator"):
        rows = (await client.get(url, headers=await auth(client, who))).json()
        assert [r["organization_id"] for r in rows] == [await org_of(client, "bidder1")]
    assert (await client.get(url, headers=await auth(client, "bidder1"))).status_code == 403
