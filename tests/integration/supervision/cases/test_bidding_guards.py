"""Trading enforces what supervision sets: a debarred party and a suspended tender are refused at real submission;
bid traffic stays out of the workbench (trail, operation log, alerts) until the deadline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.integration.supervision.cases.case_helpers import act, file, later, regulator_id
from tests.integration.trading.tender_helpers import now
from tests.support.api import assert_problem, auth
from tests.support.bids import (
    certified_bidder,
    demo_tender,
    register_custodians,
    seal,
    submit,
    withdrawal_statement,
)


async def _get(client: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await client.get(path, params=params, headers=await auth(client, "regulator"))
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_debarred_party_is_refused_at_submission_and_bid_traffic_stays_sealed(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    await register_custodians(client)
    tender = (await demo_tender(client))["id"]
    bidder1 = await certified_bidder(client, "bidder1")
    bidder2 = await certified_bidder(client, "bidder2")
    until = (await now(sessions)) + timedelta(days=365)
    issued = await client.post(
        "/api/supervision/accountability",
        json={
            "kind": "debarment",
            "target_org_id": bidder1.organization_id,
            "rule": 51,
            "reason": "串通投标，取消一年投标资格",
            "until": until.isoformat(),
        },
        headers=await auth(client, "regulator"),
    )
    assert issued.status_code == 201, issued.text
    assert len(issued.json()["event_sha256"]) == 64

    refused = await submit(client, bidder1, tender, await seal(client, bidder1, tender))
    body = assert_problem(refused, 403, "rule 51", "debarred")
    assert body["type"].endswith("party-debarred")
    accepted = await submit(client, bidder2, tender, await seal(client, bidder2, tender))
    assert accepted.status_code == 201, accepted.text

    trail = await _get(client, f"/api/supervision/tenders/{tender}/trail")
    assert trail["sealed"] is True
    assert not [e for e in trail["events"] if e["event_type"].startswith(("bid.", "guarantee."))]
    log = await _get(client, "/api/supervision/operation-log")
    assert not [e for e in log if e["route"].startswith("/api/bids")]
    assert any(e["route"] == "/api/supervision/accountability" and e["status"] == 201 for e in log)
    assert not [a for a in await _get(client, "/api/supervision/alerts") if a["rule"] == 51]

    await later(sessions, shift_clock, timedelta(days=40))
    trail = await _get(client, f"/api/supervision/tenders/{tender}/trail")
    assert trail["sealed"] is False
    assert "bid.submitted" in {e["event_type"] for e in trail["events"]}
    posts = [
        e for e in await _get(client, "/api/supervision/operation-log", tender=tender) if e["route"] == "/api/bids"
    ]
    assert sorted(e["status"] for e in posts) == [201, 403]
    assert all(e["ip"] and e["tender_id"] == tender for e in posts)
    alerts = [a for a in await _get(client, "/api/supervision/alerts", tender=tender) if a["rule"] == 51]
    assert len(alerts) == 1
    assert alerts[0]["organization_id"] == bidder1.organization_id
    assert alerts[0]["detail"] is None  # sealed traffic never keeps its detail


async def test_a_suspended_tender_refuses_bids_and_the_refusal_is_alerted(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    await register_custodians(client)
    tender = (await demo_tender(client))["id"]
    bidder2 = await certified_bidder(client, "bidder2")
    complaint = await file(
        client, "bidder1", kind="complaint", tender_id=tender, matter="other", regulator_id=await regulator_id(client)
    )
    assert complaint.status_code == 201, complaint.text
    suspended = await act(client, "regulator", complaint.json()["id"], "suspend", reason="暂停")
    assert suspended.status_code == 200, suspended.text

    refused = await submit(client, bidder2, tender, await seal(client, bidder2, tender))
    assert_problem(refused, 423, "rule 64", "suspended")
    amend = await client.post(
        f"/api/tenders/{tender}/amendments",
        json={"summary": "澄清", "description": "澄清内容"},
        headers=await auth(client, "agency"),
    )
    assert_problem(amend, 423, "rule 64")
    alerts = await _get(client, "/api/supervision/alerts", rule=64)
    assert [a["route"] for a in alerts] == ["/api/tenders/{tender_id}/amendments"]
    assert "suspended" in alerts[0]["detail"]

    lifted = await act(client, "regulator", complaint.json()["id"], "lift", reason="经审查不影响")
    assert lifted.status_code == 200, lifted.text
    again = await submit(client, bidder2, tender, await seal(client, bidder2, tender))
    assert again.status_code == 201, again.text


async def test_logged_requests_on_bids_reveal_only_their_own_tender_and_never_break_the_log(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    """Each row finds its tender through its own bid (an uncorrelated lookup answered 500 or lent a tender)."""
    await register_custodians(client)
    tender = (await demo_tender(client))["id"]
    for username in ("bidder1", "bidder2"):
        bidder = await certified_bidder(client, username)
        accepted = await submit(client, bidder, tender, await seal(client, bidder, tender))
        assert accepted.status_code == 201, accepted.text
        bid = accepted.json()["bid"]
        withdrawn = await client.post(
            f"/api/bids/{bid['id']}/withdraw",
            json={"statement": withdrawal_statement(bidder, bid)},
            headers=bidder.headers,
        )
        assert withdrawn.status_code == 200, withdrawn.text
    nameless = await client.post(
        "/api/bids", content=b"age", headers=(await certified_bidder(client, "bidder3")).headers
    )
    assert nameless.status_code == 422, nameless.text

    for path in ("/api/supervision/operation-log", "/api/supervision/alerts"):
        assert not [e for e in await _get(client, path) if e["route"].startswith("/api/bids")]

    await later(sessions, shift_clock, timedelta(days=40))
    log = [e for e in await _get(client, "/api/supervision/operation-log") if e["route"].startswith("/api/bids")]
    assert sorted(e["route"] for e in log) == ["/api/bids", "/api/bids", *["/api/bids/{bid_id}/withdraw"] * 2]
    assert all(e["status"] != 422 for e in log), "a row that names no tender stays sealed"
    by_tender = await _get(client, "/api/supervision/operation-log", tender=tender)
    assert len([e for e in by_tender if e["route"] == "/api/bids/{bid_id}/withdraw"]) == 2
