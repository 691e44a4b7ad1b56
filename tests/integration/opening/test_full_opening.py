"""A full opening over real websockets: four bidders, one never releases and is opened by a custodian quorum."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import subprocess
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bidding.opening.models import Opening
from core import chronograph
from core.calendar import beijing_zh
from core.journal import JournalEvent
from core.settings import Settings
from signing.pades import document_accepted, sign_pdf_async, validate_pdf_async
from signing.statements import sign_statement
from tests.support.api import auth, token_for
from tests.support.bids import certified_bidder, demo_tender, register_custodians, seal, submit
from tests.support.opening import hall, move_clock_past, open_share, share_release


def _pdf_text(pdf: bytes, path: Path) -> str:
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.fail("pdftotext is missing: install the Debian package poppler-utils")
    path.write_bytes(pdf)
    return subprocess.run([pdftotext, str(path), "-"], capture_output=True, check=True, text=True).stdout


PRICES = {"bidder1": "11800000.00", "bidder2": "11650000.00", "bidder3": "11900000.00", "bidder4": "11720000.00"}


async def test_full_opening(
    seeded: None, base: str, sessions: async_sessionmaker[AsyncSession], settings: Settings, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        custodian_ids = await register_custodians(client)
        tender = await demo_tender(client)
        tid = tender["id"]
        bidders = {name: await certified_bidder(client, name) for name in PRICES}
        for name, bidder in bidders.items():
            sealed = await seal(client, bidder, tid, price=PRICES[name])
            assert (await submit(client, bidder, tid, sealed)).status_code == 201
        deadline = datetime.fromisoformat(tender["bid_deadline"])
        await move_clock_past(sessions, deadline, timedelta(seconds=1))
        tokens = {name: await token_for(client, name) for name in [*PRICES, "agency", "regulator"]}

        async with (
            hall(base, tid) as public,
            hall(base, tid, tokens["agency"]) as host,
            hall(base, tid, tokens["bidder1"]) as b1,
            hall(base, tid, tokens["bidder2"]) as b2,
            hall(base, tid, tokens["bidder3"]) as b3,
        ):
            assert (host.welcome["role"], b1.welcome["role"], public.welcome["role"]) == ("host", "bidder", "public")
            await chronograph.tick(sessions)
            started = await public.until("opening.started")
            assert [lot["failed"] for lot in started["data"]["lots"]] == [False, True]
            assert (await b1.until("bid.sealed"))["data"]["lot"] == 1
            assert (await b1.request({"type": "sign_in"}))["ok"]
            for name, ws in (("bidder1", b1), ("bidder2", b2), ("bidder3", b3)):
                reply = await ws.request({"type": "release", "identity": bidders[name].identity.secret})
                assert reply["ok"], reply
                assert (await ws.until("bid.decrypted"))["data"]["sheet"]["price"] == PRICES[name]
            wrong = await b1.request({"type": "release", "identity": bidders["bidder2"].identity.secret})
            assert wrong["type"] == "error"
            assert wrong["problem"]["code"] == "identity-mismatch"
            objection = await b2.request({"type": "objection", "text": "请确认第四投标人的解密情况"})
            await host.until("objection.raised")
            answer = {"type": "answer", "objection": objection["result"]["objection"], "text": "已记录，窗口结束后处理"}
            assert (await host.request(answer))["ok"]
            await public.until("objection.answered")
            await public.drain()
            assert "reading" not in public.kinds()
            assert all("price" not in str(m["data"]) for m in public.messages)
            view = (await client.get(f"/api/openings/{tid}")).json()
            assert view["status"] == "decrypting"
            assert all(b["price"] is None for b in view["bids"])

            opening = view
            await move_clock_past(sessions, datetime.fromisoformat(opening["window_closes_at"]), timedelta(seconds=1))
            await chronograph.tick(sessions)
            escrow_started = await public.until("escrow.started")
            pending_bid = escrow_started["data"]["bids"][0]["bid"]
            assert "reading" not in public.kinds()

            for custodian in ("agency", "notary"):
                person = await certified_bidder(client, custodian)
                shares = (await client.get(f"/api/openings/{tid}/escrow", headers=person.headers)).json()
                assert [s["bid"] for s in shares] == [pending_bid]
                share = open_share(shares[0]["sealed"], custodian_ids[custodian])
                body = share_release(person, tid, pending_bid, share)
                done = await client.post(f"/api/openings/{tid}/escrow/{pending_bid}", json=body, headers=person.headers)
                assert done.status_code == 200, done.text
            assert done.json() == {"released": 2, "quorum": 2, "opened": True, "announced": True}

            reading = await public.until("reading")
            rows = {r["bidder_name"]: r for r in reading["data"]["bids"]}
            assert sorted(r["price"] for r in rows.values()) == sorted(PRICES.values())
            assert {r["status"] for r in rows.values()} == {"decrypted", "escrow_opened"}
            assert all(r["guarantee"] == "none" for r in rows.values())
            seqs = [m["seq"] for m in public.messages]
            assert seqs == sorted(seqs)

        async with sessions() as session:
            opened = (await session.scalars(select(JournalEvent).where(JournalEvent.event_type == "bid.opened"))).all()
            releases = (
                await session.scalars(select(JournalEvent).where(JournalEvent.event_type == "escrow.share_released"))
            ).all()
        assert len(opened) == 4
        assert len(releases) == 2
        assert set(opened[0].payload) == {"tender", "lot", "bidder", "price", "files", "client", "guarantee_applicant"}
        assert opened[0].payload["lot"] == 1
        assert isinstance(opened[0].payload["price"], str)

        agency = await certified_bidder(client, "agency")
        rendered = await client.get(f"/api/openings/{tid}/record.pdf", headers=agency.headers)
        assert rendered.status_code == 200
        assert rendered.content.startswith(b"%PDF")
        record_text = await asyncio.to_thread(_pdf_text, rendered.content, tmp_path / "unsigned.pdf")
        async with sessions() as session:
            started_at = await session.scalar(select(Opening.started_at).where(Opening.tender_id == uuid.UUID(tid)))
        assert started_at is not None
        assert f"开标时间（投标截止时间）：{beijing_zh(started_at)}" in record_text, record_text
        assert "+00:00" not in record_text
        root = x509.load_pem_x509_certificate((settings.platform_key_dir / "ca" / "ca.pem").read_bytes())
        signed = await sign_pdf_async(rendered.content, agency.key, agency.certificate, [root], reason="开标记录")
        forged = await sign_pdf_async(rendered.content, bidders["bidder1"].key, bidders["bidder1"].certificate, [root])
        refused = await client.post(f"/api/openings/{tid}/record", content=forged, headers=agency.headers)
        assert refused.status_code == 422, refused.text
        published = await client.post(f"/api/openings/{tid}/record", content=signed, headers=agency.headers)
        assert published.status_code == 200, published.text
        public_pdf = (await client.get(f"/api/openings/{tid}/record")).content
        assert public_pdf == signed
        assert document_accepted(await validate_pdf_async(public_pdf, [root]))

        b1 = bidders["bidder1"]
        payload = {
            "type": "sunbid.opening-record-confirmation/v1",
            "tender": tid,
            "bidder": b1.organization_id,
            "record_sha256": hashlib.sha256(public_pdf).hexdigest(),
            "verdict": "confirm",
        }
        statement = sign_statement(payload, b1.key, b1.certificate).to_json()
        confirmed = await client.post(
            f"/api/openings/{tid}/record/confirmations",
            json={"statement": statement},
            headers=await auth(client, "bidder1"),
        )
        assert confirmed.status_code == 201, confirmed.text

    pdfsig = shutil.which("pdfsig")
    if pdfsig is None:
        pytest.fail("pdfsig is missing: install the Debian package poppler-utils")
    out = tmp_path / "record.pdf"
    out.write_bytes(public_pdf)
    shown = (
        await asyncio.to_thread(subprocess.run, [pdfsig, str(out)], capture_output=True, text=True, check=False)
    ).stdout
    assert "Signature is Valid." in shown, shown
