"""Role x bid endpoint: each admits exactly the roles it names; sealed activity is refused alike for all overseers."""

from __future__ import annotations

import httpx
import pytest

from sunbid.seed import DEMO_PARTIES
from tests.support.api import auth
from tests.support.bids import demo_tender, register_custodians

USERS = [p.username for p in DEMO_PARTIES]
BIDDERS = {"bidder1", "bidder2", "bidder3", "bidder4"}
OVERSEERS = {"agency", "tenderee", "regulator", "operator"}
CASES = [
    ("GET", "/api/bids", BIDDERS, 200),
    ("POST", "/api/bids", BIDDERS, 422),
    ("GET", "/api/bids/escrow/{tender}", set(USERS), 200),
    ("GET", "/api/bids/tenders/{tender}", OVERSEERS, 409),
    ("POST", "/api/bids/maintenance/sweep", {"operator"}, 200),
]


@pytest.mark.parametrize(("method", "path", "allowed", "status"), CASES, ids=[f"{m} {p}" for m, p, _, _ in CASES])
async def test_bid_endpoint_roles(
    client: httpx.AsyncClient, seeded: None, *, method: str, path: str, allowed: set[str], status: int
) -> None:
    await register_custodians(client)
    url = path.replace("{tender}", (await demo_tender(client))["id"])
    answers = {}
    for who in [*USERS, "anonymous"]:
        headers = {} if who == "anonymous" else await auth(client, who)
        response = await client.request(
            method, url, headers={**headers, "sunbid-statement": "e30=", "sunbid-escrow": "e30="}
        )
        expected = status if who in allowed else 401 if who == "anonymous" else 403
        assert response.status_code == expected, (who, response.text)
        if who in allowed and status >= 400:
            answers[who] = {k: v for k, v in response.json().items() if k != "instance"}
    assert len({str(a) for a in answers.values()}) <= 1, answers
