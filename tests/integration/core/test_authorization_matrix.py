"""Role x endpoint: every guarded endpoint admits exactly the roles it names."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from core.identity.usci import make_credit_code
from sunbid.seed import DEMO_PARTIES

USERS = [p.username for p in DEMO_PARTIES]
ANONYMOUS = "anonymous"


def _new_org() -> dict[str, Any]:
    body = "913301" + str(uuid.uuid4().int)[:11]
    return {"name": "矩阵测试公司", "credit_code": make_credit_code(body), "org_type": "bidder"}


CASES: list[tuple[str, str, Any, set[str]]] = [
    ("GET", "/api/organizations", None, {"operator", "regulator"}),
    ("POST", "/api/organizations", _new_org, {"operator"}),
    ("GET", "/api/auth/me", None, set(USERS)),
    ("GET", "/api/keys/certificates", None, set(USERS)),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), CASES, ids=[f"{m} {p}" for m, p, _, _ in CASES])
@pytest.mark.parametrize("who", [*USERS, ANONYMOUS])
async def test_role_matrix(
    client: httpx.AsyncClient, seeded: None, who: str, method: str, path: str, body: Any, allowed: set[str]
) -> None:
    headers: dict[str, str] = {}
    if who != ANONYMOUS:
        login = await client.post("/api/auth/login", json={"username": who, "password": "sunbid-demo-2026"})
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
    payload = body() if callable(body) else body
    response = await client.request(method, path, json=payload, headers=headers)
    if who in allowed:
        assert response.status_code < 400, response.text
    elif who == ANONYMOUS:
        assert response.status_code == 401, response.text
    else:
        assert response.status_code == 403, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_org_members_see_only_their_organization(client: httpx.AsyncClient, seeded: None) -> None:
    headers = {
        "Authorization": "Bearer "
        + (await client.post("/api/auth/login", json={"username": "bidder1", "password": "sunbid-demo-2026"})).json()[
            "token"
        ]
    }
    me = (await client.get("/api/auth/me", headers=headers)).json()
    own = await client.get(f"/api/organizations/{me['organization_id']}", headers=headers)
    assert own.status_code == 200
    other = await client.get(f"/api/organizations/{uuid.uuid4()}", headers=headers)
    assert other.status_code == 404


async def test_only_org_admin_or_operator_adds_users(client: httpx.AsyncClient, seeded: None) -> None:
    async def headers_for(user: str) -> dict[str, str]:
        r = await client.post("/api/auth/login", json={"username": user, "password": "sunbid-demo-2026"})
        return {"Authorization": f"Bearer {r.json()['token']}"}

    bidder = await headers_for("bidder1")
    org_id = (await client.get("/api/auth/me", headers=bidder)).json()["organization_id"]
    new_user = {"username": "bidder1b", "display_name": "新用户", "password": "long-enough-pw", "roles": ["bidder"]}
    created = await client.post(f"/api/organizations/{org_id}/users", json=new_user, headers=bidder)
    assert created.status_code == 201, created.text
    expert = await headers_for("expert1")
    refused = await client.post(
        f"/api/organizations/{org_id}/users", json={**new_user, "username": "intruder"}, headers=expert
    )
    assert refused.status_code == 403
    wrong_role = await client.post(
        f"/api/organizations/{org_id}/users",
        json={**new_user, "username": "bidder1c", "roles": ["regulator"]},
        headers=bidder,
    )
    assert wrong_role.status_code == 422
    assert "not allowed" in wrong_role.json()["detail"]
