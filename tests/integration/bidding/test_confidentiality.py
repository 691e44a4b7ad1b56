"""Before the deadline no endpoint tells anyone but the bidder itself that a bid exists (招标投标法 Art 22).

Every GET operation of the OpenAPI schema (plus the HTML pages and /metrics) is called as every demo role and
anonymously, once with no bid and once after bidder1 and bidder2 have bid: status and JSON shape (keys, list
lengths) must not change, and no bidder id or name, bid id, receipt id, ciphertext hash or recipient may appear
that was not there before. The only allowed difference is a bidder reading its own bids under /api/bids.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from sunbid.seed import DEMO_PARTIES
from tests.support.api import auth
from tests.support.bids import Bidder, certified_bidder, demo_tender, register_custodians, seal, submit

ANONYMOUS = "anonymous"
PAGES = ("/", "/notices")
VOLATILE_SHAPE = ("/api/ledger", "/metrics", "/api/supervision/alerts", "/api/supervision/operation-log")
"""These change on their own (the ledger's fixed-rate blinded slots, request counters, the Art 49 log of the test's
own non-bid requests and refusals); only markers are checked."""
_MASK = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+")


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def _fingerprint(response: httpx.Response) -> tuple[int, Any]:
    if response.headers.get("content-type", "").startswith(("application/json", "application/problem+json")):
        body = response.json()
        if isinstance(body, dict):
            body.pop("instance", None)
        return response.status_code, _shape(body)
    return response.status_code, _MASK.sub("#", response.text)


def _fill(path: str, params: list[dict[str, Any]], values: dict[str, str]) -> tuple[str, dict[str, str]]:
    query: dict[str, str] = {}
    for param in params:
        name, where = param["name"], param["in"]
        kind = param.get("schema", {}).get("type")
        value = values.get(name, "1" if kind == "integer" else str(uuid.uuid4()))
        if name in ("start", "first", "index"):
            value = "0"
        if name == "unit":
            continue
        if where == "path":
            path = path.replace("{" + name + "}", value)
        elif where == "query" and param.get("required"):
            query[name] = value if name != "start" or kind == "integer" else "2030-01-01"
    return path, query


async def _snapshot(
    client: httpx.AsyncClient, headers: dict[str, dict[str, str]], values: dict[str, str]
) -> dict[tuple[str, str], httpx.Response]:
    schema = (await client.get("/schema/openapi.json")).json()
    out = {}
    for raw_path, operations in schema["paths"].items():
        if "get" not in operations:
            continue
        path, query = _fill(raw_path, operations["get"].get("parameters", []), values)
        for who, who_headers in headers.items():
            out[who, raw_path] = await client.get(path, params=query, headers=who_headers)
    for page in (*PAGES, "/metrics"):
        for who, who_headers in headers.items():
            out[who, page] = await client.get(page, headers=who_headers)
    return out


def _searchable(response: httpx.Response) -> str:
    """The body without the echo of the caller's own request path (problem+json `instance`)."""
    return response.text.replace(response.request.url.path, "")


def _markers(bidder: Bidder, bids: list[dict[str, Any]]) -> set[str]:
    party = next(p for p in DEMO_PARTIES if p.username == bidder.username)
    found = {bidder.organization_id, party.org_name, party.org_name_en, party.display_name, bidder.identity.recipient}
    for bid in bids:
        found |= {bid["id"], bid["receipt_id"], bid["sha256"]}
    return found


async def test_no_endpoint_reveals_bids_before_the_deadline(client: httpx.AsyncClient, seeded: None) -> None:
    await register_custodians(client)
    tender = (await demo_tender(client))["id"]
    bidders = [await certified_bidder(client, "bidder1"), await certified_bidder(client, "bidder2")]
    headers = {p.username: await auth(client, p.username) for p in DEMO_PARTIES}
    headers[ANONYMOUS] = {}
    operator = headers["operator"]
    await client.post("/api/ledger/checkpoint", headers=operator)
    values = {"tender_id": tender, "organization_id": bidders[0].organization_id, "bid_id": str(uuid.uuid4())}
    before = await _snapshot(client, headers, values)

    placed: dict[str, list[dict[str, Any]]] = {b.username: [] for b in bidders}
    for bidder, lot, version in ((bidders[0], 1, 1), (bidders[1], 1, 1), (bidders[1], 2, 1), (bidders[0], 1, 2)):
        response = await submit(
            client, bidder, tender, await seal(client, bidder, tender, lot), lot=lot, version=version
        )
        assert response.status_code == 201, response.text
        placed[bidder.username].append(response.json()["bid"])
    markers = {b.username: _markers(b, placed[b.username]) for b in bidders}
    await client.post("/api/ledger/checkpoint", headers=operator)
    after = await _snapshot(client, headers, {**values, "bid_id": placed["bidder1"][0]["id"]})

    leaks = []
    for (who, path), response in after.items():
        own_bids = who in placed and path.startswith("/api/bids")
        if own_bids and "{bid_id}" in path:
            continue
        volatile = own_bids or path.startswith(VOLATILE_SHAPE)
        if not volatile and _fingerprint(response) != _fingerprint(before[who, path]):
            leaks.append(f"{who} GET {path}: the answer changed once bids existed")
        for owner, owned in markers.items():
            if own_bids and owner == who:
                continue
            seen, baseline = _searchable(response), _searchable(before[who, path])
            new = {m for m in owned if m in seen and m not in baseline}
            if new:
                leaks.append(f"{who} GET {path}: reveals {owner}'s {sorted(new)}")
    assert not leaks, "\n".join(leaks)


async def test_bid_traffic_stays_out_of_metrics(client: httpx.AsyncClient, seeded: None) -> None:
    await register_custodians(client)
    tender = (await demo_tender(client))["id"]
    bidder = await certified_bidder(client, "bidder1")
    assert (await submit(client, bidder, tender, await seal(client, bidder, tender))).status_code == 201
    metrics = await client.get("/metrics")
    assert "/api/bids" not in metrics.text
