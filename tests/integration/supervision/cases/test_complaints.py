"""Complaints on statutory clocks: suspension of the tender, decision on time, the objection-first rule."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.integration.supervision.cases.case_helpers import (
    act,
    file,
    later,
    regulator_id,
    tender_on_monday,
    tender_status,
    tick,
)
from tests.integration.trading.tender_helpers import clock_at
from tests.support.api import assert_problem, auth


async def test_a_complaint_suspends_the_tender_and_is_decided_on_time(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    tender = await tender_on_monday(client, sessions, shift_clock)
    filed = await file(
        client, "bidder1", kind="complaint", tender_id=tender, matter="other", regulator_id=await regulator_id(client)
    )
    assert filed.status_code == 201, filed.text
    case = filed.json()
    assert case["status"] == "filed"
    assert case["acceptance_due_at"].startswith("2025-03-07T00:00:00")  # 3 工作日 from Monday: Thursday 24:00

    accepted = await act(client, "regulator", case["id"], "accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["decision_due_at"].startswith("2025-04-16T00:00:00")  # 30 工作日 end 15 April (清明 4 April)

    suspended = await act(client, "regulator", case["id"], "suspend", reason="可能影响中标结果，暂停招标投标活动")
    assert suspended.status_code == 200, suspended.text
    assert await tender_status(client, tender) == "suspended"
    amend = await client.post(
        f"/api/tenders/{tender}/amendments",
        json={"summary": "澄清", "description": "澄清内容"},
        headers=await auth(client, "agency"),
    )
    body = assert_problem(amend, 423, "rule 64", "suspended")
    assert body["type"].endswith("tender-suspended")

    await later(sessions, shift_clock, timedelta(days=10))
    assert (await tick(sessions))["supervision.clocks"] == 0
    decided = await act(
        client, "regulator", case["id"], "decide", outcome="dismissed", decision="投诉缺乏事实依据，驳回"
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "decided"
    assert decided.json()["published_at"] is not None
    assert await tender_status(client, tender) == "published"

    public = (await client.get("/api/cases/decisions", params={"tender": tender})).json()
    assert [d["id"] for d in public] == [case["id"]]
    assert public[0]["outcome"] == "dismissed"
    assert public[0]["complainant_org_id"] is None  # bidding is still open: who complains is a potential bidder
    deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender}")).json()["bid_deadline"])
    await clock_at(sessions, shift_clock, deadline + timedelta(minutes=1))
    named = (await client.get("/api/cases/decisions", params={"tender": tender})).json()
    assert named[0]["complainant_org_id"] == case["complainant_org_id"]
    clocks = (
        await client.get("/api/supervision/clocks", params={"tender": tender}, headers=await auth(client, "regulator"))
    ).json()
    assert {c["purpose"]: c["state"] for c in clocks} == {"acceptance": "met", "decision": "met"}
    cards = (await client.get("/api/supervision/cards", headers=await auth(client, "regulator"))).json()
    assert cards == []
    trail = await client.get(f"/api/supervision/tenders/{tender}/trail", headers=await auth(client, "regulator"))
    types = [e["event_type"] for e in trail.json()["events"]]
    for expected in ("tender.suspended", "case.accepted", "case.decided", "tender.resumed"):
        assert expected in types, types


async def test_an_objection_must_come_before_a_complaint_on_the_documents(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    tender = await tender_on_monday(client, sessions, shift_clock)
    regulator = await regulator_id(client)
    early = await file(
        client, "bidder1", kind="complaint", tender_id=tender, matter="documents", regulator_id=regulator
    )
    assert_problem(early, 409, "rule 63", "objection")

    objection = await file(client, "bidder1", kind="objection", tender_id=tender, matter="documents")
    assert objection.status_code == 201, objection.text
    assert objection.json()["answer_due_at"].startswith("2025-03-07T00:00:00")  # 3 日: Thursday 24:00
    assert await tender_status(client, tender) == "suspended"  # rule 7: activity stops until answered

    pending = await file(
        client, "bidder1", kind="complaint", tender_id=tender, matter="documents", regulator_id=regulator
    )
    assert_problem(pending, 409, "rule 63", "answer period")
    other = await file(
        client, "bidder2", kind="complaint", tender_id=tender, matter="documents", regulator_id=regulator
    )
    assert_problem(other, 409, "rule 63")  # bidder1's objection does not count for bidder2

    forbidden = await act(client, "bidder2", objection.json()["id"], "answer", answer="x")
    assert forbidden.status_code == 403
    answered = await act(client, "agency", objection.json()["id"], "answer", answer="资格条件符合法律规定，不予修改")
    assert answered.status_code == 200, answered.text
    assert await tender_status(client, tender) == "published"

    complaint = await file(
        client, "bidder1", kind="complaint", tender_id=tender, matter="documents", regulator_id=regulator
    )
    assert complaint.status_code == 201, complaint.text
    assert complaint.json()["prior_case_id"] == objection.json()["id"]


async def test_objection_windows_and_procedures(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    tender = await tender_on_monday(client, sessions, shift_clock)
    challenge = await file(client, "bidder1", kind="challenge", tender_id=tender, matter="documents")
    assert_problem(challenge, 422, "质疑")
    result = await file(client, "bidder1", kind="objection", tender_id=tender, matter="result")
    assert_problem(result, 409, "rule 56")
    await later(sessions, shift_clock, timedelta(days=12))
    late = await file(client, "bidder1", kind="objection", tender_id=tender, matter="documents")
    assert_problem(late, 409, "rule 7", "10 日")


async def test_procurement_complaint_needs_a_challenge_first(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    tender = await tender_on_monday(
        client,
        sessions,
        shift_clock,
        category="goods",
        legal_basis="procurement_law",
        evaluation_method="综合评分法",
        lots=[{"title": "一包", "estimated_value": "1000000", "bid_bond_amount": "20000"}],
        scoring_template={"price": 0.3, "technical": 0.5, "commercial": 0.2},
    )
    regulator = await regulator_id(client)
    objection = await file(client, "bidder1", kind="objection", tender_id=tender, matter="documents")
    assert_problem(objection, 422, "rule 66")
    complaint = await file(
        client, "bidder1", kind="complaint", tender_id=tender, matter="documents", regulator_id=regulator
    )
    assert_problem(complaint, 409, "rule 67", "challenged")
    challenge = await file(client, "bidder1", kind="challenge", tender_id=tender, matter="documents")
    assert challenge.status_code == 201, challenge.text
    assert challenge.json()["answer_due_at"].startswith("2025-03-13T00:00:00")  # 7 工作日 from Monday
    assert await tender_status(client, tender) == "published"
    await act(client, "agency", challenge.json()["id"], "answer", answer="已答复")
    complaint = await file(
        client, "bidder1", kind="complaint", tender_id=tender, matter="documents", regulator_id=regulator
    )
    assert complaint.status_code == 201, complaint.text
    case = complaint.json()
    assert case["acceptance_due_at"].startswith("2025-03-11T00:00:00")  # 5 工作日
    assert case["decision_due_at"] is not None  # 94号令 Art 26: from receipt
    suspended = await act(client, "regulator", case["id"], "suspend", reason="暂停采购活动")
    assert suspended.status_code == 200
    clocks = (
        await client.get(
            "/api/supervision/clocks",
            params={"tender": tender, "state": "running"},
            headers=await auth(client, "regulator"),
        )
    ).json()
    assert {c["purpose"] for c in clocks} == {"acceptance", "decision", "suspension"}
    assert next(c for c in clocks if c["purpose"] == "suspension")["rule"] == 67
