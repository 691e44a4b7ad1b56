"""Who objects, asks or downloads before the deadline is a potential bidder (rule 12): no ledger entry, journal trail,
operation-log row, request-log line or metric names or counts them until the deadline."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from supervision.ledger.worker import checkpoint_now
from tests.integration.supervision.cases.case_helpers import act, file, tender_on_monday, tender_status
from tests.integration.trading.tender_helpers import clock_at
from tests.support.api import auth

Sessions = async_sessionmaker[AsyncSession]


async def _me(client: httpx.AsyncClient, who: str) -> set[str]:
    me = (await client.get("/api/auth/me", headers=await auth(client, who))).json()
    return {me["user_id"], me["organization_id"]}


async def _operation_log(client: httpx.AsyncClient, tender: str) -> list[dict[str, Any]]:
    headers = await auth(client, "regulator")
    log: list[dict[str, Any]] = (
        await client.get("/api/supervision/operation-log", params={"tender": tender}, headers=headers)
    ).json()
    return log


async def _past_deadline(client: httpx.AsyncClient, sessions: Sessions, shift_clock: Any, tender: str) -> None:
    deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender}")).json()["bid_deadline"])
    await clock_at(sessions, shift_clock, deadline + timedelta(minutes=1))


async def test_an_objector_is_named_nowhere_before_the_deadline(
    app: Litestar, client: httpx.AsyncClient, seeded: None, sessions: Sessions, shift_clock: Any
) -> None:
    tender = await tender_on_monday(client, sessions, shift_clock)
    objector = await _me(client, "bidder1")
    await checkpoint_now(sessions, app.state.ledger_worker.key)
    start = (await client.get("/api/ledger/entries", params={"start": 0, "end": 1})).json()["size"]

    filed = await file(client, "bidder1", kind="objection", tender_id=tender, matter="documents")
    assert filed.status_code == 201, filed.text
    assert await tender_status(client, tender) == "suspended"
    withdrawn = await act(client, "bidder1", filed.json()["id"], "withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert await tender_status(client, tender) == "published"

    await checkpoint_now(sessions, app.state.ledger_worker.key)
    added = (await client.get("/api/ledger/entries", params={"start": start, "end": start + 1000})).json()
    public = json.dumps(added["entries"])
    assert "tender.suspended" in public
    assert "tender.resumed" in public
    assert not [marker for marker in objector if marker in public]
    trail = await client.get(f"/api/supervision/tenders/{tender}/trail", headers=await auth(client, "regulator"))
    types = [e["event_type"] for e in trail.json()["events"]]
    assert "tender.suspended" in types
    assert "case.withdrawn" not in types
    assert not [marker for marker in objector if marker in trail.text]
    assert not [row for row in await _operation_log(client, tender) if row["organization_id"] in objector]

    await _past_deadline(client, sessions, shift_clock, tender)
    routes = {row["route"] for row in await _operation_log(client, tender) if row["organization_id"] in objector}
    assert routes == {"/api/cases", "/api/cases/{case_id}/withdraw"}


async def test_questions_and_downloads_are_not_logged_or_counted_before_the_deadline(
    client: httpx.AsyncClient, seeded: None, sessions: Sessions, shift_clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    tender = await tender_on_monday(client, sessions, shift_clock)
    asker = await _me(client, "bidder2")
    bidder = await auth(client, "bidder2")
    documents = (await client.get(f"/api/tenders/{tender}/documents", headers=bidder)).json()
    caplog.clear()
    with caplog.at_level("INFO", logger="sunbid.request"):
        question = {"question": "工期能否延长？"}
        asked = await client.post(f"/api/tenders/{tender}/questions", json=question, headers=bidder)
        downloaded = await client.get(f"/api/tenders/{tender}/documents/{documents[0]['id']}", headers=bidder)
        await client.get("/health")
    assert asked.status_code == 201, asked.text
    assert downloaded.status_code == 200, downloaded.text
    logged = [r.__dict__["path"] for r in caplog.records if r.name == "sunbid.request"]
    assert logged == ["/health"]

    metrics = (await client.get("/metrics")).text
    assert "sunbid_requests_total" in metrics
    for secret in (tender, "questions", "/documents/"):
        assert secret not in metrics

    assert not [row for row in await _operation_log(client, tender) if row["organization_id"] in asker]
    questions_url = f"/api/tenders/{tender}/questions"
    (seen,) = (await client.get(questions_url, headers=await auth(client, "agency"))).json()
    assert seen["asker_organization_id"] is None
    await _past_deadline(client, sessions, shift_clock, tender)
    (seen,) = (await client.get(questions_url, headers=await auth(client, "agency"))).json()
    assert seen["asker_organization_id"] in asker
    routes = {row["route"] for row in await _operation_log(client, tender) if row["organization_id"] in asker}
    assert routes == {"/api/tenders/{tender_id}/questions"}
