"""Rule 67 papers and reply clocks, excluded time on the decision clock (rules 64, 67), on the database clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.integration.supervision.cases.case_helpers import (
    SHANGHAI,
    act,
    at,
    file,
    regulator_id,
    tender_on_monday,
    tick,
)
from tests.support.api import assert_problem, auth

PROCUREMENT: dict[str, Any] = {
    "category": "goods",
    "legal_basis": "procurement_law",
    "evaluation_method": "综合评分法",
    "lots": [{"title": "一包", "estimated_value": "1000000", "bid_bond_amount": "20000"}],
    "scoring_template": {"price": 0.3, "technical": 0.5, "commercial": 0.2},
}


def _local(instant: str) -> str:
    """An API instant as Asia/Shanghai wall time to the minute (the API answers in UTC or +08:00)."""
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(SHANGHAI).isoformat()[:16]


def _at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


async def _accepted_procurement_complaint(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> tuple[str, dict[str, Any]]:
    """A 采购 tender published Monday 2025-03-03 10:00; bidder1's challenge answered; its complaint accepted."""
    tender = await tender_on_monday(client, sessions, shift_clock, **PROCUREMENT)
    challenge = (await file(client, "bidder1", kind="challenge", tender_id=tender, matter="documents")).json()
    assert (await act(client, "agency", challenge["id"], "answer", answer="已答复")).status_code == 200
    filed = await file(
        client,
        "bidder1",
        kind="complaint",
        tender_id=tender,
        matter="documents",
        regulator_id=await regulator_id(client),
    )
    assert filed.status_code == 201, filed.text
    accepted = await act(client, "regulator", filed.json()["id"], "accept")
    assert accepted.status_code == 200, accepted.text
    return tender, accepted.json()


async def _clock(client: httpx.AsyncClient, tender: str, purpose: str) -> dict[str, Any]:
    clocks = (
        await client.get("/api/supervision/clocks", params={"tender": tender}, headers=await auth(client, "regulator"))
    ).json()
    found: dict[str, Any] = next(c for c in clocks if c["purpose"] == purpose)
    return found


async def _colours(client: httpx.AsyncClient, who: str, clock_id: str) -> list[str]:
    cards = (await client.get("/api/supervision/cards", headers=await auth(client, who))).json()
    return sorted(c["colour"] for c in cards if c["clock_id"] == clock_id)


