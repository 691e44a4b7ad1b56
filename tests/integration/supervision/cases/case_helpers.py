"""Helpers for case tests: a fixed Monday on the DB clock, a published tender, filing and handling calls."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import chronograph
from tests.integration.trading.tender_helpers import clock_at, now, org_ids, published_tender
from tests.support.api import auth

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2025, 3, 3, 10, 0, tzinfo=SHANGHAI)


async def tender_on_monday(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], shift_clock: Any, **changes: Any
) -> str:
    """A tender published on Monday 2025-03-03 10:00 (Asia/Shanghai), deadline 20 days later."""
    await clock_at(sessions, shift_clock, MONDAY)
    return await published_tender(client, sessions, days=20, **changes)


async def at(sessions: async_sessionmaker[AsyncSession], shift_clock: Any, moment: datetime) -> None:
    """Move the DB clock to `moment`."""
    await clock_at(sessions, shift_clock, moment)


async def later(sessions: async_sessionmaker[AsyncSession], shift_clock: Any, delta: timedelta) -> None:
    """Move the DB clock forward."""
    await clock_at(sessions, shift_clock, (await now(sessions)) + delta)


async def file(client: httpx.AsyncClient, who: str, **body: Any) -> httpx.Response:
    """POST /api/cases as a demo user."""
    body.setdefault("title", "关于招标文件资格条件的异议")
    body.setdefault("grounds", "资格条件排斥潜在投标人")
    return await client.post("/api/cases", json=body, headers=await auth(client, who))


async def act(client: httpx.AsyncClient, who: str, case_id: str, step: str, **body: Any) -> httpx.Response:
    """POST /api/cases/{id}/{step} as a demo user."""
    return await client.post(f"/api/cases/{case_id}/{step}", json=body or None, headers=await auth(client, who))


async def tender_status(client: httpx.AsyncClient, tender_id: str) -> str:
    """The tender's public status."""
    status: str = (await client.get(f"/api/tenders/{tender_id}")).json()["status"]
    return status


async def regulator_id(client: httpx.AsyncClient) -> str:
    """The demo regulator's organization id."""
    return (await org_ids(client))["regulator"]


async def tick(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """One chronograph pass."""
    return await chronograph.tick(sessions)
