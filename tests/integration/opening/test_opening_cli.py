"""The opening from the terminal against a real `sunbid serve`: a bidder releases with `opening join --release`,
custodians open a silent bidder's bid with `escrow release`, the agency signs the record with `opening sign-record`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from click.testing import CliRunner, Result
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from signing.ca import make_csr
from signing.envelope import AgeIdentity
from signing.wallet import Wallet
from sunbid.cli import cli
from sunbid.cli.bid import bid_label
from sunbid.seed import DEMO_PASSWORD
from tests.support.api import auth
from tests.support.bids import CUSTODIAN_USERS, demo_tender
from tests.support.live import Launch
from tests.support.opening import move_clock_past, opening_state, tender_with_bids

PASSPHRASE = "wallet passphrase"


async def _wallet(client: httpx.AsyncClient, wallet_dir: Path, username: str) -> Wallet:
    """A local wallet whose key the platform certified, as `sunbid keys init` leaves it."""
    wallet = Wallet.create(wallet_dir / username, PASSPHRASE, scrypt_log_n=14)
    headers = await auth(client, username)
    issued = await client.post(
        "/api/keys/certificates", json={"csr_pem": make_csr(wallet.signing_key, username)}, headers=headers
    )
    assert issued.status_code == 201, issued.text
    wallet.store_certificate(issued.json()["certificate_pem"])
    return wallet


async def _run(*args: str) -> Result:
    result = await asyncio.to_thread(CliRunner().invoke, cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


async def test_release_escrow_and_record_from_the_cli(
    launch: Launch, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    server = await launch(SUNBID_CHRONOGRAPH_INTERVAL_SECONDS="0.5")
    wallets = tmp_path / "wallets"
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        for username in CUSTODIAN_USERS:
            wallet = await _wallet(client, wallets, username)
            recipient = wallet.new_age_identity("custodian")
            registered = await client.post(
                "/api/keys/age-recipients",
                json={"recipient": recipient, "label": "custodian"},
                headers=await auth(client, username),
            )
            assert registered.status_code in (200, 201), registered.text
        tid = (await demo_tender(client))["id"]
        bidder3 = await _wallet(client, wallets, "bidder3")
        label = bid_label(tid, 1)
        recipient = bidder3.new_age_identity(label)
        identity = AgeIdentity(bidder3.age_identity(label), recipient)
        tid, _bidders, _ = await tender_with_bids(client, sessions, identities={"bidder3": identity}, register=False)
    await opening_state(server.url, tid, "decrypting")

    common = ("--server", server.url, "--password", DEMO_PASSWORD, "--passphrase", PASSPHRASE)
    common += ("--wallet-dir", str(wallets), "--tender", tid)
    joined = await _run("opening", "join", "-u", "bidder3", *common, "--release", "--until", "bid.decrypted")
    assert "opening.started" in joined.output
    assert "bid.decrypted" in joined.output
    assert '"price":"1.00"' in joined.output

    state = await opening_state(server.url, tid)
    await move_clock_past(sessions, datetime.fromisoformat(state["window_closes_at"]), timedelta(seconds=1))
    await opening_state(server.url, tid, "escrow")
    first = await _run("escrow", "release", "-u", "agency", *common)
    assert "1/2 shares released" in first.output
    assert first.output.count("shares released") == 2
    second = await _run("escrow", "release", "-u", "notary", *common)
    assert second.output.count("2/2 shares released, opened") == 2
    await opening_state(server.url, tid, "announced")

    signed = await _run("opening", "sign-record", "-u", "agency", *common)
    assert "published" in signed.output
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.get(f"/api/openings/{tid}/record")).content.startswith(b"%PDF")
