"""Signed statements: ES256 over canonical JSON, checked against trust roots and validity dates."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import replace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from signing.ca import CertificateAuthority, create_ca, issue_certificate, make_csr
from signing.statements import SignedStatement, StatementInvalid, sign_statement, verify_statement

NOW = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
PAYLOAD = {"tender": "T-2025-001", "lot": 1, "bidder": "91310000MA1FL0001X", "sha256": "ab" * 32, "size": 10}


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return create_ca("Sunbid Test CA", now=NOW - dt.timedelta(days=1))


def bidder_certified_by(ca: CertificateAuthority) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = issue_certificate(
        ca,
        make_csr(key, "bidder"),
        common_name="某某建设有限公司",
        organization="某某建设有限公司",
        organization_identifier="91310000MA1FL0001X",
        validity=dt.timedelta(days=30),
        now=NOW,
    )
    return key, cert


@pytest.fixture(scope="module")
def signer(ca: CertificateAuthority) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    return bidder_certified_by(ca)


def test_round_trip_through_json(
    ca: CertificateAuthority, signer: tuple[ec.EllipticCurvePrivateKey, x509.Certificate]
) -> None:
    key, cert = signer
    payload = {**PAYLOAD, "note": "投标", "price": 12.5}
    stmt = SignedStatement.from_json(sign_statement(payload, key, cert).to_json())
    assert stmt.algorithm == "ES256"
    assert stmt.payload.startswith(b'{"bidder":')
    assert verify_statement(stmt, [ca.certificate], at=NOW) == payload


def test_tampered_payload_fails_the_signature(
    ca: CertificateAuthority, signer: tuple[ec.EllipticCurvePrivateKey, x509.Certificate]
) -> None:
    stmt = sign_statement(PAYLOAD, *signer)
    forged = replace(stmt, payload=stmt.payload.replace(b'"size":10', b'"size":11'))
    with pytest.raises(StatementInvalid, match="signature"):
        verify_statement(forged, [ca.certificate], at=NOW)


@pytest.mark.parametrize(
    "body",
    [
        b'{"b":1,"a":2}',
        b'{"a": 2}',
        b'{"a":2.0}',
        b'{"a":1,"a":1}',
        b'{"a":"\\u00e9"}',
        b'{"a":NaN}',
        b"[1,2]",
    ],
)
def test_non_canonical_bytes_are_refused_even_when_signed(
    body: bytes, ca: CertificateAuthority, signer: tuple[ec.EllipticCurvePrivateKey, x509.Certificate]
) -> None:
    key, cert = signer
    stmt = replace(
        sign_statement({"a": 1}, key, cert), payload=body, signature=key.sign(body, ec.ECDSA(hashes.SHA256()))
    )
    with pytest.raises(StatementInvalid):
        verify_statement(stmt, [ca.certificate], at=NOW)


def test_signer_must_chain_to_a_trust_root(signer: tuple[ec.EllipticCurvePrivateKey, x509.Certificate]) -> None:
    stmt = sign_statement(PAYLOAD, *signer)
    impostor = create_ca("Sunbid Test CA", now=NOW - dt.timedelta(days=1))
    with pytest.raises(StatementInvalid, match="trusted root"):
        verify_statement(stmt, [impostor.certificate], at=NOW)
    with pytest.raises(StatementInvalid, match="trusted root"):
        verify_statement(stmt, [], at=NOW)


def test_validity_is_checked_at_the_given_time(
    ca: CertificateAuthority, signer: tuple[ec.EllipticCurvePrivateKey, x509.Certificate]
) -> None:
    stmt = sign_statement(PAYLOAD, *signer)
    assert verify_statement(stmt, [ca.certificate], at=NOW + dt.timedelta(days=29)) == PAYLOAD
    for when in (NOW + dt.timedelta(days=31), NOW - dt.timedelta(hours=1)):
        with pytest.raises(StatementInvalid, match="not valid"):
            verify_statement(stmt, [ca.certificate], at=when)
    with pytest.raises(ValueError, match="timezone"):
        verify_statement(stmt, [ca.certificate], at=NOW.replace(tzinfo=None))


def test_a_ca_certificate_cannot_sign_statements(ca: CertificateAuthority) -> None:
    stmt = sign_statement(PAYLOAD, ca.key, ca.certificate)
    with pytest.raises(StatementInvalid, match="CA certificate"):
        verify_statement(stmt, [ca.certificate], at=NOW)


def test_signing_refuses_a_key_the_certificate_does_not_certify(
    signer: tuple[ec.EllipticCurvePrivateKey, x509.Certificate],
) -> None:
    with pytest.raises(ValueError, match="does not certify"):
        sign_statement(PAYLOAD, ec.generate_private_key(ec.SECP256R1()), signer[1])
    with pytest.raises(ValueError, match="canonical"):
        sign_statement({"x": float("nan")}, *signer)


def test_malformed_wire_forms_are_refused(signer: tuple[ec.EllipticCurvePrivateKey, x509.Certificate]) -> None:
    good = json.loads(sign_statement(PAYLOAD, *signer).to_json())
    for bad in (
        "not json",
        "[]",
        json.dumps({**good, "extra": "x"}),
        json.dumps({**good, "payload": "%%%"}),
        json.dumps({**good, "signature": 5}),
    ):
        with pytest.raises(StatementInvalid):
            SignedStatement.from_json(bad)
    with pytest.raises(StatementInvalid, match="PEM"):
        _ = SignedStatement.from_json(json.dumps({**good, "certificate": "junk"})).certificate


def test_other_algorithms_are_refused(
    ca: CertificateAuthority, signer: tuple[ec.EllipticCurvePrivateKey, x509.Certificate]
) -> None:
    stmt = replace(sign_statement(PAYLOAD, *signer), algorithm="ES384")
    with pytest.raises(StatementInvalid, match="algorithm"):
        verify_statement(stmt, [ca.certificate], at=NOW)


def test_wire_form_is_canonical(signer: tuple[ec.EllipticCurvePrivateKey, x509.Certificate]) -> None:
    text = sign_statement(PAYLOAD, *signer).to_json()
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert json.loads(base64.b64decode(data["payload"])) == PAYLOAD


def test_cached_chain_checks_do_not_carry_over_to_another_certificate_or_root(
    ca: CertificateAuthority, signer: tuple[ec.EllipticCurvePrivateKey, x509.Certificate]
) -> None:
    """Chain results are cached per certificate and root set; a forged look-alike or another root gets no pass."""
    genuine = sign_statement(PAYLOAD, *signer)
    assert verify_statement(genuine, [ca.certificate], at=NOW) == PAYLOAD
    impostor = create_ca("Sunbid Test CA", now=NOW - dt.timedelta(days=1))
    key, forged_certificate = bidder_certified_by(impostor)
    forged = sign_statement(PAYLOAD, key, forged_certificate)
    assert forged_certificate.issuer == signer[1].issuer
    for _ in range(2):
        with pytest.raises(StatementInvalid, match="trusted root"):
            verify_statement(forged, [ca.certificate], at=NOW)
        with pytest.raises(StatementInvalid, match="trusted root"):
            verify_statement(genuine, [impostor.certificate], at=NOW)
        assert verify_statement(genuine, [ca.certificate], at=NOW) == PAYLOAD
