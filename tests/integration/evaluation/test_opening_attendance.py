"""Rule 38 (87号令 Art 40): in 政府采购 the committee's members do not attend the opening, whichever comes first.

The hall records who entered it signed in; the draw then refuses such a representative, excludes such an expert
and passes over such a reserve, and the hall refuses a member already seated. A 工程 tender is not bound by it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import connect

from bidding.opening.models import HallAttendance, Opening
from core import chronograph
from core.db import db_now
from core.identity.models import User
from core.identity.services import principal_of
from core.oplog import RuleAlert
from evaluation.draws.models import Draw
from evaluation.draws.opening_bar import ATTENDED_OPENING, opening_attendees
from evaluation.draws.services import request_draw
from supervision.ledger.worker import checkpoint_now
from tests.integration.evaluation.helpers import simulate_opening
from tests.integration.evaluation.panel import (
    certify_all,
    import_pool,
    make_procurement,
    run_draw,
    seat_drawn,
    user_id,
)
from tests.integration.trading.tender_helpers import clock_at
from tests.support.api import assert_problem, auth, token_for
from trading.tenders.models import Tender

THREE = {"bidder1": "11800000.00", "bidder2": "11500000.00", "bidder3": "12100000.00"}


async def _enter_hall(base: str, tender_id: str, token: str) -> dict[str, Any]:
    """The hall's answer to a signed-in hello: its welcome frame or its error frame."""
    url = base.replace("http://", "ws://") + f"/api/openings/{tender_id}/hall?token={token}"
    async with connect(url, compression=None) as ws:
        await ws.send(json.dumps({"type": "hello", "last_seq": 0}))
        while True:
            frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if frame["type"] in {"welcome", "error"}:
                return frame


async def _invitation(client: httpx.AsyncClient, tender_id: str, headers: dict[str, str]) -> str | None:
    """The id of this expert's open invitation on the tender, if drawn."""
    seats = (await client.get("/api/seats", headers=headers)).json()
    return next((s["id"] for s in seats if s["tender_id"] == tender_id and s["status"] == "invited"), None)


async def _opened_tender(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], shift_clock: Any, *, procurement: bool
) -> str:
    """The demo tender past its deadline with three opened bids (as 政府采购 goods when asked)."""
    tender = next(t for t in (await client.get("/api/tenders")).json() if t["status"] == "published")
    if procurement:
        await make_procurement(sessions, tender["id"])
    await clock_at(sessions, shift_clock, datetime.fromisoformat(tender["bid_deadline"]) + timedelta(hours=1))
    await simulate_opening(sessions, tender["id"], THREE)
    tender_id: str = tender["id"]
    return tender_id


@pytest.mark.usefixtures("seeded")
async def test_procurement_committee_members_and_opening_attendees_are_kept_apart(
    app: Litestar,
    client: httpx.AsyncClient,
    base: str,
    sessions: async_sessionmaker[AsyncSession],
    shift_clock: Any,
) -> None:
    pool = await import_pool(client, sessions, 9)
    tid = await _opened_tender(client, sessions, shift_clock, procurement=True)
    tenderee_user = await user_id(client, "tenderee")
    for username in ("tenderee", "exp01"):
        entered = await _enter_hall(base, tid, await token_for(client, username))
        assert entered["type"] == "welcome", entered
    async with sessions() as session:
        recorded = await session.scalar(
            select(func.count()).select_from(HallAttendance).where(HallAttendance.tender_id == uuid.UUID(tid))
        )
    assert recorded == 2

    body = {"specialties": {"A01": 4}, "reserves": 2, "representatives": [tenderee_user]}
    refused = await client.post(f"/api/tenders/{tid}/draws", headers=await auth(client, "agency"), json=body)
    assert_problem(refused, 422, "rule 38", "attended the bid opening")
    async with sessions() as session:
        assert await session.scalar(select(Draw.id).where(Draw.tender_id == uuid.UUID(tid))) is None

    agency = await auth(client, "agency")
    body = {"specialties": {"A01": 5}, "reserves": 2, "representatives": []}
    requested = await client.post(f"/api/tenders/{tid}/draws", headers=agency, json=body)
    assert requested.status_code == 201, requested.text
    waiting = await _enter_hall(base, tid, await token_for(client, "exp02"))  # eligible: may yet be drawn
    assert waiting["type"] == "error", waiting
    assert "rule 38" in waiting["problem"]["detail"]
    await checkpoint_now(sessions, app.state.ledger_worker.key)
    await chronograph.tick(sessions)
    async with sessions() as session:
        draw = await session.scalar(select(Draw).where(Draw.tender_id == uuid.UUID(tid)))
    assert draw is not None
    excluded = {e["id"]: e["reasons"] for e in draw.excluded}
    assert excluded[pool["exp01"]] == [ATTENDED_OPENING]
    assert pool["exp01"] not in [c["id"] for c in draw.eligible]

    experts = await certify_all(client, list(pool))
    by_id = {expert_id: username for username, expert_id in pool.items()}
    assert draw.outcome is not None
    first_reserve, second_reserve = (by_id[r["expert"]] for r in draw.outcome["reserves"])
    entered = await _enter_hall(base, tid, await token_for(client, first_reserve))
    assert entered["type"] == "welcome", entered
    invitations = {u: await _invitation(client, tid, experts[u].headers) for u in sorted(pool)}
    decliner, invitation = next((u, i) for u, i in invitations.items() if i is not None)
    declined = await client.post(
        f"/api/seats/{invitation}/decline", headers=experts[decliner].headers, json={"reason": "出差在外"}
    )
    assert declined.status_code == 200, declined.text
    assert await _invitation(client, tid, experts[first_reserve].headers) is None
    assert await _invitation(client, tid, experts[second_reserve].headers) is not None

    members = await seat_drawn(client, tid, experts)
    assert len(members) == 5
    assert decliner not in members
    assert first_reserve not in members
    assert "exp01" not in members
    member = sorted(members)[0]
    barred = await _enter_hall(base, tid, await token_for(client, member))
    assert barred["type"] == "error", barred
    assert barred["problem"]["status"] == 422
    assert "rule 38" in barred["problem"]["detail"]
    waiting_id = uuid.UUID(await user_id(client, "exp02"))
    member_id = uuid.UUID(await user_id(client, member))
    async with sessions() as session:
        alerted = select(RuleAlert).where(RuleAlert.rule == 38, RuleAlert.route.endswith("/hall"))
        hall_alerts = (await session.scalars(alerted)).all()
    assert sorted(str(a.user_id) for a in hall_alerts) == sorted(map(str, (waiting_id, member_id))), (
        "exp02 waiting, then the member (the random draw may seat exp02 itself)"
    )
    assert {(a.method, a.tender_id) for a in hall_alerts} == {("GET", uuid.UUID(tid))}
    outsider = next(u for u in sorted(pool) if u not in members and u not in {"exp01", first_reserve})
    assert (await _enter_hall(base, tid, await token_for(client, outsider)))["type"] == "welcome"

    async with sessions() as session, session.begin():
        now = await db_now(session)
        session.add(
            Opening(
                tender_id=uuid.UUID(tid),
                status="published",
                started_at=now,
                window_closes_at=now,
                escrow_remedy=False,
            )
        )
    replay = await _enter_hall(base, tid, await token_for(client, member))
    assert replay["type"] == "welcome", "once the record is published the hall only replays a finished opening"


