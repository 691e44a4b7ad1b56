"""Helpers that form a seated committee through the API: pool import, a checkpoint-seeded draw, accept and enter."""

from __future__ import annotations

import base64
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import chronograph
from signing.pades import sign_pdf_async
from supervision.ledger.worker import checkpoint_now
from tests.integration.evaluation.helpers import (
    HEADER,
    Expert,
    certified,
    csv_row,
    make_expert_users,
    simulate_opening,
)
from tests.integration.trading.tender_helpers import clock_at
from tests.support.api import auth
from trading.tenders.models import Tender


async def import_pool(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    count: int,
    overrides: dict[int, dict[str, str]] | None = None,
) -> dict[str, str]:
    """`count` qualified, approved experts (row n gets overrides[n]); returns pool ids by username."""
    users = await make_expert_users(sessions, count)
    operator = await auth(client, "operator")
    rows = [csv_row(i, u, **(overrides or {}).get(i, {})) for i, u in enumerate(users, start=1)]
    imported = await client.post(
        "/api/experts/import",
        content="\n".join([HEADER, *rows]).encode(),
        headers={**operator, "content-type": "text/csv"},
    )
    assert imported.status_code == 201, imported.text
    ids = dict(zip(users, imported.json()["experts"], strict=True))
    for expert_id in ids.values():
        checked = await client.post(
            f"/api/experts/{expert_id}/qualification",
            headers=operator,
            json={"approved": True, "documents": [{"title": "职称证书", "sha256": "a" * 64}]},
        )
        assert checked.status_code == 200, checked.text
    return ids


async def run_draw(
    client: httpx.AsyncClient,
    app: Litestar,
    sessions: async_sessionmaker[AsyncSession],
    tender_id: str,
    experts: int = 5,
    *,
    reserves: int = 2,
    representatives: list[str] | None = None,
) -> dict[str, Any]:
    """The agency requests a draw; a checkpoint covers its commitment and the chronograph seats the experts."""
    agency = await auth(client, "agency")
    body = {"specialties": {"A01": experts}, "reserves": reserves, "representatives": representatives or []}
    requested = await client.post(f"/api/tenders/{tender_id}/draws", headers=agency, json=body)
    assert requested.status_code == 201, requested.text
    await checkpoint_now(sessions, app.state.ledger_worker.key)
    await chronograph.tick(sessions)
    rounds = (await client.get(f"/api/tenders/{tender_id}/draws", headers=agency)).json()
    assert rounds[0]["status"] == "drawn", rounds
    first: dict[str, Any] = rounds[0]
    return first


async def seat(client: httpx.AsyncClient, tender_id: str, expert: Expert) -> dict[str, Any] | None:
    """Accept the expert's open invitation on this tender and enter declaring no conflict; None if not drawn."""
    seats = (await client.get("/api/seats", headers=expert.headers)).json()
    mine = [s for s in seats if s["tender_id"] == tender_id and s["status"] == "invited"]
    if not mine:
        return None
    accepted = await client.post(f"/api/seats/{mine[0]['id']}/accept", headers=expert.headers)
    assert accepted.status_code == 200, accepted.text
    entered = await client.post(
        f"/api/evaluations/{tender_id}/enter", headers=expert.headers, json={"no_conflict": True}
    )
    assert entered.json()["status"] == "seated", entered.text
    out: dict[str, Any] = mine[0]
    return out


async def certify_all(client: httpx.AsyncClient, usernames: list[str]) -> dict[str, Expert]:
    """Sign every pool user in and certify its key."""
    return {username: await certified(client, username) for username in usernames}


async def seat_drawn(client: httpx.AsyncClient, tender_id: str, experts: dict[str, Expert]) -> dict[str, Expert]:
    """Seat the drawn ones among these experts; returns the seated experts by username."""
    seated = {}
    for username, expert in experts.items():
        if await seat(client, tender_id, expert) is not None:
            seated[username] = expert
    return seated


async def sign_report(client: httpx.AsyncClient, tender_id: str, expert: Expert) -> httpx.Response:
    """The member's client appends a PAdES signature to the current report and uploads it."""
    current = await client.get(f"/api/evaluations/{tender_id}/report/pdf", headers=expert.headers)
    assert current.status_code == 200, current.text
    signed = await sign_pdf_async(current.content, expert.key, expert.certificate, [])
    return await client.post(
        f"/api/evaluations/{tender_id}/report/signatures",
        headers=expert.headers,
        json={"pdf_base64": base64.b64encode(signed).decode()},
    )


