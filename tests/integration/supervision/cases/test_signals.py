"""Rule-51 risk signals from a simulated opening: `bid.opened` events recorded through the journal."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.journal import record_event
from tests.integration.trading.tender_helpers import org_ids
from tests.support.api import auth

SHARED = "ab" * 32


def _opened(tender: str, bidder: str, price: str, sha: str, ip: str) -> dict[str, Any]:
    return {
        "tender": tender,
        "lot": 1,
        "bidder": bidder,
        "price": price,
        "files": [{"name": "技术标.pdf", "sha256": sha}],
        "client": {"ip": ip, "user_agent": "sunbid-cli/0.1"},
        "guarantee_applicant": None,
    }


async def test_two_bids_carrying_the_same_file_raise_a_signal(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tender = (await client.get("/api/tenders")).json()[0]["id"]
    users = {}
    for name in ("bidder1", "bidder2", "bidder3", "bidder4"):
        users[name] = (await client.get("/api/auth/me", headers=await auth(client, name))).json()["organization_id"]
    async with sessions() as session, session.begin():
        await record_event(session, "bid.opened", _opened(tender, users["bidder1"], "1000000.00", SHARED, "10.0.0.1"))
        await record_event(session, "bid.opened", _opened(tender, users["bidder2"], "1100000.00", SHARED, "10.0.0.2"))
        await record_event(
            session, "bid.opened", _opened(tender, users["bidder3"], "1200000.00", "cd" * 32, "10.0.0.2")
        )
    headers = await auth(client, "regulator")
    signals = (await client.get("/api/supervision/signals", params={"tender": tender}, headers=headers)).json()
    by_kind = {s["kind"]: s for s in signals}
    assert set(by_kind) == {"same_file", "same_ip", "arithmetic_prices"}
    same_file = by_kind["same_file"]
    assert same_file["rule"] == 51
    assert sorted(same_file["bidder_org_ids"]) == sorted([users["bidder1"], users["bidder2"]])
    assert same_file["evidence"]["sha256"] == SHARED
    assert {f["name"] for f in same_file["evidence"]["files"]} == {"技术标.pdf"}
    assert sorted(by_kind["same_ip"]["bidder_org_ids"]) == sorted([users["bidder2"], users["bidder3"]])
    assert by_kind["arithmetic_prices"]["evidence"]["step"] == "100000.00"

    async with sessions() as session, session.begin():
        await record_event(session, "bid.opened", _opened(tender, users["bidder1"], "1000000.00", SHARED, "10.0.0.1"))
    again = (await client.get("/api/supervision/signals", params={"tender": tender}, headers=headers)).json()
    assert len(again) == len(signals)  # each pattern is raised once
    trail = (await client.get(f"/api/supervision/tenders/{tender}/trail", headers=headers)).json()
    assert trail["sealed"] is True
    assert "risk.signal_raised" in {e["event_type"] for e in trail["events"]}
    rows = (await client.get("/api/supervision/tenders", headers=headers)).json()
    assert next(r for r in rows if r["id"] == tender)["signals"] == 3

    async with sessions() as session, session.begin():  # a fourth bid opened later carries the same file
        await record_event(session, "bid.opened", _opened(tender, users["bidder4"], "1500000.00", SHARED, "10.0.0.9"))
    widened = (await client.get("/api/supervision/signals", params={"tender": tender}, headers=headers)).json()
    same_file = next(s for s in widened if s["kind"] == "same_file")
    assert sorted(same_file["bidder_org_ids"]) == sorted([users["bidder1"], users["bidder2"], users["bidder4"]])
    assert len(widened) == len(signals)
    trail = (await client.get(f"/api/supervision/tenders/{tender}/trail", headers=headers)).json()
    assert "risk.signal_widened" in {e["event_type"] for e in trail["events"]}
    assert (await org_ids(client))["regulator"]
