"""Signed statements: ES256 signatures over RFC 8785 (JCS) canonical JSON, with the signer's X.509 certificate.

The signature covers the exact payload bytes; a verifier accepts only bytes that are already canonical, so one
statement has exactly one byte form and its hash can be logged and compared.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from signing import jcs

ALGORITHM = "ES256"
_FIELDS = frozenset({"alg", "payload", "signature", "certificate"})


class StatementInvalid(ValueError):
    """The statement does not verify; reason says which check failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def canonical_json(payload: dict[str, Any]) -> bytes:
    """RFC 8785 bytes of payload; refuses values JCS cannot represent (NaN, integers beyond 2^53)."""
    if not isinstance(payload, dict):
        raise TypeError("a statement payload is a JSON object")
    try:
        return jcs.dumps(payload)
    except rfc8785.CanonicalizationError as exc:
        raise ValueError(f"payload is not representable as canonical JSON: {exc}") from exc


@dataclass(frozen=True)
class SignedStatement:
    """Canonical payload bytes, a DER ECDSA P-256/SHA-256 signature over them, and the signer certificate."""

    payload: bytes
    signature: bytes
    certificate_pem: str
    algorithm: str = ALGORITHM

    def to_json(self) -> str:
        """Canonical JSON with base64 payload and signature, so the wire form is stable too."""
        return jcs.dumps(
            {
                "alg": self.algorithm,
                "payload": base64.b64encode(self.payload).decode(),
                "signature": base64.b64encode(self.signature).decode(),
                "certificate": self.certificate_pem,
            }
        ).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> SignedStatement:
        """Parse the wire form; raises StatementInvalid on any structural error."""
        try:
            data = jcs.loads(text)
        except (ValueError, RecursionError) as exc:
            raise StatementInvalid("the statement is not JSON (or is nested too deeply)") from exc
        if not isinstance(data, dict) or set(data) != _FIELDS:
            raise StatementInvalid(f"the statement must have exactly the fields {sorted(_FIELDS)}")
        if not all(isinstance(data[f], str) for f in _FIELDS):
            raise StatementInvalid("the statement's fields must be strings")
        try:
            payload = base64.b64decode(data["payload"], validate=True)
            signature = base64.b64decode(data["signature"], validate=True)
        except (binascii.Error, ValueError) as exc:  # a non-ASCII string raises ValueError
            raise StatementInvalid("payload or signature is not base64") from exc
        return cls(payload, signature, data["certificate"], data["alg"])

    @property
    def certificate(self) -> x509.Certificate:
        """The signer certificate (parsed on demand; StatementInvalid if it is not PEM)."""
        return load_certificate(self.certificate_pem)


CERTIFICATE_CACHE = 4096
"""Parsed certificates and chain checks kept per process: a bidder signs every submission with one certificate, so
a deadline rush re-parses and re-verifies the same few hundred certificates (results depend only on the bytes)."""


@functools.lru_cache(maxsize=CERTIFICATE_CACHE)
def load_certificate(pem: str) -> x509.Certificate:
    """A PEM certificate, parsed once per process (certificates are immutable; StatementInvalid if not PEM)."""
    try:
        return x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise StatementInvalid("the signer certificate is not a PEM certificate") from exc


def _require_p256(key: object, what: str) -> ec.EllipticCurvePublicKey:
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise StatementInvalid(f"{what} is not an ECDSA P-256 key")
    return key


def sign_statement(payload: dict[str, Any], key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> SignedStatement:
    """Sign payload's canonical bytes with key, which must be the key certified by cert."""
    certificate_pem = _certified_pem(key, cert)
    body = canonical_json(payload)
    signature = key.sign(body, ec.ECDSA(hashes.SHA256()))
    return SignedStatement(body, signature, certificate_pem)


@functools.lru_cache(maxsize=64)
def _certified_pem(key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> str:
    """The PEM of cert, once it is checked to certify key (the platform signs every receipt with one key)."""
    if not isinstance(key.curve, ec.SECP256R1):
        raise TypeError("ES256 needs a P-256 key")
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if key.public_key().public_bytes(der, spki) != cert.public_key().public_bytes(der, spki):
        raise ValueError("the certificate does not certify this signing key")
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _check_validity(cert: x509.Certificate, at: dt.datetime, what: str) -> None:
    if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
        raise StatementInvalid(f"the {what} certificate is not valid at {at.isoformat()}")


@functools.lru_cache(maxsize=CERTIFICATE_CACHE)
def _check_signer_usage(cert: x509.Certificate) -> None:
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is not None and constraints.ca:
        raise StatementInvalid("a CA certificate cannot sign statements")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not (usage.digital_signature or usage.content_commitment):
        raise StatementInvalid("the signer certificate's key usage does not allow signatures")


@functools.lru_cache(maxsize=CERTIFICATE_CACHE)
def _issuers(cert: x509.Certificate, trust_roots: tuple[x509.Certificate, ...]) -> tuple[x509.Certificate, ...]:
    """The roots whose signature on cert verifies (a pure function of the bytes, so it is cached)."""
    found = []
    for root in trust_roots:
        if cert.issuer != root.subject:
            continue
        try:
            cert.verify_directly_issued_by(root)
        except (ValueError, TypeError, InvalidSignature):
            continue
        found.append(root)
    return tuple(found)


def _check_issued_by_root(cert: x509.Certificate, trust_roots: list[x509.Certificate], at: dt.datetime) -> None:
    for root in _issuers(cert, tuple(trust_roots)):
        _check_validity(root, at, "trust root")
        return
    raise StatementInvalid("the signer certificate was not issued by a trusted root")


def verify_statement(
    stmt: SignedStatement, trust_roots: list[x509.Certificate], at: dt.datetime | None = None
) -> dict[str, Any]:
    """The payload, once the signature, canonical form, issuing root and validity at `at` (default now) check."""
    if at is None:
        at = dt.datetime.now(dt.UTC)
    elif at.tzinfo is None:
        raise ValueError("`at` must be timezone-aware")
    if stmt.algorithm != ALGORITHM:
        raise StatementInvalid(f"unsupported algorithm {stmt.algorithm!r}, expected {ALGORITHM}")
    cert = stmt.certificate
    public_key = _require_p256(cert.public_key(), "the signer certificate's key")
    try:
        public_key.verify(stmt.signature, stmt.payload, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise StatementInvalid("the signature does not verify") from exc
    try:
        payload = jcs.loads(stmt.payload)
    except (ValueError, RecursionError) as exc:
        raise StatementInvalid("the payload is not UTF-8 JSON (or is nested too deeply)") from exc
    if not isinstance(payload, dict):
        raise StatementInvalid("the payload is not a JSON object")
    try:
        canonical = jcs.dumps(payload)
    except rfc8785.CanonicalizationError as exc:
        raise StatementInvalid("the payload holds values canonical JSON cannot represent") from exc
    if canonical != stmt.payload:
        raise StatementInvalid("the payload bytes are not RFC 8785 canonical")
    _check_signer_usage(cert)
    _check_validity(cert, at.astimezone(dt.UTC), "signer")
    _check_issued_by_root(cert, trust_roots, at.astimezone(dt.UTC))
    return payload
