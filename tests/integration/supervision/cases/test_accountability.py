"""A regulator's sanctions take effect where they bite (the expert pool, bidding) and never shorten one in force."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.identity.models import Organization
from tests.integration.evaluation.panel import import_pool
from tests.integration.trading.tender_helpers import now
from tests.support.api import assert_problem, auth

ACCOUNTABILITY = "/api/supervision/accountability"


async def _issue(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    if isinstance(body.get("until"), datetime):
        body["until"] = body["until"].isoformat()
    return await client.post(ACCOUNTABILITY, json=body, headers=await auth(client, "regulator"))


async def _records(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    listed = await client.get(ACCOUNTABILITY, headers=await auth(client, "regulator"))
    assert listed.status_code == 200, listed.text
    records: list[dict[str, Any]] = listed.json()
    return records


async def _org(client: httpx.AsyncClient, org_type: str) -> str:
    orgs = (await client.get("/api/organizations", headers=await auth(client, "operator"))).json()
    return str(next(o["id"] for o in orgs if o["org_type"] == org_type))


async def test_a_regulators_expert_suspension_takes_the_expert_out_of_the_pool_and_is_never_shortened(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    pool = await import_pool(client, sessions, 1)
    operator = await auth(client, "operator")
    expert = (await client.get(f"/api/experts/{next(iter(pool.values()))}", headers=operator)).json()
    assert expert["status"] == "active"
    target = {"target_org_id": await _org(client, "expert_pool"), "target_user_id": expert["user_id"]}
    until = (await now(sessions)) + timedelta(days=180)

    issued = await _issue(client, kind="expert_suspension", reason="评标违规", until=until, **target)
    assert issued.status_code == 201, issued.text
    sanctioned = (await client.get(f"/api/experts/{expert['id']}", headers=operator)).json()
    assert datetime.fromisoformat(sanctioned["sanctioned_until"]) == until
    assert sanctioned["sanction_reason"] == "评标违规"

    shorter = await _issue(
        client, kind="expert_suspension", reason="再次违规", until=until - timedelta(days=170), **target
    )
    assert shorter.status_code == 201, shorter.text
    suspend = await client.post(f"/api/experts/{expert['id']}/suspend", json={"reason": "资料过期"}, headers=operator)
    assert suspend.status_code == 200, suspend.text
    reinstated = await client.post(f"/api/experts/{expert['id']}/reinstate", headers=operator)
    assert reinstated.status_code == 200, reinstated.text
    kept = reinstated.json()
    assert kept["status"] == "active"  # the operator's own suspension is lifted, the regulator's is not
    assert datetime.fromisoformat(kept["sanctioned_until"]) == until
    assert kept["sanction_reason"] == "评标违规"

    records = len(await _records(client))
    past = await _issue(client, kind="expert_suspension", reason="x", until=until - timedelta(days=400), **target)
    assert_problem(past, 422, "until", "later than now")
    users = (await client.get("/api/auth/me", headers=await auth(client, "expert1"))).json()
    no_profile = {"target_org_id": users["organization_id"], "target_user_id": users["user_id"]}
    refused = await _issue(client, kind="expert_suspension", reason="x", until=until, **no_profile)
    assert_problem(refused, 422, "no profile in the expert pool")
    assert len(await _records(client)) == records


async def test_a_shorter_later_debarment_keeps_the_longer_one_and_public_bodies_cannot_be_debarred(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bidder = await _org(client, "bidder")
    until = (await now(sessions)) + timedelta(days=365)
    first = await _issue(client, kind="debarment", target_org_id=bidder, rule=51, reason="串通投标", until=until)
    assert first.status_code == 201, first.text
    second = await _issue(
        client, kind="debarment", target_org_id=bidder, rule=51, reason="轻微", until=until - timedelta(days=364)
    )
    assert second.status_code == 201, second.text
    async with sessions() as session:
        in_force = await session.scalar(select(Organization.debarred_until).where(Organization.id == bidder))
    assert in_force == until

    records = len(await _records(client))
    past = await _issue(client, kind="debarment", target_org_id=bidder, reason="x", until=until - timedelta(days=400))
    assert_problem(past, 422, "until", "later than now")
    for org_type, named in (("regulator", "a regulator"), ("operator", "an operator")):
        refused = await _issue(
            client, kind="debarment", target_org_id=await _org(client, org_type), reason="x", until=until
        )
        assert_problem(refused, 422, f"{named} cannot be debarred")
    assert len(await _records(client)) == records