async def test_papers_then_reply_clocks_turn_yellow_then_red_and_close_on_the_act(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    tender, case = await _accepted_procurement_complaint(client, sessions, shift_clock)
    # 8 工作日 from receipt (Monday 3 March): Thursday 13 March, 24:00
    assert _local(case["papers_due_at"]) == "2025-03-14T00:00"
    papers = await _clock(client, tender, "papers")
    assert (papers["rule"], papers["unit"], papers["days"], papers["state"]) == (67, "working_days", 8, "running")
    assert _local(papers["yellow_at"]) == "2025-03-11T21:12"  # 80 % of Mon 10:00 -> Fri 14 00:00

    await at(sessions, shift_clock, _at(11, 20))
    await tick(sessions)
    assert await _colours(client, "regulator", papers["id"]) == []
    await at(sessions, shift_clock, _at(12, 9))
    await tick(sessions)
    assert await _colours(client, "regulator", papers["id"]) == ["yellow"]
    await at(sessions, shift_clock, _at(14, 0, 30))
    await tick(sessions)
    assert await _colours(client, "regulator", papers["id"]) == ["red", "yellow"]

    early_reply = await act(client, "agency", case["id"], "reply", reply="情况说明")
    assert_problem(early_reply, 409, "not sent")
    assert (await act(client, "agency", case["id"], "papers-sent")).status_code == 403
    sent = await act(client, "regulator", case["id"], "papers-sent")
    assert sent.status_code == 200, sent.text
    assert sent.json()["papers_sent_at"] is not None
    assert _local(sent.json()["reply_due_at"]) == "2025-03-22T00:00"  # 5 工作日 from Friday 14: Friday 21, 24:00
    assert_problem(await act(client, "regulator", case["id"], "papers-sent"), 409, "already sent")
    assert (await _clock(client, tender, "papers"))["state"] == "met"

    reply = await _clock(client, tender, "reply")
    assert (reply["rule"], reply["days"], reply["state"]) == (67, 5, "running")
    agency_clocks = (await client.get("/api/supervision/clocks", headers=await auth(client, "agency"))).json()
    assert reply["id"] in {c["id"] for c in agency_clocks}  # the respondent must meet it
    await at(sessions, shift_clock, _at(20, 9))
    await tick(sessions)
    assert await _colours(client, "agency", reply["id"]) == []
    await at(sessions, shift_clock, _at(20, 12))
    await tick(sessions)
    assert await _colours(client, "agency", reply["id"]) == ["yellow"]
    await at(sessions, shift_clock, _at(22, 1))
    await tick(sessions)
    assert await _colours(client, "agency", reply["id"]) == ["red", "yellow"]

    assert (await act(client, "bidder1", case["id"], "reply", reply="x")).status_code == 403
    replied = await act(client, "agency", case["id"], "reply", reply="采购文件合法，投诉事项不成立")
    assert replied.status_code == 200, replied.text
    assert replied.json()["reply"] == "采购文件合法，投诉事项不成立"
    assert replied.json()["replied_at"] is not None
    assert (await _clock(client, tender, "reply"))["state"] == "met"
    assert_problem(await act(client, "agency", case["id"], "reply", reply="再次"), 409, "already filed")
    trail = await client.get(f"/api/supervision/tenders/{tender}/trail", headers=await auth(client, "regulator"))
    assert {"case.papers_sent", "case.replied"} <= {e["event_type"] for e in trail.json()["events"]}


async def test_excluded_time_pauses_the_decision_clock_and_moves_its_due_time(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    tender, case = await _accepted_procurement_complaint(client, sessions, shift_clock)
    assert _local(case["decision_due_at"]) == "2025-04-16T00:00"  # 30 工作日 from Monday 3 March (清明 4 April)
    decision = await _clock(client, tender, "decision")
    assert _local(decision["yellow_at"]) == "2025-04-07T06:48"

    await at(sessions, shift_clock, _at(1, 10, month=4))
    pause = {"kind": "testing", "reason": "委托第三方检测样品"}
    assert (await act(client, "bidder1", case["id"], "pauses", **pause)).status_code == 403
    assert_problem(await act(client, "regulator", case["id"], "pauses", kind="holiday", reason="x"), 422, "kind")
    started = await act(client, "regulator", case["id"], "pauses", **pause)
    assert started.status_code == 201, started.text
    assert_problem(await act(client, "regulator", case["id"], "pauses", **pause), 409, "paused")
    assert (await _clock(client, tender, "decision"))["state"] == "paused"

    await at(sessions, shift_clock, _at(10, 10, month=4))  # past the old yellow point: a paused clock raises no card
    await tick(sessions)
    assert await _colours(client, "regulator", decision["id"]) == []
    ended = await act(client, "regulator", case["id"], "pauses/end")
    assert ended.status_code == 200, ended.text
    # excluded: 2, 3, 7, 8, 9, 10 April (4 April is 清明) = 6 工作日; 15 April + 6 工作日 = 23 April, 24:00
    assert ended.json()["excluded_days"] == 6
    assert _local(ended.json()["due_after"]) == "2025-04-24T00:00"
    assert_problem(await act(client, "regulator", case["id"], "pauses/end"), 409, "not paused")
    shown = (await client.get(f"/api/cases/{case['id']}", headers=await auth(client, "bidder1"))).json()
    assert _local(shown["decision_due_at"]) == "2025-04-24T00:00"
    moved = await _clock(client, tender, "decision")
    assert (moved["state"], _local(moved["due_at"])) == ("running", "2025-04-24T00:00")
    assert _local(moved["yellow_at"]) == "2025-04-13T16:24"
    await tick(sessions)
    assert await _colours(client, "regulator", decision["id"]) == []

    await at(sessions, shift_clock, _at(16, 1, month=4))  # past the old due time: only yellow now
    await tick(sessions)
    assert await _colours(client, "regulator", decision["id"]) == ["yellow"]
    await at(sessions, shift_clock, _at(24, 0, 30, month=4))
    await tick(sessions)
    assert await _colours(client, "regulator", decision["id"]) == ["red", "yellow"]

    listed = (await client.get(f"/api/cases/{case['id']}/pauses", headers=await auth(client, "regulator"))).json()
    assert [(p["kind"], p["excluded_days"]) for p in listed] == [("testing", 6)]
    assert _local(listed[0]["due_before"]) == "2025-04-16T00:00"


async def test_works_complaints_exclude_only_what_rule_64_names(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    tender = await tender_on_monday(client, sessions, shift_clock)
    filed = await file(
        client, "bidder1", kind="complaint", tender_id=tender, matter="other", regulator_id=await regulator_id(client)
    )
    case = filed.json()
    early = await act(client, "regulator", case["id"], "pauses", kind="expert_review", reason="专家评审")
    assert_problem(early, 409, "no running decision clock")  # 工程: the 30 工作日 start on acceptance
    assert (await act(client, "regulator", case["id"], "accept")).status_code == 200
    supplement = await act(client, "regulator", case["id"], "pauses", kind="supplement", reason="补正材料")
    assert_problem(supplement, 422, "supplement")
    started = await act(client, "regulator", case["id"], "pauses", kind="expert_review", reason="组织专家评审")
    assert started.status_code == 201, started.text
    same_day = await act(client, "regulator", case["id"], "pauses/end")
    assert same_day.json()["excluded_days"] == 0  # the first day is not counted, as in any period
    assert same_day.json()["due_after"] == same_day.json()["due_before"]
    decided = await act(client, "regulator", case["id"], "decide", outcome="dismissed", decision="驳回")
    assert decided.status_code == 200, decided.text
