"""Rule 40 (a member who leaves is replaced the same way it was drawn; its scores are void) and rule 49 (an abnormally
low bid explains itself in a signed reply by a deadline on the database clock, or it is invalid)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import chronograph
from core.db import get_clock_offset
from core.journal import JournalEvent
from evaluation.draws.models import Draw
from evaluation.scoring.models import ScoreSheet
from signing.statements import sign_statement
from tests.integration.evaluation.helpers import Expert, score_statement, simulate_opening
from tests.integration.evaluation.panel import (
    certify_all,
    form_committee,
    import_pool,
    review_and_score,
    run_draw,
    seat,
)
from tests.integration.trading.tender_helpers import clock_at
from tests.support.api import assert_problem, auth
from tests.support.bids import certified_bidder

THREE = {"bidder1": "11800000.00", "bidder2": "11500000.00", "bidder3": "12100000.00"}


async def _events(sessions: async_sessionmaker[AsyncSession], kind: str) -> list[dict[str, Any]]:
    async with sessions() as session:
        query = select(JournalEvent).where(JournalEvent.event_type == kind).order_by(JournalEvent.seq)
        return [e.payload for e in (await session.scalars(query)).all()]


async def _rounds(sessions: async_sessionmaker[AsyncSession], tender_id: str) -> list[Draw]:
    async with sessions() as session:
        query = select(Draw).where(Draw.tender_id == uuid.UUID(tender_id)).order_by(Draw.round)
        return list((await session.scalars(query)).all())


async def _invitation(client: httpx.AsyncClient, expert: Expert, tender_id: str) -> dict[str, Any] | None:
    seats = (await client.get("/api/seats", headers=expert.headers)).json()
    return next((s for s in seats if s["tender_id"] == tender_id and s["status"] == "invited"), None)


@pytest.mark.usefixtures("seeded")
async def test_rule_40_leaving_members_are_replaced_from_the_reserve_then_by_a_new_round(
    app: Litestar, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    tender = next(t for t in (await client.get("/api/tenders")).json() if t["status"] == "published")
    tid = tender["id"]
    pool = await import_pool(client, sessions, 9)
    await clock_at(sessions, shift_clock, datetime.fromisoformat(tender["bid_deadline"]) + timedelta(hours=1))
    bidders = await simulate_opening(sessions, tid, THREE)
    await run_draw(client, app, sessions, tid, 5, reserves=2)
    experts = await certify_all(client, list(pool))
    by_id = {pool_id: username for username, pool_id in pool.items()}
    first = (await _rounds(sessions, tid))[0]
    assert first.outcome is not None
    reserves = [by_id[p["expert"]] for p in first.outcome["reserves"]]
    drawn = [by_id[p["expert"]] for p in first.outcome["members"]]
    never_drawn = set(pool) - set(drawn) - set(reserves)
    assert len(reserves) == 2
    assert len(never_drawn) == 2

    decliner = drawn[0]
    invitation = await _invitation(client, experts[decliner], tid)
    assert invitation is not None
    silent = await client.post(f"/api/seats/{invitation['id']}/decline", headers=experts[decliner].headers, json={})
    assert_problem(silent, 422, "reason")
    declined = await client.post(
        f"/api/seats/{invitation['id']}/decline", headers=experts[decliner].headers, json={"reason": "出差在外"}
    )
    assert declined.json()["status"] == "declined", declined.text
    taken_by = await _invitation(client, experts[reserves[0]], tid)
    assert taken_by is not None
    assert taken_by["seat"] == invitation["seat"]
    assert [e["from"] for e in await _events(sessions, "evaluation.seat_replaced")] == ["reserve"]
    stolen = await client.post(f"/api/seats/{taken_by['id']}/accept", headers=experts[drawn[1]].headers)
    assert_problem(stolen, 404)

    recusing = drawn[1]
    held = await seat(client, tid, experts[recusing])
    assert held is not None
    scored = await client.post(
        f"/api/evaluations/{tid}/scores",
        headers=experts[recusing].headers,
        json={
            "statement": score_statement(experts[recusing], tid, bidders["bidder1"], {"technical": 20, "commercial": 5})
        },
    )
    assert scored.status_code == 201, scored.text
    recused = await client.post(
        f"/api/evaluations/{tid}/enter",
        headers=experts[recusing].headers,
        json={"no_conflict": False, "declaration": "本人近三年曾为投标人提供咨询"},
    )
    assert recused.json()["status"] == "recused", recused.text
    assert [e["voided_scores"] for e in await _events(sessions, "evaluation.seat_recused")] == [1]
    async with sessions() as session:
        sheets = (await session.scalars(select(ScoreSheet).where(ScoreSheet.tender_id == uuid.UUID(tid)))).all()
    assert [s.status for s in sheets] == ["void"]
    second = await _invitation(client, experts[reserves[1]], tid)
    assert second is not None
    assert second["seat"] == held["seat"]
    gone = await client.get(f"/api/evaluations/{tid}/bids", headers=experts[recusing].headers)
    assert_problem(gone, 404)

    third = await _invitation(client, experts[drawn[2]], tid)
    assert third is not None
    await client.post(f"/api/seats/{third['id']}/decline", headers=experts[drawn[2]].headers, json={"reason": "病假"})
    rounds = await _rounds(sessions, tid)
    assert [(r.round, r.kind, r.status, r.requested) for r in rounds] == [
        (1, "initial", "drawn", {"A01": 5}),
        (2, "replacement", "committed", {"A01": 1}),
    ]
    assert {by_id[e["id"]] for e in rounds[1].eligible} == never_drawn
    await run_checkpoint_and_tick(app, sessions)
    refill = [u for u in never_drawn if await _invitation(client, experts[u], tid)]
    assert len(refill) == 1
    assert (await _invitation(client, experts[refill[0]], tid) or {})["seat"] == third["seat"]

    for username in [*drawn[3:], reserves[0], reserves[1], refill[0]]:
        assert await seat(client, tid, experts[username]) is not None
    agency = await auth(client, "agency")
    assert [r["kind"] for r in (await client.get(f"/api/tenders/{tid}/draws", headers=agency)).json()] == [
        "initial",
        "replacement",
    ]
    seated = [
        u for u in pool if (await client.get(f"/api/evaluations/{tid}/bids", headers=experts[u].headers)).is_success
    ]
    assert sorted(seated) == sorted([*drawn[3:], *reserves, refill[0]])


async def run_checkpoint_and_tick(app: Litestar, sessions: async_sessionmaker[AsyncSession]) -> None:
    """A signed checkpoint covers the replacement round's commitment; the chronograph seats its pick."""
    from supervision.ledger.worker import checkpoint_now

    await checkpoint_now(sessions, app.state.ledger_worker.key)
    ticked = await chronograph.tick(sessions)
    assert ticked["evaluation.draws"] == 1, ticked


