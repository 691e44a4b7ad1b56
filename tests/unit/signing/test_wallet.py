"""The client wallet: encrypted at rest, 0600 files, wrong passphrases refused, identities kept by label."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from signing.ca import create_ca, issue_certificate, make_csr
from signing.envelope import recipient_of
from signing.wallet import (
    IDENTITIES_FILE,
    KEY_FILE,
    META_FILE,
    UnknownLabel,
    Wallet,
    WalletError,
    WalletExists,
    WalletLocked,
    WalletNotFound,
)

PASS = "correct horse battery staple 马"
FAST = 14


def _create(path: Path) -> Wallet:
    return Wallet.create(path, PASS, scrypt_log_n=FAST)


def _public(wallet: Wallet) -> bytes:
    return wallet.signing_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_create_then_open_restores_keys_and_identities(tmp_path: Path) -> None:
    wallet = _create(tmp_path / "alice")
    recipient = wallet.new_age_identity("bid:T-2025-001")
    wallet.new_age_identity("custodian:T-2025-001")
    reopened = Wallet.open(tmp_path / "alice", PASS)
    assert _public(reopened) == _public(wallet)
    assert reopened.labels() == ["bid:T-2025-001", "custodian:T-2025-001"]
    assert recipient_of(reopened.age_identity("bid:T-2025-001")) == recipient
    assert reopened.age_recipient("bid:T-2025-001") == recipient
    assert "AGE-SECRET" not in repr(reopened)


def test_default_cost_wallet_opens(tmp_path: Path) -> None:
    Wallet.create(tmp_path / "w", PASS)
    assert json.loads((tmp_path / "w" / META_FILE).read_text())["scrypt"]["log_n"] == 17
    assert Wallet.open(tmp_path / "w", PASS).labels() == []


def test_wrong_passphrase_is_locked(tmp_path: Path) -> None:
    _create(tmp_path / "w")
    with pytest.raises(WalletLocked):
        Wallet.open(tmp_path / "w", PASS + "!")


def test_files_are_private(tmp_path: Path) -> None:
    wallet = _create(tmp_path / "w")
    wallet.new_age_identity("bid:T1")
    assert stat.S_IMODE((tmp_path / "w").stat().st_mode) == 0o700
    for name in (META_FILE, KEY_FILE, IDENTITIES_FILE):
        assert stat.S_IMODE((tmp_path / "w" / name).stat().st_mode) == 0o600, name
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == sorted([META_FILE, KEY_FILE, IDENTITIES_FILE])


def test_secrets_are_not_on_disk_in_the_clear(tmp_path: Path) -> None:
    wallet = _create(tmp_path / "w")
    wallet.new_age_identity("bid:T1")
    key = wallet.signing_key
    scalar = key.private_numbers().private_value.to_bytes(32, "big")
    clear_der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    on_disk = b"".join(p.read_bytes() for p in (tmp_path / "w").iterdir())
    pem = (tmp_path / "w" / KEY_FILE).read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert scalar not in on_disk
    assert clear_der not in on_disk
    assert clear_der[-65:] not in on_disk
    assert wallet.age_identity("bid:T1").encode() not in on_disk
    assert b"AGE-SECRET-KEY" not in on_disk
    assert PASS.encode() not in on_disk
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(pem, password=None)
    with pytest.raises(ValueError, match=r"Incorrect password|Bad decrypt"):
        serialization.load_pem_private_key(pem, password=PASS.encode())


def test_certificate_is_stored_only_for_the_wallet_key(tmp_path: Path) -> None:
    wallet = _create(tmp_path / "w")
    assert wallet.certificate is None
    ca = create_ca("Sunbid Test CA")

    def issue(csr: str) -> x509.Certificate:
        return issue_certificate(ca, csr, common_name="甲公司", organization="甲公司", organization_identifier="9111X")

    other = _create(tmp_path / "other")
    with pytest.raises(WalletError, match="another key"):
        wallet.store_certificate(issue(make_csr(other.signing_key, "x")).public_bytes(serialization.Encoding.PEM))
    with pytest.raises(WalletError, match="PEM"):
        wallet.store_certificate("junk")
    cert = issue(make_csr(wallet.signing_key, "x"))
    wallet.store_certificate(cert.public_bytes(serialization.Encoding.PEM).decode())
    reopened = Wallet.open(tmp_path / "w", PASS)
    assert reopened.certificate == cert
    assert reopened.certificate.not_valid_after_utc > dt.datetime.now(dt.UTC)


def test_labels_are_unique_and_checked(tmp_path: Path) -> None:
    wallet = _create(tmp_path / "w")
    wallet.new_age_identity("bid:T1")
    with pytest.raises(WalletExists):
        wallet.new_age_identity("bid:T1")
    with pytest.raises(UnknownLabel):
        wallet.age_identity("bid:T2")
    for bad in ("", "has space", "line\nbreak", "x" * 200):
        with pytest.raises(ValueError, match="invalid label"):
            wallet.new_age_identity(bad)


def test_existing_or_missing_wallets(tmp_path: Path) -> None:
    _create(tmp_path / "w")
    with pytest.raises(WalletExists):
        _create(tmp_path / "w")
    with pytest.raises(WalletNotFound):
        Wallet.open(tmp_path / "nowhere", PASS)
    with pytest.raises(ValueError, match="passphrase"):
        Wallet.create(tmp_path / "empty-pass", "")


def test_weakened_or_swapped_files_are_refused(tmp_path: Path) -> None:
    _create(tmp_path / "a")
    _create(tmp_path / "b")
    meta_path = tmp_path / "a" / META_FILE
    meta = json.loads(meta_path.read_text())
    meta["scrypt"]["log_n"] = 4
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(WalletError, match="scrypt cost"):
        Wallet.open(tmp_path / "a", PASS)
    (tmp_path / "b" / IDENTITIES_FILE).write_bytes(b"\x00" * 64)
    with pytest.raises(WalletError, match="corrupt"):
        Wallet.open(tmp_path / "b", PASS)
