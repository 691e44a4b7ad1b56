"""Against a real `sunbid serve`: the bidder CLI end to end, and SIGKILL in the middle of concurrent uploads."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from signing.ca import make_csr
from signing.envelope import generate_identity, open_stream, recipient_of
from signing.receipts import verify_receipt
from signing.sealed_bid import (
    PACKAGE_FORMAT,
    Custodian,
    escrow_bundle,
    read_manifest,
    seal_package,
    write_package,
)
from signing.wallet import Wallet
from sunbid.cli import cli
from sunbid.cli.bid import bid_label, escrow_path
from sunbid.seed import DEMO_PASSWORD
from tests.support.bids import Bidder, install_platform_keys, submission_headers
from tests.support.db import EmbeddedCluster
from tests.support.live import LiveServer

CUSTODIANS = ("agency", "regulator", "notary")


def _login(url: str, username: str) -> dict[str, str]:
    token = httpx.post(url + "/api/auth/login", json={"username": username, "password": DEMO_PASSWORD}).json()
    return {"Authorization": f"Bearer {token['token']}"}


def _register_custodians(url: str) -> None:
    for username in CUSTODIANS:
        recipient = generate_identity().recipient
        response = httpx.post(
            url + "/api/keys/age-recipients", json={"recipient": recipient}, headers=_login(url, username)
        )
        assert response.status_code in (200, 201), response.text


def _tender(url: str) -> str:
    tender: str = next(t["id"] for t in httpx.get(url + "/api/tenders").json() if t["status"] == "published")
    return tender


@pytest.fixture
def live(cluster: EmbeddedCluster, tmp_path: Path, platform_keys: Path) -> Iterator[LiveServer]:
    """A seeded database served by a subprocess with the session's platform keys."""
    name = asyncio.run(cluster.clone(seeded=True))
    data_dir = tmp_path / "var"
    install_platform_keys(platform_keys, data_dir / "platform")
    server = LiveServer(cluster.url(name), data_dir).start()
    _register_custodians(server.url)
    yield server
    server.stop()
    asyncio.run(cluster.drop(name))


