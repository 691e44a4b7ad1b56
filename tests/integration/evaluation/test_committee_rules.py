"""Rules 38 and 52 on a seated committee: who may sit and chair; the vote on rejecting all when too few are valid."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.journal import JournalEvent
from evaluation.draws.models import Draw
from signing.statements import sign_statement
from tests.integration.evaluation.helpers import Expert, certified
from tests.integration.evaluation.panel import (
    form_committee,
    org_code,
    review_and_score,
    seat,
    sign_report,
    user_id,
)
from tests.support.api import assert_problem, auth
from trading.tenders.models import Tender

THREE = {"bidder1": "11800000.00", "bidder2": "11500000.00", "bidder3": "12100000.00"}


async def _events(sessions: async_sessionmaker[AsyncSession], kind: str) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(JournalEvent).where(JournalEvent.event_type == kind).order_by(JournalEvent.seq)
        )
        return [e.payload for e in rows.all()]


@pytest.mark.usefixtures("seeded")
async def test_rule_38_agency_staff_representatives_and_the_chair(
    app: Litestar, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    agency_code = await org_code(client, "阳光招标代理有限公司")
    agency_user, tenderee_user = await user_id(client, "agency"), await user_id(client, "tenderee")
    tender = next(t for t in (await client.get("/api/tenders")).json() if t["status"] == "published")

    committee = await form_committee(
        client,
        app,
        sessions,
        shift_clock,
        THREE,
        overrides={1: {"employer_credit_code": agency_code}},
        representatives=[tenderee_user],
        procurement=True,
    )
    tid = committee.tender_id
    assert tid == tender["id"]
    assert "exp01" not in committee.members
    async with sessions() as session:
        draw = await session.scalar(select(Draw).where(Draw.tender_id == tender["id"]))
        assert draw is not None
        excluded = {e["id"]: e["reasons"] for e in draw.excluded}
    assert excluded[committee.pool["exp01"]] == ["rule 38: staff of the tender's agency"]
    assert committee.pool["exp01"] not in {e["id"] for e in draw.eligible}

    agency = await auth(client, "agency")
    second = await client.post(
        f"/api/tenders/{tid}/draws", headers=agency, json={"specialties": {"A01": 4}, "representatives": [agency_user]}
    )
    assert_problem(second, 422, "rule 38", "tenderee itself")

    rep = await certified(client, "tenderee")
    entered = await client.post(f"/api/evaluations/{tid}/enter", headers=rep.headers, json={"no_conflict": True})
    assert entered.json()["status"] == "seated", entered.text
    members: dict[str, Expert] = {**committee.members, "tenderee": rep}
    seats = {}
    for name, member in members.items():
        mine = (await client.get("/api/seats", headers=member.headers)).json() if name != "tenderee" else []
        seats[name] = mine[0]["seat"] if mine else 5
    assert sorted(seats.values()) == [1, 2, 3, 4, 5]
    await review_and_score(client, tid, members, committee.bidders)

    payload = {"type": "sunbid.evaluation.reject_all_vote", "tender": tid, "lot": 1, "reject_all": True}
    no_vote = await client.post(
        f"/api/evaluations/{tid}/rejection-votes",
        headers=rep.headers,
        json={"statement": sign_statement(payload, rep.key, rep.certificate).to_json()},
    )
    assert_problem(no_vote, 422, "rule 52", "采购")
    early = await client.post(f"/api/evaluations/{tid}/report", headers=rep.headers)
    assert_problem(early, 422, "rule 38", "chair")
    for_rep = await client.post(f"/api/evaluations/{tid}/chair-votes", headers=rep.headers, json={"seat": 5})
    assert_problem(for_rep, 422, "rule 38", "representative")
    nobody = await client.post(f"/api/evaluations/{tid}/chair-votes", headers=rep.headers, json={"seat": 9})
    assert_problem(nobody, 422, "seat 9")
    experts = [n for n in members if n != "tenderee"]
    chosen = seats[experts[0]]
    elected = [
        (await client.post(f"/api/evaluations/{tid}/chair-votes", headers=members[n].headers, json={"seat": chosen}))
        for n in experts[:3]
    ]
    assert [r.json()["elected"] for r in elected] == [False, False, True], [r.text for r in elected]
    again = await client.post(f"/api/evaluations/{tid}/chair-votes", headers=rep.headers, json={"seat": chosen})
    assert_problem(again, 409, "elected")
    state = await client.get(f"/api/evaluations/{tid}", headers=agency)
    assert state.json()["chair_seat"] == chosen, state.text

    chair = members.pop(experts[0])
    left = await client.post(
        f"/api/evaluations/{tid}/enter", headers=chair.headers, json={"no_conflict": False, "declaration": "回避"}
    )
    assert left.json()["status"] == "recused", left.text
    assert (await client.get(f"/api/evaluations/{tid}", headers=agency)).json()["chair_seat"] is None
    assert [e["seat"] for e in await _events(sessions, "evaluation.chair_vacated")] == [chosen]
    reserve = {u: e for u, e in committee.everyone.items() if u not in committee.members and await seat(client, tid, e)}
    assert len(reserve) == 1
    await review_and_score(client, tid, reserve, committee.bidders)
    members.update(reserve)
    still_early = await client.post(f"/api/evaluations/{tid}/report", headers=rep.headers)
    assert_problem(still_early, 422, "rule 38", "chair")
    second = seats[experts[1]]
    for n, name in enumerate([experts[1], experts[2], *reserve]):
        vote = await client.post(
            f"/api/evaluations/{tid}/chair-votes", headers=members[name].headers, json={"seat": second}
        )
        assert vote.json()["elected"] is (n == 2), vote.text
    report = await client.post(f"/api/evaluations/{tid}/report", headers=rep.headers)
    assert report.status_code == 201, report.text
    assert report.json()["results"]["chair_seat"] == second
    assert [e["seat"] for e in await _events(sessions, "evaluation.chair_elected")] == [chosen, second]


def _vote(member: Expert, tender_id: str, reject: bool, lot: int = 1) -> dict[str, str]:
    payload = {"type": "sunbid.evaluation.reject_all_vote", "tender": tender_id, "lot": lot, "reject_all": reject}
    return {"statement": sign_statement(payload, member.key, member.certificate).to_json()}


@pytest.mark.parametrize("reject", [True, False], ids=["majority-rejects-all", "majority-continues"])
@pytest.mark.usefixtures("seeded")
async def test_rule_52_the_committee_votes_on_rejecting_all(
    app: Litestar,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    shift_clock: Any,
    reject: bool,
) -> None:
    committee = await form_committee(client, app, sessions, shift_clock, THREE)
    tid, members = committee.tender_id, list(committee.members.values())
    votes_url = f"/api/evaluations/{tid}/rejection-votes"
    early = await client.post(votes_url, headers=members[0].headers, json=_vote(members[0], tid, True))
    assert_problem(early, 409, "review")
    await review_and_score(client, tid, committee.members, committee.bidders, failed=frozenset({"bidder3"}))

    unvoted = await client.post(f"/api/evaluations/{tid}/report", headers=members[0].headers)
    assert_problem(unvoted, 422, "rule 52", "2 valid bids")
    forged = _vote(members[1], tid, True)
    refused = await client.post(votes_url, headers=members[0].headers, json=forged)
    assert_problem(refused, 422, "not certified for you")
    minority, majority = (not reject), reject
    ballots = [majority, minority, majority, majority, minority]
    for n, (member, choice) in enumerate(zip(members, ballots, strict=True)):
        cast = await client.post(votes_url, headers=member.headers, json=_vote(member, tid, choice))
        if n < 3:
            assert cast.status_code == 201, cast.text
            assert cast.json()["decisions"] == {}
        elif n == 3:
            assert cast.status_code == 201, cast.text
            assert cast.json()["decisions"]["1"]["reject_all"] is reject
        else:
            assert_problem(cast, 409, "decided")
    twice = await client.post(votes_url, headers=members[0].headers, json=_vote(members[0], tid, reject))
    assert_problem(twice, 409)

    tenderee = await auth(client, "tenderee")
    decision = (await client.get(f"/api/evaluations/{tid}", headers=tenderee)).json()["decisions"]["1"]
    assert (decision["reject_all"], decision["members"], decision["valid_bids"]) == (reject, 5, 2)
    assert (decision["for"], decision["against"]) == ((3, 1) if reject else (1, 3))
    votes = await _events(sessions, "evaluation.rejection_vote")
    assert [v["reject_all"] for v in votes] == ballots[:4]
    assert all(len(v["statement_sha256"]) == 64 for v in votes)
    decided = await _events(sessions, "evaluation.rejection_decided")
    assert [(d["lot"], d["rule"], d["reject_all"]) for d in decided] == [(1, 52, reject)]

    report = await client.post(f"/api/evaluations/{tid}/report", headers=members[0].headers)
    assert report.status_code == 201, report.text
    lot = report.json()["results"]["lots"][0]
    assert lot["decision"]["reject_all"] is reject
    assert [i["bidder"] for i in lot["invalid"]] == [committee.bidders["bidder3"]]
    if reject:
        assert lot["rejected_all"] is True
        assert lot["candidates"] == []
        assert "rule 52" in lot["failed"]
    else:
        assert {c["bidder"] for c in lot["candidates"]} == {committee.bidders["bidder1"], committee.bidders["bidder2"]}
    for member in members:
        assert (await sign_report(client, tid, member)).status_code == 201
    tender = (await client.get(f"/api/tenders/{tid}")).json()
    awards = (await client.get(f"/api/awards/{tid}")).json()
    if reject:
        assert tender["status"] == "failed"
        assert awards == []
        assert [e["lots"] for e in await _events(sessions, "evaluation.failed")] == [{"1": lot["failed"]}]
    else:
        assert tender["status"] == "candidates_publicized"
        assert len(awards[0]["candidates"]) == 2
    state = (await client.get(f"/api/evaluations/{tid}", headers=tenderee)).json()
    assert state["status"] == "signed"


@pytest.mark.usefixtures("seeded")
async def test_rule_50_a_bid_above_the_ceiling_cannot_pass(
    app: Litestar, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    committee = await form_committee(client, app, sessions, shift_clock, THREE)
    tid, member = committee.tender_id, next(iter(committee.members.values()))
    async with sessions() as session, session.begin():
        tender = await session.get(Tender, uuid.UUID(tid))
        assert tender is not None
        tender.ceiling_price = Decimal("12000000.00")
    url = f"/api/evaluations/{tid}/reviews"
    above = {"lot": 1, "bidder": committee.bidders["bidder3"]}
    passed = await client.post(url, headers=member.headers, json={**above, "passed": True})
    assert_problem(passed, 422, "rule 50", "12100000.00", "above the ceiling price 12000000.00", "above_ceiling")
    rejected = await client.post(
        url, headers=member.headers, json={**above, "passed": False, "grounds": ["above_ceiling"]}
    )
    assert rejected.status_code == 201, rejected.text
    below = await client.post(
        url, headers=member.headers, json={"lot": 1, "bidder": committee.bidders["bidder1"], "passed": True}
    )
    assert below.status_code == 201, below.text
