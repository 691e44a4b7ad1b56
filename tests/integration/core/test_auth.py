"""Sign-in: argon2 passwords, lockout after repeated failures, token expiry on the database clock, sign-out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.identity.models import AuthToken, User
from core.journal import JournalEvent
from sunbid.seed import DEMO_PASSWORD
from supervision.ledger.worker import checkpoint_now
from tests.support.api import assert_problem, auth, token_for

Shift = Callable[[timedelta], Awaitable[None]]


async def test_login_returns_token_and_me(client: httpx.AsyncClient, seeded: None) -> None:
    headers = await auth(client, "bidder1")
    me = (await client.get("/api/auth/me", headers=headers)).json()
    assert me["username"] == "bidder1"
    assert me["org_type"] == "bidder"
    assert "bidder" in me["roles"]


async def test_password_is_stored_as_argon2_and_token_as_hash(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    token = await token_for(client, "agency")
    async with sessions() as session:
        user = await session.scalar(select(User).where(User.username == "agency"))
        stored = list((await session.scalars(select(AuthToken.token_sha256))).all())
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")
    assert DEMO_PASSWORD not in user.password_hash
    assert all(token.encode() != digest for digest in stored)
    assert len(stored) == 1


async def test_wrong_password_and_unknown_user_look_the_same(client: httpx.AsyncClient, seeded: None) -> None:
    wrong = await client.post("/api/auth/login", json={"username": "agency", "password": "nope"})
    unknown = await client.post("/api/auth/login", json={"username": "ghost", "password": "nope"})
    assert assert_problem(wrong, 401)["detail"] == assert_problem(unknown, 401)["detail"]


async def test_lockout_after_repeated_failures_then_release_on_clock(
    client: httpx.AsyncClient, seeded: None, shift_clock: Shift
) -> None:
    for _ in range(4):
        assert_problem(await client.post("/api/auth/login", json={"username": "bidder2", "password": "x"}), 401)
    locked = await client.post("/api/auth/login", json={"username": "bidder2", "password": "x"})
    assert_problem(locked, 423, "locked")
    right_password = await client.post("/api/auth/login", json={"username": "bidder2", "password": DEMO_PASSWORD})
    assert_problem(right_password, 423, "try again after")
    await shift_clock(timedelta(minutes=16))
    assert (await client.post("/api/auth/login", json={"username": "bidder2", "password": DEMO_PASSWORD})).is_success


def _from(app: Litestar, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 4000)), base_url="http://t")


async def test_a_competitor_cannot_lock_a_bidder_out_nor_learn_which_usernames_exist(
    app: Litestar, seeded: None
) -> None:
    """The lockout holds the address that failed, not the account; an unknown name locks the same way."""
    async with _from(app, "198.51.100.7") as attacker, _from(app, "203.0.113.20") as bidder:
        for username in ("bidder3", "no-such-user"):
            answers = [
                (await attacker.post("/api/auth/login", json={"username": username, "password": "x"})).status_code
                for _ in range(6)
            ]
            assert answers == [401, 401, 401, 401, 423, 423], username
        own = await bidder.post("/api/auth/login", json={"username": "bidder3", "password": DEMO_PASSWORD})
        assert own.status_code == 200, own.text


async def test_token_expires_on_the_database_clock(client: httpx.AsyncClient, seeded: None, shift_clock: Shift) -> None:
    headers = await auth(client, "tenderee")
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    await shift_clock(timedelta(hours=13))
    assert_problem(await client.get("/api/auth/me", headers=headers), 401, "expired")


async def test_logout_revokes_the_token(client: httpx.AsyncClient, seeded: None) -> None:
    headers = await auth(client, "notary")
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    assert_problem(await client.get("/api/auth/me", headers=headers), 401, "revoked")


async def test_concurrent_requests_authenticate_together_and_each_gets_its_own_answer(
    client: httpx.AsyncClient, seeded: None, app: Litestar
) -> None:
    """A burst shares the grouped token statement; a revoked or unknown token among valid ones is refused alone."""
    names = ["bidder1", "bidder2", "agency", "regulator"]
    tokens = {name: await token_for(client, name) for name in names}
    revoked = await token_for(client, "bidder3")
    assert (await client.post("/api/auth/logout", headers={"Authorization": f"Bearer {revoked}"})).status_code < 300
    before = app.state.token_desk.fetches
    calls = [("ok", name, tokens[name]) for name in names for _ in range(5)]
    calls += [("revoked", "bidder3", revoked), ("unknown", "-", "not-a-token")]
    answers = await asyncio.gather(
        *(client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}) for _, _, token in calls)
    )
    for (kind, name, _), answer in zip(calls, answers, strict=True):
        if kind == "ok":
            assert answer.status_code == 200
            assert answer.json()["username"] == name
        else:
            assert_problem(answer, 401)
            assert ("revoked" if kind == "revoked" else "unknown") in answer.json()["detail"]
    assert app.state.token_desk.fetches - before < len(calls)


async def test_sign_ins_reach_the_regulators_operation_log_but_not_the_public_ledger(
    app: Litestar, client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Who signs in while a tender is open would hint at who bids: the ledger gains nothing that names them."""
    key = app.state.ledger_worker.key
    await checkpoint_now(sessions, key)
    before = (await client.get("/api/ledger/entries", params={"start": 0, "end": 1})).json()["size"]
    assert_problem(await client.post("/api/auth/login", json={"username": "bidder1", "password": "x"}), 401)
    me = (await client.get("/api/auth/me", headers=await auth(client, "bidder1"))).json()
    await checkpoint_now(sessions, key)
    added = (await client.get("/api/ledger/entries", params={"start": before, "end": before + 1000})).json()
    public = json.dumps(added["entries"])
    assert me["user_id"] not in public
    assert me["organization_id"] not in public
    async with sessions() as session:
        journaled = await session.scalar(select(func.count()).where(JournalEvent.event_type.like("auth.%")))
    assert journaled == 0

    log = (await client.get("/api/supervision/operation-log", headers=await auth(client, "regulator"))).json()
    bidder_logins = [
        e for e in log if e["route"] == "/api/auth/login" and e["organization_id"] == me["organization_id"]
    ]
    assert sorted(e["status"] for e in bidder_logins) == [200, 401]
