"""Issue 7 into issue 8 with nothing simulated: a real opening hall, a drawn panel scoring the opened bids, the report
signed by all five (the last one through `sunbid evaluation sign-report`), candidates ranked from the read prices."""

from __future__ import annotations

import asyncio
import hashlib
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import chronograph
from core.journal import JournalEvent
from evaluation.scoring.rules import q
from signing.wallet import Wallet
from sunbid.cli import cli
from sunbid.seed import DEMO_PASSWORD
from tests.integration.evaluation.helpers import KEYS
from tests.integration.evaluation.panel import (
    certify_all,
    import_pool,
    pdfsig_valid,
    review_and_score,
    run_draw,
    seat_drawn,
    sign_report,
)
from tests.support.api import auth, token_for
from tests.support.bids import certified_bidder, demo_tender, register_custodians, seal, submit
from tests.support.opening import hall, move_clock_past

PRICES = {"bidder1": "11800000.00", "bidder2": "11650000.00", "bidder3": "11900000.00", "bidder4": "11720000.00"}
SUBJECTIVE = {
    "bidder1": {"technical": 27, "commercial": 9},
    "bidder2": {"technical": 21, "commercial": 6},
    "bidder3": {"technical": 29, "commercial": 9},
    "bidder4": {"technical": 24, "commercial": 7},
}
PASSPHRASE = "expert wallet passphrase"


def _wallets(directory: Path, usernames: list[str]) -> dict[str, Wallet]:
    """Each pool expert's local wallet; its key is the one the tests certify and sign with."""
    wallets = {}
    for username in usernames:
        wallet = Wallet.create(directory / username, PASSPHRASE, scrypt_log_n=14)
        KEYS[username] = wallet.signing_key
        wallets[username] = wallet
    return wallets


def _expected_order(read: dict[str, str]) -> list[str]:
    """The ranking the law gives from the prices read in the hall: base/price x 60 + the members' subjective mean."""
    base = min(Decimal(p) for p in read.values())
    finals = {
        name: q(q(base / Decimal(price) * 60) + sum(Decimal(v) for v in SUBJECTIVE[name].values()))
        for name, price in read.items()
    }
    return sorted(finals, key=lambda n: (-finals[n], Decimal(read[n])))


async def _cli(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), catch_exceptions=False)