def test_bidder_cli_seals_submits_verifies_and_withdraws(
    live: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tender = _tender(live.url)
    runner = CliRunner()
    common = ["--server", live.url, "-u", "bidder1", "--password", DEMO_PASSWORD, "--passphrase", "pw-bidder1"]
    wallets = ["--wallet-dir", str(tmp_path / "wallets")]
    done = runner.invoke(cli, ["keys", "init", *common, *wallets])
    assert done.exit_code == 0, done.output
    doc = tmp_path / "技术标.txt"
    doc.write_text("施工组织设计\n" * 100, encoding="utf-8")
    sealed = tmp_path / "bid.age"
    seal_args = ["--tender", tender, "--lot", "1", "--price", "11800000.00", "--duration", "365"]
    done = runner.invoke(
        cli, ["bid", "seal", *common, *wallets, *seal_args, "--quality", "合格", "--out", str(sealed), str(doc)]
    )
    assert done.exit_code == 0, done.output
    done = runner.invoke(cli, ["bid", "submit", *common, *wallets, "--tender", tender, "--lot", "1", str(sealed)])
    assert done.exit_code == 0, done.output
    receipt = sealed.with_name("bid.age.receipt.json")
    ca = live.data_dir / "platform" / "ca" / "ca.pem"
    ok = runner.invoke(cli, ["receipt", "verify", str(receipt), "--bid", str(sealed), "--ca", str(ca)])
    assert ok.exit_code == 0, ok.output
    assert "receipt OK" in ok.output
    original = receipt.read_bytes()
    for position in (0, len(original) // 3, len(original) - 2):
        altered = bytearray(original)
        altered[position] ^= 0x01
        receipt.write_bytes(bytes(altered))
        bad = runner.invoke(cli, ["receipt", "verify", str(receipt), "--bid", str(sealed), "--ca", str(ca)])
        assert bad.exit_code != 0, position
        assert "INVALID" in bad.output
    receipt.write_bytes(original)
    data = bytearray(sealed.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered = tmp_path / "tampered.age"
    tampered.write_bytes(bytes(data))
    bad = runner.invoke(cli, ["receipt", "verify", str(receipt), "--bid", str(tampered), "--ca", str(ca)])
    assert bad.exit_code != 0

    wallet = Wallet.open(tmp_path / "wallets" / "bidder1", "pw-bidder1")
    plain = io.BytesIO()
    open_stream(io.BytesIO(sealed.read_bytes()), plain, wallet.age_identity(f"bid:{tender}:1"))
    plain.seek(0)
    assert read_manifest(plain)["opening_sheet"]["price"] == "11800000.00"
    bid_id = verify_receipt(original, [x509.load_pem_x509_certificate(ca.read_bytes())]).payload["bid"]
    monkeypatch.chdir(tmp_path)
    done = runner.invoke(cli, ["bid", "withdraw", *common, *wallets, "--bid", bid_id])
    assert done.exit_code == 0, done.output
    assert "withdrawn" in done.output
    kept = tmp_path / f"withdrawal-{bid_id}.receipt.json"
    shown = runner.invoke(cli, ["receipt", "verify", str(kept), "--ca", str(ca)])
    assert shown.exit_code == 0, shown.output
    assert f"withdrawal receipt OK: bid {bid_id} version 1" in shown.output
    assert "None" not in shown.output
    misused = runner.invoke(cli, ["receipt", "verify", str(kept), "--bid", str(sealed), "--ca", str(ca)])
    assert misused.exit_code != 0
    assert "names no ciphertext" in misused.output


def test_bidder_cli_refuses_a_bad_opening_sheet_and_a_file_sealed_for_another_lot(
    live: LiveServer, tmp_path: Path
) -> None:
    """Nobody can read the sheet before the opening, so the tool checks it; a bid for lot 2 never goes in as lot 1."""
    tender = _tender(live.url)
    runner = CliRunner()
    common = ["--server", live.url, "-u", "bidder2", "--password", DEMO_PASSWORD, "--passphrase", "pw-bidder2"]
    common += ["--wallet-dir", str(tmp_path / "wallets")]
    assert runner.invoke(cli, ["keys", "init", *common]).exit_code == 0
    doc = tmp_path / "offer.txt"
    doc.write_text("报价文件", encoding="utf-8")
    out = tmp_path / "lot2.age"

    def seal(*sheet: str, lot: str = "2") -> Any:
        args = ["bid", "seal", *common, "--tender", tender, "--lot", lot, *sheet, "--out", str(out), str(doc)]
        return runner.invoke(cli, args)

    for sheet, reason in (
        (("--price", "abc", "--duration", "300", "--quality", "合格"), "price 'abc'"),
        (("--price", "1e3", "--duration", "300", "--quality", "合格"), "price '1e3'"),
        (("--price", "-5", "--duration", "300", "--quality", "合格"), "price '-5'"),
        (("--price", "100.00", "--duration", "-5", "--quality", "合格"), "duration -5"),
    ):
        refused = seal(*sheet)
        assert refused.exit_code == 2, refused.output
        assert reason in refused.output
        assert not out.exists()
    refused = seal("--price", "100.00", "--duration", "300", "--quality", "合格", lot="7")
    assert refused.exit_code == 2, refused.output
    assert "has no lot 7 (its lots: 1, 2)" in refused.output
    assert not out.exists()

    sealed = seal("--price", "100.00", "--duration", "300", "--quality", "合格")
    assert sealed.exit_code == 0, sealed.output

    def submit(lot: str) -> Any:
        return runner.invoke(cli, ["bid", "submit", *common, "--tender", tender, "--lot", lot, str(out)])

    no_key = submit("1")
    assert no_key.exit_code == 1, no_key.output
    assert f"was not sealed here for tender {tender} lot 1" in no_key.output
    assert "no opening key for this lot" in no_key.output
    lot1 = seal("--price", "99.00", "--duration", "300", "--quality", "合格", lot="1")
    assert lot1.exit_code == 0, lot1.output  # the wallet now holds a lot-1 key, which cannot open the lot-2 file
    out.unlink()
    sealed = seal("--price", "100.00", "--duration", "300", "--quality", "合格")
    assert sealed.exit_code == 0, sealed.output
    wrong_key = submit("1")
    assert wrong_key.exit_code == 1, wrong_key.output
    assert "cannot open it" in wrong_key.output
    unreadable = _sealed_by_another_client(tmp_path, tender, "bidder2", "pw-bidder2", price="12,000")
    refused = runner.invoke(cli, ["bid", "submit", *common, "--tender", tender, "--lot", "2", str(unreadable)])
    assert refused.exit_code == 1, refused.output
    assert "could not be read out at the opening: price '12,000'" in refused.output
    accepted = submit("2")
    assert accepted.exit_code == 0, accepted.output
    mine = httpx.get(live.url + "/api/bids", headers=_login(live.url, "bidder2")).json()
    assert [(b["lot"], b["version"]) for b in mine] == [(2, 1)]


def _sealed_by_another_client(tmp_path: Path, tender: str, username: str, passphrase: str, price: str) -> Path:
    """A lot-2 bid sealed to the wallet's own opening key by other software that does not check the sheet."""
    wallet = Wallet.open(tmp_path / "wallets" / username, passphrase)
    recipient = recipient_of(wallet.age_identity(bid_label(tender, 2)))
    manifest = {
        "format": PACKAGE_FORMAT,
        "tender": tender,
        "lot": 2,
        "bidder": "",
        "opening_sheet": {"price": price, "duration_days": 300, "quality": "合格"},
        "files": [],
    }
    package = io.BytesIO()
    write_package(manifest, [], package)
    package.seek(0)
    sealed = tmp_path / "other-client.age"
    with sealed.open("wb") as out:
        seal_package(package, out, [recipient])
    escrow_path(sealed).write_bytes(escrow_path(tmp_path / "lot2.age").read_bytes())
    return sealed


def _bidder(url: str, username: str) -> Bidder:
    headers = _login(url, username)
    me = httpx.get(url + "/api/auth/me", headers=headers).json()
    key = ec.generate_private_key(ec.SECP256R1())
    issued = httpx.post(url + "/api/keys/certificates", json={"csr_pem": make_csr(key, username)}, headers=headers)
    cert = x509.load_pem_x509_certificate(issued.json()["certificate_pem"].encode())
    return Bidder(username, headers, me["organization_id"], key, cert)


def _sealed(url: str, bidder: Bidder, tender: str, size: int) -> Any:
    from tests.support.bids import SealedBid

    info = httpx.get(url + f"/api/bids/escrow/{tender}", headers=bidder.headers).json()
    escrow = generate_identity()
    out = io.BytesIO()
    seal_package(io.BytesIO(os.urandom(size)), out, [bidder.identity.recipient, escrow.recipient])
    custodians = [Custodian(c["organization_id"], c["recipient"]) for c in info["custodians"]]
    return SealedBid(out.getvalue(), escrow_bundle(escrow, custodians, info["quorum"]))


def _slow(data: bytes, delay: float) -> Iterator[bytes]:
    for start in range(0, len(data), 64 * 1024):
        yield data[start : start + 64 * 1024]
        time.sleep(delay)


def test_sigkill_mid_upload_leaves_every_bid_complete_or_absent(live: LiveServer, tmp_path: Path) -> None:
    tender = _tender(live.url)
    bidders = [_bidder(live.url, f"bidder{i}") for i in (1, 2, 3, 4)]
    bids = {b.username: _sealed(live.url, b, tender, 2 * 1024 * 1024) for b in bidders}
    outcomes: dict[str, Any] = {}

    def upload(bidder: Bidder, delay: float) -> None:
        sealed = bids[bidder.username]
        headers = {**submission_headers(bidder, tender, 1, sealed, 1), "content-length": str(len(sealed.ciphertext))}
        try:
            outcomes[bidder.username] = httpx.post(
                live.url + "/api/bids", content=_slow(sealed.ciphertext, delay), headers=headers, timeout=60
            ).status_code
        except httpx.HTTPError as exc:
            outcomes[bidder.username] = exc

    threads = [threading.Thread(target=upload, args=(b, 0.0 if i < 2 else 0.25)) for i, b in enumerate(bidders)]
    for thread in threads:
        thread.start()
    threads[0].join(5)
    assert "bidder1" in outcomes, "bidder1's 2 MB upload was not answered within 5 s"
    assert threads[3].is_alive(), "bidder4's slow upload (8 s) finished before the kill"
    live.kill()
    for thread in threads:
        thread.join(30)
    assert outcomes["bidder1"] == 201, outcomes
    assert isinstance(outcomes["bidder4"], httpx.HTTPError), outcomes

    blobs = live.data_dir / "blobs" / "bids"
    planted = blobs / "ab" / "cd" / ("ab" + "cd" + "0" * 60)
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_bytes(b"age-encryption.org/v1\n orphan")
    (blobs / "tmp" / "planted.part").write_bytes(b"partial")
    assert any((blobs / "tmp").iterdir())
    time.sleep(0.05)
    live.start()

    ca = [x509.load_pem_x509_certificate((live.data_dir / "platform" / "ca" / "ca.pem").read_bytes())]
    committed = set()
    for bidder in bidders:
        headers = _login(live.url, bidder.username)
        mine = httpx.get(live.url + "/api/bids", headers=headers).json()
        if outcomes[bidder.username] == 201:
            assert len(mine) == 1, bidder.username
        for bid in mine:
            receipt = httpx.get(live.url + f"/api/bids/{bid['id']}/receipt", headers=headers).content
            assert verify_receipt(receipt, ca).payload["sha256"] == bid["sha256"]
            stored = httpx.get(live.url + f"/api/bids/{bid['id']}/ciphertext", headers=headers).content
            assert stored == bids[bidder.username].ciphertext
            assert hashlib.sha256(stored).hexdigest() == bid["sha256"]
            committed.add(bid["sha256"])
    assert not list((blobs / "tmp").glob("*.part"))
    on_disk = {p.name for p in blobs.glob("??/??/*")}
    assert on_disk == committed
    sweep = httpx.post(live.url + "/api/bids/maintenance/sweep", headers=_login(live.url, "operator"))
    assert sweep.status_code == 200, sweep.text
