"""Public notices: the demo tender linked from the home page, Chinese and English pages, OCDS validated offline."""

from __future__ import annotations

import re
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.integration.trading.tender_helpers import published_tender
from tests.support.api import auth
from trading.notices.ocds import validate_package
from trading.notices.pages import local


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open an internet connection fails the test (Unix sockets to PostgreSQL still work)."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise AssertionError(f"network access attempted: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


async def test_acceptance_demo_notice_linked_from_home_renders_chinese_and_validates_offline(
    client: httpx.AsyncClient, seeded: None, no_network: None
) -> None:
    home = (await client.get("/")).text
    link = re.search(r'href="(/notices/[0-9a-f-]{36})\?lang=zh-CN"', home)
    assert link, home
    page = await client.get(link.group(1))
    assert page.status_code == 200
    assert 'lang="zh-CN"' in page.text
    for text in (
        "招标公告",
        "阳光县滨江大道改造工程施工招标",
        "投标截止时间",
        "阳光县城市建设投资有限公司",
        "第二标段",
    ):
        assert text in page.text, text
    assert "北京时间" in page.text
    english = await client.get(link.group(1) + "?lang=en")
    assert "Bid deadline" in english.text
    assert "Tender notice" in english.text
    assert "Sunshine County Urban Construction Investment Co." in english.text
    assert "阳光县城市建设投资有限公司" not in english.text
    assert "Beijing time, UTC+8" in english.text
    missing = await client.get(f"/notices/{uuid.uuid4()}?lang=en")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "There is no such notice." in missing.text
    notice_id = link.group(1).rsplit("/", 1)[1]
    package = (await client.get(f"/api/notices/{notice_id}/ocds")).json()
    report = validate_package(package)
    assert report["validation_errors"] == []
    release = package["releases"][0]
    assert release["tag"] == ["tender"]
    assert all(p["id"].startswith("CN-USCI-") for p in release["parties"])
    assert len(release["tender"]["items"]) == 2
    listing = await client.get("/notices")
    assert notice_id in listing.text


async def test_demo_tender_is_open_for_bids_with_lawful_terms(client: httpx.AsyncClient, seeded: None) -> None:
    tenders = (await client.get("/api/tenders")).json()
    demo = next(t for t in tenders if t["title"] == "阳光县滨江大道改造工程施工招标")
    assert demo["status"] == "published"
    assert demo["escrow_quorum"] == 2
    assert len(demo["custodian_org_ids"]) == 3
    assert all(lot["bid_bond_amount"] <= str(800_000) for lot in demo["lots"])


async def test_amendment_and_cancellation_notices_validate(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], no_network: None
) -> None:
    tender_id = await published_tender(client, sessions, days=25)
    headers = await auth(client, "agency")
    await client.post(
        f"/api/tenders/{tender_id}/amendments", json={"summary": "澄清", "description": "x"}, headers=headers
    )
    await client.post(f"/api/tenders/{tender_id}/cancel", json={"reason": "资金未落实"}, headers=headers)
    notices = [n for n in (await client.get("/api/notices")).json() if n["tender_id"] == tender_id]
    assert sorted(n["kind"] for n in notices) == ["amendment", "cancellation", "tender"]
    for notice in notices:
        assert (await client.get(notice["html_url"])).status_code == 200
        one = (await client.get(f"/api/notices/{notice['id']}")).json()
        assert one["kind"] == notice["kind"]
        package = (await client.get(notice["ocds_url"])).json()
        assert validate_package(package)["validation_errors"] == [], notice["kind"]
    cancelled = next(n for n in notices if n["kind"] == "cancellation")
    assert "资金未落实" in (await client.get(cancelled["html_url"])).text


async def test_an_earlier_notice_points_to_the_later_ones_and_the_deadline_now_in_force(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tender_id = await published_tender(client, sessions, days=25)
    headers = await auth(client, "agency")
    tender = (await client.get(f"/api/tenders/{tender_id}")).json()
    later = datetime.fromisoformat(tender["bid_deadline"]) + timedelta(days=7)
    amended = await client.post(
        f"/api/tenders/{tender_id}/amendments",
        json={"summary": "延期", "description": "投标截止时间推迟一周", "new_bid_deadline": later.isoformat()},
        headers=headers,
    )
    assert amended.status_code == 201, amended.text
    notices = {n["kind"]: n for n in (await client.get("/api/notices")).json() if n["tender_id"] == tender_id}
    original = (await client.get(notices["tender"]["html_url"])).text
    assert "请以最新公告为准" in original
    assert f'href="/notices/{notices["amendment"]["id"]}?lang=zh-CN"' in original
    assert f"现行投标截止时间: <strong>{local(later)}</strong>" in original
    english = (await client.get(notices["tender"]["html_url"] + "?lang=en")).text
    assert f"Current bid deadline: <strong>{local(later)}</strong>" in english
    newest = (await client.get(notices["amendment"]["html_url"])).text
    assert "请以最新公告为准" not in newest

    await client.post(f"/api/tenders/{tender_id}/cancel", json={"reason": "资金未落实"}, headers=headers)
    original = (await client.get(notices["tender"]["html_url"])).text
    assert "本项目已终止。" in original
    assert "现行投标截止时间" not in original