@pytest.mark.usefixtures("seeded")
async def test_works_tender_representative_may_have_watched_the_opening(
    app: Litestar,
    client: httpx.AsyncClient,
    base: str,
    sessions: async_sessionmaker[AsyncSession],
    shift_clock: Any,
) -> None:
    await import_pool(client, sessions, 7)
    tid = await _opened_tender(client, sessions, shift_clock, procurement=False)
    tenderee_token = await token_for(client, "tenderee")
    assert (await _enter_hall(base, tid, tenderee_token))["type"] == "welcome"

    await run_draw(client, app, sessions, tid, 4, reserves=2, representatives=[await user_id(client, "tenderee")])
    assert (await _enter_hall(base, tid, tenderee_token))["type"] == "welcome"


async def _until_a_lock_is_awaited(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Wait until a connection to this test's database waits for a lock (the hall entry queued behind the seating)."""
    waiting = text(
        "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'"
    )
    for _ in range(600):
        async with sessions() as session:
            if await session.scalar(waiting):
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the hall entry never waited for the seating's rule-38 locks")


@pytest.mark.usefixtures("seeded")
async def test_a_hall_entry_during_a_seating_waits_for_it_and_is_refused(
    client: httpx.AsyncClient,
    base: str,
    sessions: async_sessionmaker[AsyncSession],
    shift_clock: Any,
) -> None:
    """Two transactions at the same moment: the hall's checks cannot read past a seating that has not committed."""
    await import_pool(client, sessions, 7)
    tid = await _opened_tender(client, sessions, shift_clock, procurement=True)
    tenderee = uuid.UUID(await user_id(client, "tenderee"))
    agency_user = uuid.UUID(await user_id(client, "agency"))
    tenderee_token = await token_for(client, "tenderee")
    async with sessions() as seating, seating.begin():
        agency = await seating.get(User, agency_user)
        assert agency is not None
        await request_draw(seating, principal_of(agency), uuid.UUID(tid), {"A01": 4}, 2, [tenderee])
        entering = asyncio.create_task(_enter_hall(base, tid, tenderee_token))
        await _until_a_lock_is_awaited(sessions)
        assert not entering.done()
    frame = await asyncio.wait_for(entering, 30)
    assert frame["type"] == "error", frame
    assert "rule 38" in frame["problem"]["detail"]
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(HallAttendance)) == 0


@pytest.mark.usefixtures("seeded")
async def test_a_hall_entry_during_a_draw_request_neither_deadlocks_nor_is_refused(
    client: httpx.AsyncClient,
    base: str,
    sessions: async_sessionmaker[AsyncSession],
    shift_clock: Any,
) -> None:
    """A draw request locks the tender row, then the rule-38 lock; the hall must not hold the latter meanwhile."""
    tid = await _opened_tender(client, sessions, shift_clock, procurement=True)
    bidder_token = await token_for(client, "bidder1")
    async with sessions() as seating, seating.begin():
        tender = await seating.scalar(select(Tender).where(Tender.id == uuid.UUID(tid)).with_for_update())
        assert tender is not None
        entering = asyncio.create_task(_enter_hall(base, tid, bidder_token))
        await _until_a_lock_is_awaited(sessions)
        assert await opening_attendees(seating, tender, []) == set()
    frame = await asyncio.wait_for(entering, 30)
    assert frame["type"] == "welcome", frame