async def test_real_opening_to_signed_report_and_candidates(
    seeded: None, app: Litestar, base: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        pool = await import_pool(client, sessions, 7)
        wallets = _wallets(tmp_path / "wallets", list(pool))
        await register_custodians(client)
        tender = await demo_tender(client)
        tid = tender["id"]
        bidders = {name: await certified_bidder(client, name) for name in PRICES}
        for name, bidder in bidders.items():
            sealed = await seal(client, bidder, tid, price=PRICES[name])
            assert (await submit(client, bidder, tid, sealed)).status_code == 201
        await move_clock_past(sessions, datetime.fromisoformat(tender["bid_deadline"]), timedelta(seconds=1))
        tokens = {name: await token_for(client, name) for name in PRICES}

        async with AsyncExitStack() as stack:
            public = await stack.enter_async_context(hall(base, tid))
            halls = {name: await stack.enter_async_context(hall(base, tid, tokens[name])) for name in PRICES}
            await chronograph.tick(sessions)
            await public.until("opening.started")
            for name, ws in halls.items():
                reply = await ws.request({"type": "release", "identity": bidders[name].identity.secret})
                assert reply["ok"], reply
            reading = await public.until("reading", 30)
        read = {r["bidder"]: r["price"] for r in reading["data"]["bids"]}
        org_of = {name: b.organization_id for name, b in bidders.items()}
        assert read == {org_of[n]: p for n, p in PRICES.items()}
        assert (await client.get(f"/api/tenders/{tid}")).json()["status"] == "opened"

        await run_draw(client, app, sessions, tid)
        everyone = await certify_all(client, list(pool))
        experts = await seat_drawn(client, tid, everyone)
        assert len(experts) == 5
        for username, expert in everyone.items():
            pem = expert.certificate.public_bytes(serialization.Encoding.PEM)
            wallets[username].store_certificate(pem)
        assert (await client.get(f"/api/tenders/{tid}")).json()["status"] == "evaluating"
        first = next(iter(experts.values()))
        shown = (await client.get(f"/api/evaluations/{tid}/bids", headers=first.headers)).json()
        assert {b["bidder"]: b["price"] for b in shown} == read
        assert {b["bidder_name"] for b in shown} == {r["bidder_name"] for r in reading["data"]["bids"]}
        files_url = f"/api/evaluations/{tid}/files"
        for bid in shown:
            assert bid["files"], bid
            for listed in bid["files"]:
                query = {"lot": bid["lot"], "bidder": bid["bidder"], "name": listed["name"]}
                got = await client.get(files_url, params=query, headers=first.headers)
                assert got.status_code == 200, got.text
                assert hashlib.sha256(got.content).hexdigest() == listed["sha256"]
        some = {"lot": shown[0]["lot"], "bidder": shown[0]["bidder"], "name": shown[0]["files"][0]["name"]}
        outsider = next(e for name, e in everyone.items() if name not in experts)
        assert (await client.get(files_url, params=some, headers=outsider.headers)).status_code == 404
        assert (await client.get(files_url, params=some, headers=await auth(client, "bidder1"))).status_code == 403
        missing = await client.get(files_url, params={**some, "name": "../etc/passwd"}, headers=first.headers)
        assert missing.status_code == 404

        *api_scorers, cli_scorer = list(experts)
        await review_and_score(client, tid, {u: experts[u] for u in api_scorers}, org_of, criteria=SUBJECTIVE)
        signed_in = ("--server", base, "-u", cli_scorer, "--password", DEMO_PASSWORD, "--tender", tid)
        wallet = ("--passphrase", PASSPHRASE, "--wallet-dir", str(tmp_path / "wallets"))
        fetched = await _cli("evaluation", "bids", *signed_in, "--out", str(tmp_path / "files"))
        assert fetched.exit_code == 0, fetched.output
        downloaded = sorted(p for p in (tmp_path / "files").rglob("*") if p.is_file())
        assert len(downloaded) == sum(len(b["files"]) for b in shown)
        for name, org in org_of.items():
            reviewed = await _cli("evaluation", "review", *signed_in, "--bidder", org, "--pass")
            assert reviewed.exit_code == 0, reviewed.output
            points = [f"--criterion={k}={v}" for k, v in SUBJECTIVE[name].items()]
            scored = await _cli("evaluation", "score", *signed_in, *wallet, "--bidder", org, *points)
            assert scored.exit_code == 0, scored.output
            assert "scored and signed" in scored.output
        report = await client.post(f"/api/evaluations/{tid}/report", headers=first.headers)
        assert report.status_code == 201, report.text
        lot = report.json()["results"]["lots"][0]
        by_org = {v: k for k, v in org_of.items()}
        assert [by_org[r["bidder"]] for r in lot["ranking"]] == _expected_order(PRICES)
        assert [c["rank"] for c in lot["candidates"]] == [1, 2, 3]
        assert {r["bidder"]: r["price"] for r in lot["ranking"]} == read

        *api_signers, cli_signer = list(experts)
        for username in api_signers:
            signed = await sign_report(client, tid, experts[username])
            assert signed.status_code == 201, signed.text
            assert signed.json()["status"] == "signing"
        outsider = next(u for u in pool if u not in experts)
        common = ("--server", base, "--password", DEMO_PASSWORD, "--passphrase", PASSPHRASE)
        common += ("--wallet-dir", str(tmp_path / "wallets"), "--tender", tid)
        refused = await _cli("evaluation", "sign-report", "-u", outsider, *common)
        assert refused.exit_code == 1, refused.output
        assert "404" in refused.output
        no_wallet = await _cli("evaluation", "sign-report", "-u", "expert1", *common)
        assert no_wallet.exit_code == 1, no_wallet.output
        assert "sunbid keys init" in no_wallet.output
        done = await _cli("evaluation", "sign-report", "-u", cli_signer, *common, "--dissent", "技术分偏高，保留意见")
        assert done.exit_code == 0, done.output
        assert "report status signed" in done.output

        agency = await auth(client, "agency")
        final = (await client.get(f"/api/evaluations/{tid}/report", headers=agency)).json()
        assert final["status"] == "signed"
        pdf = (await client.get(f"/api/evaluations/{tid}/report/pdf", headers=agency)).content
        pdfsig_valid(pdf, tmp_path, 5)
        awards = (await client.get(f"/api/awards/{tid}")).json()
        assert [c["bidder"] for c in awards[0]["candidates"]] == [c["bidder"] for c in lot["candidates"]]
        assert (await client.get(f"/api/tenders/{tid}")).json()["status"] == "candidates_publicized"

    async with sessions() as session:
        kinds = [
            e.event_type
            for e in (
                await session.scalars(
                    select(JournalEvent).where(JournalEvent.payload["tender"].astext == tid).order_by(JournalEvent.seq)
                )
            ).all()
        ]
        signed_events = (
            await session.scalars(select(JournalEvent).where(JournalEvent.event_type == "evaluation.report_signed"))
        ).all()
    assert kinds.index("opening.announced") < kinds.index("evaluation.draw_committed")
    assert kinds.count("bid.opened") == 4
    assert kinds.count("evaluation.score_signed") == 20
    assert sorted(e.payload["seat"] for e in signed_events if "seat" in e.payload) == [1, 2, 3, 4, 5]
    assert any(e.payload.get("dissent") == "技术分偏高，保留意见" for e in signed_events)
