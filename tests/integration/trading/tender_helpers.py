"""Helpers for tender tests: demo org ids, a lawful tender body, create-upload-publish, the DB clock at a fixed date."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import db_now, get_clock_offset
from tests.support.api import auth

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def org_ids(client: httpx.AsyncClient) -> dict[str, str]:
    """Demo organization ids by org type."""
    response = await client.get("/api/organizations", headers=await auth(client, "operator"))
    assert response.status_code == 200, response.text
    return {o["org_type"]: o["id"] for o in response.json()}


async def now(sessions: async_sessionmaker[AsyncSession]) -> datetime:
    """The database clock."""
    async with sessions() as session:
        return await db_now(session)


async def clock_at(sessions: async_sessionmaker[AsyncSession], shift_clock: Any, moment: datetime) -> None:
    """Move the database clock so that 'now' is about `moment` (tests run on fixed dates)."""
    async with sessions() as session:
        current = await db_now(session)
        offset = await get_clock_offset(session)
    await shift_clock(offset + (moment - current))


def tender_body(orgs: dict[str, str], deadline: datetime, **changes: Any) -> dict[str, Any]:
    """A lawful 工程 tender body (rules 1, 10, 13-15, 33 satisfied)."""
    body: dict[str, Any] = {
        "title": "测试道路工程施工招标",
        "title_en": "Test road works",
        "description": "道路施工",
        "category": "works",
        "legal_basis": "tendering_law",
        "tenderee_id": orgs["tenderee"],
        "bid_deadline": deadline.isoformat(),
        "lots": [{"title": "一标段", "estimated_value": "10000000", "bid_bond_amount": "200000"}],
        "bid_validity_days": 90,
        "evaluation_method": "综合评估法",
        "custodian_org_ids": [orgs["agency"], orgs["regulator"], orgs["notary"]],
        "escrow_quorum": 2,
        "committee_size": 5,
    }
    body.update(changes)
    return body


async def create_draft(client: httpx.AsyncClient, body: dict[str, Any], with_document: bool = True) -> str:
    """Create a draft (and upload one document) as the demo agency; returns its id."""
    headers = await auth(client, "agency")
    response = await client.post("/api/tenders", json=body, headers=headers)
    assert response.status_code == 201, response.text
    tender_id: str = response.json()["id"]
    if with_document:
        upload = await client.post(
            f"/api/tenders/{tender_id}/documents",
            params={"title": "招标文件", "filename": "doc.txt"},
            content="招标文件正文".encode(),
            headers={**headers, "content-type": "text/plain"},
        )
        assert upload.status_code == 201, upload.text
    return tender_id


async def publish(client: httpx.AsyncClient, tender_id: str) -> httpx.Response:
    """Publish as the demo agency."""
    return await client.post(f"/api/tenders/{tender_id}/publish", headers=await auth(client, "agency"))


async def published_tender(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], days: int = 20, **changes: Any
) -> str:
    """A published tender whose deadline is `days` days from the DB clock."""
    orgs = await org_ids(client)
    tender_id = await create_draft(client, tender_body(orgs, (await now(sessions)) + timedelta(days=days), **changes))
    response = await publish(client, tender_id)
    assert response.status_code == 200, response.text
    return tender_id