LOW = {"bidder1": "12000000.00", "bidder2": "12100000.00", "bidder3": "7900000.00", "bidder4": "8000000.00"}


def _reply(bidder: Any, clarification: str, text: str) -> dict[str, str]:
    payload = {"type": "sunbid.evaluation.clarification_reply", "clarification": clarification, "text": text}
    return {"statement": sign_statement(payload, bidder.key, bidder.certificate).to_json()}


@pytest.mark.usefixtures("seeded")
async def test_rule_49_low_bids_explain_in_a_signed_reply_before_the_deadline_or_are_invalid(
    app: Litestar, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    committee = await form_committee(client, app, sessions, shift_clock, LOW)
    tid, bidders = committee.tender_id, committee.bidders
    member = next(iter(committee.members.values()))
    url = f"/api/evaluations/{tid}/clarifications"
    fair = await client.post(
        url, headers=member.headers, json={"lot": 1, "bidder": bidders["bidder1"], "question": "请说明报价构成"}
    )
    assert_problem(fair, 422, "rule 49", "not abnormally low")
    asked = {}
    for name, hours in (("bidder3", 24), ("bidder4", 2)):
        body = {"lot": 1, "bidder": bidders[name], "question": "报价明显低于其他投标报价，请书面说明", "hours": hours}
        response = await client.post(url, headers=member.headers, json=body)
        assert response.status_code == 201, response.text
        asked[name] = response.json()
    outsider = await auth(client, "expert1")
    assert_problem(await client.post(url, headers=outsider, json=body), 404)

    b3, b4, b1 = [await certified_bidder(client, n) for n in ("bidder3", "bidder4", "bidder1")]
    mine = (await client.get("/api/clarifications", headers=b3.headers)).json()
    assert [c["id"] for c in mine] == [asked["bidder3"]["id"]]
    reply_url = f"/api/clarifications/{asked['bidder3']['id']}/reply"
    other = await client.post(reply_url, headers=b1.headers, json=_reply(b1, asked["bidder3"]["id"], "代为答复"))
    assert_problem(other, 404)
    unsigned = await client.post(reply_url, headers=b3.headers, json=_reply(b1, asked["bidder3"]["id"], "冒签"))
    assert_problem(unsigned, 422, "not certified for you")
    blocked = await client.post(f"/api/evaluations/{tid}/report", headers=member.headers)
    assert_problem(blocked, 409, "rule 49")
    answered = await client.post(reply_url, headers=b3.headers, json=_reply(b3, asked["bidder3"]["id"], "自有设备"))
    assert answered.json()["status"] == "answered", answered.text

    async with sessions() as session:
        offset = await get_clock_offset(session)
    await shift_clock(offset + timedelta(hours=3))
    b4_headers = await auth(client, "bidder4")
    late = await client.post(
        f"/api/clarifications/{asked['bidder4']['id']}/reply",
        headers=b4_headers,
        json=_reply(b4, asked["bidder4"]["id"], "迟到的说明"),
    )
    assert_problem(late, 422, "rule 49", "deadline has passed")
    ticked = await chronograph.tick(sessions)
    assert ticked["evaluation.clarifications"] == 1, ticked
    states = {c["id"]: c["status"] for c in (await client.get("/api/clarifications", headers=b4_headers)).json()}
    assert states == {asked["bidder4"]["id"]: "lapsed"}

    members = committee.members
    for expert in members.values():
        expert.headers = await auth(client, expert.username)
    await review_and_score(client, tid, members, bidders)
    report = await client.post(f"/api/evaluations/{tid}/report", headers=member.headers)
    assert report.status_code == 201, report.text
    lot = report.json()["results"]["lots"][0]
    assert [(i["bidder"], i["grounds"]) for i in lot["invalid"]] == [
        (bidders["bidder4"], ["rule 49: no explanation of an abnormally low price"])
    ]
    assert {r["bidder"] for r in lot["ranking"]} == {bidders[n] for n in ("bidder1", "bidder2", "bidder3")}
    assert [e["bidder"] for e in await _events(sessions, "evaluation.clarification_lapsed")] == [bidders["bidder4"]]
    assert len(await _events(sessions, "evaluation.clarification_answered")) == 1
