"""Acceptance: a 5-expert remote evaluation of an opened tender, from the draw to the award clocks."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import chronograph
from core.journal import JournalEvent
from signing.pades import sign_pdf_async
from sunbid.cli import cli
from supervision.ledger.worker import checkpoint_now
from tests.integration.evaluation.helpers import (
    certified,
    other_agency,
    score_statement,
    simulate_opening,
)
from tests.integration.evaluation.panel import import_pool, pdfsig_valid
from tests.integration.trading.tender_helpers import clock_at
from tests.support.api import assert_problem, auth
from trading.notices.ocds import validate_package
from trading.notices.pages import local

PRICES = {"bidder1": "11800000.00", "bidder2": "11500000.00", "bidder3": "12100000.00", "bidder4": "11900000.00"}


async def _pool(client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    """Nine qualified experts plus one conflicted, one junior and one suspended; returns pool ids by username."""
    operator = await auth(client, "operator")
    orgs = (await client.get("/api/organizations", headers=operator)).json()
    bidder1 = next(o for o in orgs if o["name"] == "东方建设工程有限公司")["credit_code"]
    special = {
        10: {"employer_credit_code": bidder1},
        11: {"title_level": "intermediate"},
        12: {"past_employers": f"{bidder1}|东方建设|2015-01-01|2024-06-30"},
    }
    return await import_pool(client, sessions, 12, special)


async def _draw(client: httpx.AsyncClient, app: Litestar, sessions: Any, tender_id: str) -> dict[str, Any]:
    agency = await auth(client, "agency")
    requested = await client.post(
        f"/api/tenders/{tender_id}/draws", headers=agency, json={"specialties": {"A01": 5}, "reserves": 2}
    )
    assert requested.status_code == 201, requested.text
    draw = requested.json()
    pending = await client.post(f"/api/draws/{draw['id']}/complete", headers=agency)
    assert_problem(pending, 409, "checkpoint")
    stranger = await auth(client, await other_agency(sessions))
    assert_problem(await client.post(f"/api/draws/{draw['id']}/complete", headers=stranger), 404, "does not exist")
    await checkpoint_now(sessions, app.state.ledger_worker.key)
    ticked = await chronograph.tick(sessions)
    assert ticked["evaluation.draws"] == 1, ticked
    rounds = (await client.get(f"/api/tenders/{tender_id}/draws", headers=agency)).json()
    assert rounds[0]["status"] == "drawn"
    assert rounds[0]["seed"]
    assert "names" not in rounds[0]
    assert "eligible" not in rounds[0]
    assert (await client.get(f"/api/draws/{draw['id']}/record")).status_code == 404
    first: dict[str, Any] = rounds[0]
    return first


@pytest.mark.usefixtures("seeded")
async def test_five_experts_evaluate_sign_and_award_on_the_law_clocks(
    app: Litestar,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    shift_clock: Any,
    tmp_path: Path,
) -> None:
    tender = next(t for t in (await client.get("/api/tenders")).json() if t["status"] == "published")
    tender_id = tender["id"]
    pool = await _pool(client, sessions)
    from datetime import datetime

    await clock_at(sessions, shift_clock, datetime.fromisoformat(tender["bid_deadline"]) + timedelta(hours=1))
    bidders = await simulate_opening(sessions, tender_id, PRICES)
    draw = await _draw(client, app, sessions, tender_id)

    experts = {}
    for username in pool:
        expert = await certified(client, username)
        seats = (await client.get("/api/seats", headers=expert.headers)).json()
        if seats:
            experts[username] = expert
            outsider_view = await client.get(f"/api/evaluations/{tender_id}/bids", headers=expert.headers)
            assert outsider_view.status_code == 404
            assert (await client.post(f"/api/seats/{seats[0]['id']}/accept", headers=expert.headers)).status_code == 200
            entered = await client.post(
                f"/api/evaluations/{tender_id}/enter", headers=expert.headers, json={"no_conflict": True}
            )
            assert entered.json()["status"] == "seated", entered.text
    assert len(experts) == 5
    assert not {"exp10", "exp11", "exp12"} & set(experts)
    not_drawn = next(u for u in pool if u not in experts and u not in {"exp10", "exp11", "exp12"})
    stranger = await auth(client, not_drawn)
    assert (await client.get(f"/api/evaluations/{tender_id}/bids", headers=stranger)).status_code == 404
    bidder_view = await client.get(f"/api/evaluations/{tender_id}/bids", headers=await auth(client, "bidder1"))
    assert bidder_view.status_code == 403

    subjective = {"bidder1": (26, 8), "bidder2": (22, 7), "bidder3": (28, 9), "bidder4": (20, 6)}
    for n, expert in enumerate(experts.values()):
        bids = (await client.get(f"/api/evaluations/{tender_id}/bids", headers=expert.headers)).json()
        assert len(bids) == 4
        for username, bidder in bidders.items():
            review = await client.post(
                f"/api/evaluations/{tender_id}/reviews",
                headers=expert.headers,
                json={"lot": 1, "bidder": bidder, "passed": True},
            )
            assert review.status_code == 201, review.text
            tech, commercial = subjective[username]
            statement = score_statement(
                expert, tender_id, bidder, {"technical": tech + (n % 2), "commercial": commercial}
            )
            scored = await client.post(
                f"/api/evaluations/{tender_id}/scores", headers=expert.headers, json={"statement": statement}
            )
            assert scored.status_code == 201, scored.text
    first = next(iter(experts.values()))
    again = await client.post(
        f"/api/evaluations/{tender_id}/scores",
        headers=first.headers,
        json={"statement": score_statement(first, tender_id, bidders["bidder1"], {"technical": 30, "commercial": 10})},
    )
    assert_problem(again, 409, "locked")
    too_high = await client.post(
        f"/api/evaluations/{tender_id}/scores/revisions",
        headers=first.headers,
        json={
            "statement": score_statement(first, tender_id, bidders["bidder1"], {"technical": 31, "commercial": 8}),
            "reason": "sum_error",
        },
    )
    assert_problem(too_high, 422, "rule 53")

    report = await client.post(f"/api/evaluations/{tender_id}/report", headers=first.headers)
    assert report.status_code == 201, report.text
    lot = report.json()["results"]["lots"][0]
    assert len(lot["candidates"]) == 3
    assert [c["rank"] for c in lot["candidates"]] == [1, 2, 3]
    for expert in experts.values():
        current = await client.get(f"/api/evaluations/{tender_id}/report/pdf", headers=expert.headers)
        signed = await sign_pdf_async(current.content, expert.key, expert.certificate, [])
        response = await client.post(
            f"/api/evaluations/{tender_id}/report/signatures",
            headers=expert.headers,
            json={"pdf_base64": base64.b64encode(signed).decode()},
        )
        assert response.status_code == 201, response.text
    assert response.json()["status"] == "signed"
    pdf = (await client.get(f"/api/evaluations/{tender_id}/report/pdf", headers=await auth(client, "agency"))).content
    pdfsig_valid(pdf, tmp_path, 5)

    record = (await client.get(f"/api/draws/{draw['id']}/record")).json()
    assert {pool[u] for u in experts} == {m["expert"] for m in record["outcome"]["members"]}
    excluded_ids = {pool[u] for u in ("exp10", "exp11", "exp12")}
    assert not excluded_ids & {e["id"] for e in record["eligible"]}
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(record, ensure_ascii=False))
    replayed = CliRunner().invoke(cli, ["draw", "replay", str(path)])
    assert replayed.exit_code == 0, replayed.output
    assert "OK: the published panel matches" in replayed.output
    record["seed"] = "00" * 32
    path.write_text(json.dumps(record))
    assert CliRunner().invoke(cli, ["draw", "replay", str(path)]).exit_code == 1

    await _award_clocks(client, sessions, shift_clock, tender_id, lot["candidates"][0]["bidder"])


async def _award_clocks(
    client: httpx.AsyncClient, sessions: Any, shift_clock: Any, tender_id: str, winner: str
) -> None:
    tenderee = await auth(client, "tenderee")
    awards = (await client.get(f"/api/awards/{tender_id}")).json()
    assert awards[0]["status"] == "publicity"
    assert awards[0]["publicity_ends_at"]
    candidates = awards[0]["candidates"]
    page = await client.get(f"/results/{tender_id}")
    assert page.status_code == 200
    for text in ("中标候选人公示", "公示中", local(datetime.fromisoformat(awards[0]["publicity_ends_at"]))):
        assert text in page.text, text
    for c in candidates:
        assert f"<td>{c['rank']}</td><td>{c['bidder_name']}</td><td>{c['price']}</td><td>{c['final']}</td>" in page.text
    assert "中标人:" not in page.text
    assert (await client.get(f"/results/{uuid.uuid4()}")).status_code == 404
    early = await client.post(f"/api/awards/{tender_id}/decision", headers=tenderee, json={"lot": 1, "rank": 1})
    assert_problem(early, 422, "rule 55")
    await clock_at(sessions, shift_clock, datetime.fromisoformat(awards[0]["publicity_ends_at"]) + timedelta(hours=1))
    tenderee = await auth(client, "tenderee")
    unreasoned = await client.post(f"/api/awards/{tender_id}/decision", headers=tenderee, json={"lot": 1, "rank": 2})
    assert_problem(unreasoned, 422, "rule 57")
    decided = await client.post(f"/api/awards/{tender_id}/decision", headers=tenderee, json={"lot": 1, "rank": 1})
    assert decided.status_code == 200, decided.text
    assert decided.json()["regulator_report_due"]
    decided_page = (await client.get(f"/results/{tender_id}")).text
    assert "已定标" in decided_page
    assert "中标人:" not in decided_page, "the winner is public only once the award notice went to all (rule 60)"
    assert "公示期间提出" not in decided_page
    notice = await client.post(f"/api/awards/{tender_id}/notice", headers=tenderee)
    assert notice.status_code == 200, notice.text
    winner_name = next(c["bidder_name"] for c in candidates if c["bidder"] == winner)
    english = (await client.get(f"/results/{tender_id}?lang=en")).text
    assert f"Successful bidder: {winner_name}" in english
    assert "Award notice sent" in english
    package = (await client.get(f"/api/awards/{tender_id}/ocds")).json()
    assert validate_package(package)["validation_errors"] == []
    async with sessions() as session:
        notified = (
            await session.scalars(select(JournalEvent).where(JournalEvent.event_type == "award.notified"))
        ).all()
    assert [e.payload["bidder"] for e in notified] == [winner]
    clocks = (await client.get(f"/api/awards/{tender_id}")).json()[0]
    last_due = max(
        datetime.fromisoformat(clocks["contract_due"]), datetime.fromisoformat(clocks["regulator_report_due"])
    )
    await clock_at(sessions, shift_clock, last_due + timedelta(hours=1))
    await chronograph.tick(sessions)
    tenderee = await auth(client, "tenderee")
    overdue = (await client.get(f"/api/awards/{tender_id}")).json()[0]["overdue"]
    assert set(overdue) == {"contract", "regulator_report"}
    signed = await client.post(f"/api/awards/{tender_id}/contract", headers=tenderee, json={"lot": 1, "signed": True})
    assert signed.status_code == 200, signed.text
    tender = (await client.get(f"/api/tenders/{tender_id}")).json()
    assert tender["status"] == "contracted"
