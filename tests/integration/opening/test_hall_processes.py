"""The hall across processes: two `sunbid serve` instances on one database, and SIGKILL inside the window."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support.api import auth, token_for
from tests.support.live import Launch
from tests.support.opening import hall, opening_state, tender_with_bids

TICK = {"SUNBID_CHRONOGRAPH_INTERVAL_SECONDS": "0.5"}


async def test_a_message_made_on_one_instance_reaches_a_client_of_the_other(
    launch: Launch, sessions: async_sessionmaker[AsyncSession]
) -> None:
    a, b = await asyncio.gather(launch(**TICK), launch(**TICK))
    async with httpx.AsyncClient(base_url=a.url, timeout=60) as via_a, httpx.AsyncClient(base_url=b.url) as via_b:
        tid, _bidders, _custodians = await tender_with_bids(via_a, sessions)
        await opening_state(a.url, tid)
        async with hall(a.url, tid, await token_for(via_a, "bidder1")) as b1:
            await b1.until("opening.started")
            said = await via_b.post(
                f"/api/openings/{tid}/announcements", json={"text": "B 发布的公告"}, headers=await auth(via_b, "agency")
            )
            assert said.status_code == 200, said.text
            heard = await b1.until("host.announcement", 5)
            assert heard["data"]["text"] == "B 发布的公告"
            assert heard["seq"] == said.json()["seq"]

            objection = await b1.request({"type": "objection", "text": "请核对"})
            assert objection["ok"], objection
            oid = objection["result"]["objection"]
            answered = await via_b.post(
                f"/api/openings/{tid}/objections/{oid}/answer",
                json={"text": "已核对"},
                headers=await auth(via_b, "agency"),
            )
            assert answered.status_code == 200, answered.text
            assert (await b1.until("objection.answered", 5))["data"]["answer"] == "已核对"
            async with hall(a.url, tid, await token_for(via_a, "bidder4")) as outsider:  # no bid in this opening
                refused = await outsider.request({"type": "objection", "text": "旁听者的异议"})
                assert refused["type"] == "error", refused
                assert "opening's bidders" in refused["problem"]["detail"]
            await b1.drain(0.3)
            truth = await via_b.get(f"/api/openings/{tid}/messages?after=0", headers=await auth(via_b, "bidder1"))
            assert [m["seq"] for m in b1.messages] == [m["seq"] for m in truth.json()]


async def test_sigkill_inside_the_window_resumes_with_the_same_deadline(
    launch: Launch, sessions: async_sessionmaker[AsyncSession]
) -> None:
    server = await launch(**TICK)
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        tid, bidders, _custodians = await tender_with_bids(client, sessions)
    before = await opening_state(server.url, tid)
    assert before["status"] == "decrypting"

    await asyncio.to_thread(server.kill)
    await asyncio.to_thread(server.start)
    after = await opening_state(server.url, tid)
    assert after["status"] == "decrypting"
    assert after["window_closes_at"] == before["window_closes_at"]

    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        token = await token_for(client, "bidder1")
    async with hall(server.url, tid, token) as b1:
        assert b1.welcome["status"] == "decrypting"
        reply = await b1.request({"type": "release", "identity": bidders["bidder1"].identity.secret})
        assert reply["ok"], reply
        assert (await b1.until("bid.decrypted"))["data"]["sheet"]["price"] == "1.00"
        assert [m["kind"] for m in b1.messages].count("opening.started") == 1
