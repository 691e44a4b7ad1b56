"""A client that drops and comes back with `hello {last_seq}` gets exactly what it missed, read from the database."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import chronograph
from tests.support.api import auth, token_for
from tests.support.opening import hall, tender_with_bids


async def test_reconnect_replays_exactly_the_missed_messages(
    seeded: None, base: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        tid, bidders, _custodians = await tender_with_bids(client, sessions)
        agency = await auth(client, "agency")
        b1_token = await token_for(client, "bidder1")
        async with hall(base, tid, b1_token) as b1:
            await chronograph.tick(sessions)
            await b1.until("opening.started")
            await b1.until("bid.sealed")
            await b1.drain(0.3)
            seen = [m["seq"] for m in b1.messages]
        last = seen[-1]

        for text in ("第一条公告", "第二条公告"):
            said = await client.post(f"/api/openings/{tid}/announcements", json={"text": text}, headers=agency)
            assert said.status_code == 200, said.text
        released = await client.post(
            f"/api/openings/{tid}/release",
            json={"identity": bidders["bidder2"].identity.secret},
            headers=await auth(client, "bidder2"),
        )
        assert released.status_code == 200, released.text
        b1_headers = {"Authorization": f"Bearer {b1_token}"}
        missed = (await client.get(f"/api/openings/{tid}/messages?after={last}", headers=b1_headers)).json()
        assert [m["kind"] for m in missed].count("host.announcement") == 2
        assert "bid.decrypted" not in [m["kind"] for m in missed]

        async with hall(base, tid, b1_token, last_seq=last) as again:
            replayed = list(again.messages)
            assert [m["seq"] for m in replayed] == [m["seq"] for m in missed]
            assert [m["data"] for m in replayed] == [m["data"] for m in missed]
            assert again.welcome["last_seq"] == missed[-1]["seq"]
            said = await client.post(f"/api/openings/{tid}/announcements", json={"text": "第三条"}, headers=agency)
            assert said.status_code == 200, said.text
            await again.next()
            await again.drain(0.3)
            fresh = again.messages[len(replayed) :]
            assert [m["data"]["text"] for m in fresh if m["kind"] == "host.announcement"] == ["第三条"]
            assert fresh[0]["seq"] > missed[-1]["seq"]
        all_seqs = seen + [m["seq"] for m in again.messages]
        assert len(all_seqs) == len(set(all_seqs))