async def review_and_score(
    client: httpx.AsyncClient,
    tender_id: str,
    experts: dict[str, Expert],
    bidders: dict[str, str],
    *,
    failed: frozenset[str] = frozenset(),
    criteria: dict[str, dict[str, int]] | None = None,
) -> None:
    """Every member reviews every bid (failing those named) and scores the passed ones (signed statements)."""
    from tests.integration.evaluation.helpers import score_statement

    for expert in experts.values():
        for name, bidder in bidders.items():
            passed = name not in failed
            body: dict[str, Any] = {"lot": 1, "bidder": bidder, "passed": passed}
            if not passed:
                body["grounds"] = ["not_responsive"]
            review = await client.post(f"/api/evaluations/{tender_id}/reviews", headers=expert.headers, json=body)
            assert review.status_code == 201, review.text
            if passed:
                given = (criteria or {}).get(name, {"technical": 25, "commercial": 8})
                statement = score_statement(expert, tender_id, bidder, given)
                scored = await client.post(
                    f"/api/evaluations/{tender_id}/scores", headers=expert.headers, json={"statement": statement}
                )
                assert scored.status_code == 201, scored.text


def pdfsig_valid(pdf: bytes, tmp_path: Path, count: int) -> str:
    """poppler's pdfsig, an independent reader, says "Signature is Valid." exactly `count` times."""
    if shutil.which("pdfsig") is None:
        pytest.fail("pdfsig is missing: install the Debian package poppler-utils")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    output = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout
    assert output.count("Signature is Valid.") == count, output
    return output


@dataclass
class Committee:
    """A tender under evaluation with its seated committee, the pool and the bidders' organization ids."""

    tender_id: str
    pool: dict[str, str]
    everyone: dict[str, Expert]
    members: dict[str, Expert]
    bidders: dict[str, str]
    draw: dict[str, Any]


async def org_code(client: httpx.AsyncClient, name: str) -> str:
    """A demo organization's credit code."""
    orgs = (await client.get("/api/organizations", headers=await auth(client, "operator"))).json()
    code: str = next(o for o in orgs if o["name"] == name)["credit_code"]
    return code


async def user_id(client: httpx.AsyncClient, username: str) -> str:
    """A demo user's id."""
    me = (await client.get("/api/auth/me", headers=await auth(client, username))).json()
    found: str = me["user_id"]
    return found


async def make_procurement(sessions: async_sessionmaker[AsyncSession], tender_id: str) -> None:
    """Turn the demo 工程 tender into a 政府采购 goods tender (rule 38 and 52 differ by legal basis)."""
    async with sessions() as session, session.begin():
        tender = await session.get(Tender, uuid.UUID(tender_id))
        assert tender is not None
        tender.legal_basis = "procurement_law"
        tender.category = "goods"


async def form_committee(
    client: httpx.AsyncClient,
    app: Litestar,
    sessions: async_sessionmaker[AsyncSession],
    shift_clock: Any,
    prices: dict[str, str],
    *,
    pool_size: int = 7,
    overrides: dict[int, dict[str, str]] | None = None,
    representatives: list[str] | None = None,
    reserves: int = 2,
    procurement: bool = False,
) -> Committee:
    """Pool, a (simulated) opening at the deadline, a draw seeded by a checkpoint, every drawn expert seated."""
    tender = next(t for t in (await client.get("/api/tenders")).json() if t["status"] == "published")
    tender_id = tender["id"]
    pool = await import_pool(client, sessions, pool_size, overrides)
    if procurement:
        await make_procurement(sessions, tender_id)
    await clock_at(sessions, shift_clock, datetime.fromisoformat(tender["bid_deadline"]) + timedelta(hours=1))
    bidders = await simulate_opening(sessions, tender_id, prices)
    reps = representatives or []
    drawn = await run_draw(client, app, sessions, tender_id, 5 - len(reps), reserves=reserves, representatives=reps)
    everyone = await certify_all(client, list(pool))
    members = await seat_drawn(client, tender_id, everyone)
    assert len(members) == 5 - len(reps)
    return Committee(tender_id, pool, everyone, members, bidders, drawn)
