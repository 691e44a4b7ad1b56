"""A statutory clock turns yellow at 80 % and red when overdue, on the database clock; cards filter and export."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.integration.supervision.cases.case_helpers import SHANGHAI, act, at, file, tender_on_monday, tick
from tests.support.api import auth


async def _cards(client: httpx.AsyncClient, who: str, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/supervision/cards", params=params, headers=await auth(client, who))
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()
    return cards


async def test_an_unanswered_objection_turns_yellow_then_red(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    tender = await tender_on_monday(client, sessions, shift_clock)
    objection = (await file(client, "bidder1", kind="objection", tender_id=tender, matter="documents")).json()
    clock = (await client.get("/api/supervision/clocks", headers=await auth(client, "agency"))).json()[0]
    assert (clock["rule"], clock["state"], clock["unit"], clock["days"]) == (7, "running", "calendar_days", 3)
    assert clock["yellow_at"].startswith("2025-03-05T22:48:00")  # 80 % of Monday 10:00 -> Thursday 24:00

    await at(sessions, shift_clock, datetime(2025, 3, 5, 20, 0, tzinfo=SHANGHAI))
    assert (await tick(sessions))["supervision.clocks"] == 0
    await at(sessions, shift_clock, datetime(2025, 3, 6, 9, 0, tzinfo=SHANGHAI))
    assert (await tick(sessions))["supervision.clocks"] == 1
    assert (await tick(sessions))["supervision.clocks"] == 0  # idempotent
    yellow = await _cards(client, "regulator", tender=tender)
    assert [(c["colour"], c["rule"]) for c in yellow] == [("yellow", 7)]
    assert await _cards(client, "agency") == yellow  # the responsible organization sees its card
    assert await _cards(client, "bidder1") == []

    await at(sessions, shift_clock, datetime(2025, 3, 7, 0, 30, tzinfo=SHANGHAI))
    assert (await tick(sessions))["supervision.clocks"] == 1
    cards = await _cards(client, "regulator", tender=tender)
    assert [c["colour"] for c in cards] == ["red", "yellow"]
    assert [c["colour"] for c in await _cards(client, "regulator", colour="red", rule=7)] == ["red"]
    assert await _cards(client, "regulator", rule=64) == []
    assert len(await _cards(client, "regulator", since="2025-03-07", until="2025-03-07")) == 1
    assert len(await _cards(client, "regulator", organization=cards[0]["responsible_org_id"])) == 2

    headers = await auth(client, "regulator")
    exported = await client.get("/api/supervision/cards/export", params={"tender": tender}, headers=headers)
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["colour"], r["rule"]) for r in rows] == [("red", "7"), ("yellow", "7")]
    as_json = await client.get("/api/supervision/cards/export", params={"format": "json"}, headers=headers)
    assert [c["id"] for c in as_json.json()] == [r["id"] for r in rows]

    answered = await act(client, "agency", objection["id"], "answer", answer="逾期答复")
    assert answered.status_code == 200
    states = {c["state"] for c in (await client.get("/api/supervision/clocks", headers=headers)).json()}
    assert states == {"met"}
    trail = (await client.get(f"/api/supervision/tenders/{tender}/trail", headers=headers)).json()
    assert {"clock.yellow", "clock.red"} <= {e["event_type"] for e in trail["events"]}
