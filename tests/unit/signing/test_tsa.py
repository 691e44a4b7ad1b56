"""The platform TSA issues RFC 3161 tokens that verify offline only for the stamped digest and a trusted TSA."""

from __future__ import annotations

import datetime as dt
import hashlib
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from signing.ca import CertificateAuthority, create_ca
from signing.tsa import (
    TimeStampAuthority,
    TimestampInvalid,
    load_or_create_tsa,
    verify_timestamp_token,
    verify_timestamp_token_async,
)

DIGEST = hashlib.sha256(b"sealed bid ciphertext").digest()


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return create_ca("Sunbid Test Root")


@pytest.fixture(scope="module")
def tsa(ca: CertificateAuthority, tmp_path_factory: pytest.TempPathFactory) -> TimeStampAuthority:
    return load_or_create_tsa(tmp_path_factory.mktemp("tsa"), ca)


async def test_token_verifies_for_its_digest(ca: CertificateAuthority, tsa: TimeStampAuthority) -> None:
    before = dt.datetime.now(dt.UTC)
    token = await tsa.timestamp_digest(DIGEST)
    gen_time = await verify_timestamp_token_async(token, DIGEST, [ca.certificate])
    assert before - dt.timedelta(seconds=1) <= gen_time <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    assert gen_time.tzinfo is not None


async def test_token_fails_for_another_digest(ca: CertificateAuthority, tsa: TimeStampAuthority) -> None:
    token = await tsa.timestamp_digest(DIGEST)
    with pytest.raises(TimestampInvalid, match="message imprint"):
        await verify_timestamp_token_async(token, hashlib.sha256(b"another bid").digest(), [ca.certificate])


async def test_token_fails_for_an_untrusted_tsa(tsa: TimeStampAuthority) -> None:
    token = await tsa.timestamp_digest(DIGEST)
    with pytest.raises(TimestampInvalid, match="trust root"):
        await verify_timestamp_token_async(token, DIGEST, [create_ca("Someone Else").certificate])


def test_sync_verify_and_garbage(ca: CertificateAuthority, tsa: TimeStampAuthority) -> None:
    import asyncio

    token = asyncio.run(tsa.timestamp_digest(DIGEST))
    assert verify_timestamp_token(token, DIGEST, [ca.certificate]) <= dt.datetime.now(dt.UTC)
    with pytest.raises(TimestampInvalid, match="not DER"):
        verify_timestamp_token(b"not a token", DIGEST, [ca.certificate])


async def test_digest_must_be_sha256_sized(tsa: TimeStampAuthority) -> None:
    with pytest.raises(ValueError, match="32-byte"):
        await tsa.timestamp_digest(b"short")


def test_tsa_is_persisted_and_certified_for_time_stamping(ca: CertificateAuthority, tmp_path: Path) -> None:
    first = load_or_create_tsa(tmp_path, ca)
    second = load_or_create_tsa(tmp_path, ca)
    assert first.certificate == second.certificate
    assert stat.S_IMODE((tmp_path / "tsa.key").stat().st_mode) == 0o600
    assert first.certificate is not None
    eku = first.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert first.certificate.issuer == ca.certificate.subject


def test_new_tsa_keys_are_ecdsa_and_an_existing_rsa_key_still_serves(ca: CertificateAuthority, tmp_path: Path) -> None:
    """P-256 for new installs (the receipt path's cost); RSA keys from earlier installs keep working."""
    import asyncio

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    from signing.ca import issue_timestamping_certificate

    fresh = load_or_create_tsa(tmp_path / "fresh", ca)
    assert fresh.certificate is not None
    assert isinstance(fresh.certificate.public_key(), ec.EllipticCurvePublicKey)
    old = tmp_path / "old"
    old.mkdir()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = issue_timestamping_certificate(ca, key.public_key(), common_name="Earlier TSA")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (old / "tsa.key").write_bytes(pem)
    (old / "tsa.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    for authority in (fresh, load_or_create_tsa(old, ca)):
        token = asyncio.run(authority.timestamp_digest(DIGEST))
        assert verify_timestamp_token(token, DIGEST, [ca.certificate]) <= dt.datetime.now(dt.UTC)
        tampered = bytearray(token)
        tampered[-10] ^= 0x01
        with pytest.raises(TimestampInvalid):
            verify_timestamp_token(bytes(tampered), DIGEST, [ca.certificate])
