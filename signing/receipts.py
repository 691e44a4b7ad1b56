"""Platform receipts: statements signed by the platform's own receipt key, time-stamped, verifiable fully offline.

A receipt is a SignedStatement whose certificate carries the receipt EKU (no user certificate has it, so a bidder
cannot forge one with its own key from the same CA). The RFC 3161 token covers SHA-256 of the canonical payload
without the token itself. The file form is the statement's canonical wire JSON; the verifier insists on those exact
bytes, so changing any byte of a receipt file makes it fail.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

from signing.ca import SIGNING_KEY_USAGE, CertificateAuthority
from signing.key_files import Created, load_or_create, private_pem
from signing.statements import SignedStatement, StatementInvalid, canonical_json, sign_statement, verify_statement
from signing.tsa import TimeStampAuthority, TimestampInvalid, verify_timestamp_token_async

RECEIPT_EKU = ObjectIdentifier("2.25.299140372419906183712365183926398418011")
"""Extended key usage of the platform's receipt certificate (a UUID-derived OID, RFC 4122 section 4 / X.667)."""
TOKEN_FIELD = "timestamp_token"  # noqa: S105 (a field name, not a secret)
RECEIPT_VALIDITY = dt.timedelta(days=3650)
READ_CHUNK = 1024 * 1024


class ReceiptInvalid(ValueError):
    """The receipt, its time-stamp or the file it names does not verify; the message says which check failed."""


@dataclass(frozen=True)
class ReceiptSigner:
    """The platform's receipt key and certificate (issued by the platform CA), with the CA for the chain."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate


def issue_receipt_certificate(ca: CertificateAuthority, key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    """A leaf for the receipt key: digital signature only, with the receipt EKU and the CA's validity bound."""
    now = dt.datetime.now(dt.UTC)
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sunbid"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "Sunbid Receipt Authority"),
                ]
            )
        )
        .issuer_name(ca.certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + RECEIPT_VALIDITY, ca.certificate.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            SIGNING_KEY_USAGE,
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([RECEIPT_EKU]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )


def load_or_create_receipt_signer(directory: Path, ca: CertificateAuthority) -> ReceiptSigner:
    """The receipt key in directory (receipt.key mode 0600, receipt.pem), created and certified on first use."""

    def load() -> ReceiptSigner:
        key = serialization.load_pem_private_key((directory / "receipt.key").read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError(f"{directory / 'receipt.key'} is not an EC key")
        return ReceiptSigner(key, x509.load_pem_x509_certificate((directory / "receipt.pem").read_bytes()))

    def create() -> Created[ReceiptSigner]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = issue_receipt_certificate(ca, key)
        pem = cert.public_bytes(serialization.Encoding.PEM)
        return Created(ReceiptSigner(key, cert), {"receipt.key": private_pem(key)}, {"receipt.pem": pem})

    return load_or_create(directory, ["receipt.key", "receipt.pem"], load, create)


def token_digest(payload: dict[str, Any]) -> bytes:
    """What the time-stamp token imprints: SHA-256 of the canonical payload without the token."""
    return hashlib.sha256(canonical_json({k: v for k, v in payload.items() if k != TOKEN_FIELD})).digest()


async def issue_receipt(signer: ReceiptSigner, tsa: TimeStampAuthority, payload: dict[str, Any]) -> SignedStatement:
    """Time-stamp the payload, add the token, sign the whole; call only once the receipted data is durable."""
    if TOKEN_FIELD in payload:
        raise ValueError(f"the payload must not carry {TOKEN_FIELD!r} yet")
    token = await tsa.timestamp_digest(token_digest(payload))
    body = {**payload, TOKEN_FIELD: base64.b64encode(token).decode()}
    return sign_statement(body, signer.key, signer.certificate)


def _require_receipt_certificate(cert: x509.Certificate) -> None:
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usages = None
    if usages is None or RECEIPT_EKU not in usages:
        raise ReceiptInvalid("the receipt is not signed by a platform receipt certificate")


def parse_receipt(data: bytes) -> SignedStatement:
    """The statement, only if data is exactly its canonical wire form (no byte may differ)."""
    try:
        stmt = SignedStatement.from_json(data)
    except StatementInvalid as exc:
        raise ReceiptInvalid(f"not a receipt: {exc.reason}") from exc
    if stmt.to_json().encode() != data:
        raise ReceiptInvalid("the receipt file is not in its canonical form (it was altered)")
    try:
        cert = stmt.certificate
        reencoded = cert.public_bytes(serialization.Encoding.PEM).decode()
        _ = (cert.issuer, cert.subject, cert.extensions, cert.public_key(), cert.signature_hash_algorithm)
    except StatementInvalid as exc:
        raise ReceiptInvalid(exc.reason) from exc
    except Exception as exc:  # untrusted DER: whatever the parser raises, the receipt is invalid
        raise ReceiptInvalid(f"the receipt's certificate does not parse: {exc}") from exc
    if reencoded != stmt.certificate_pem:
        raise ReceiptInvalid("the receipt's certificate is not in its canonical PEM form (it was altered)")
    return stmt


@dataclass(frozen=True)
class VerifiedReceipt:
    """A receipt that verified: its payload and the TSA's genTime."""

    payload: dict[str, Any]
    timestamped_at: dt.datetime


def _signed_parts(data: bytes, trust_roots: Sequence[x509.Certificate]) -> tuple[dict[str, Any], bytes]:
    """The cheap checks first (exact bytes, signature, chain, EKU), so any altered byte fails fast."""
    stmt = parse_receipt(data)
    try:
        payload = verify_statement(stmt, list(trust_roots))
        _require_receipt_certificate(stmt.certificate)
    except StatementInvalid as exc:
        raise ReceiptInvalid(f"the platform signature does not verify: {exc.reason}") from exc
    except (TypeError, UnsupportedAlgorithm) as exc:
        raise ReceiptInvalid(f"the receipt's certificate is unusable: {exc}") from exc
    except ValueError as exc:
        if isinstance(exc, ReceiptInvalid):
            raise
        raise ReceiptInvalid(f"the receipt's certificate does not parse: {exc}") from exc
    raw = payload.get(TOKEN_FIELD)
    if not isinstance(raw, str):
        raise ReceiptInvalid("the receipt carries no time-stamp token")
    try:
        return payload, base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:  # a non-ASCII string raises ValueError
        raise ReceiptInvalid("the time-stamp token is not base64") from exc


async def verify_receipt_async(
    data: bytes,
    trust_roots: Sequence[x509.Certificate],
    tsa_roots: Sequence[x509.Certificate] | None = None,
) -> VerifiedReceipt:
    """Offline: exact bytes, platform signature to a trusted root, receipt EKU, and the time-stamp token."""
    payload, token = _signed_parts(data, trust_roots)
    try:
        when = await verify_timestamp_token_async(token, token_digest(payload), list(tsa_roots or trust_roots))
    except TimestampInvalid as exc:
        raise ReceiptInvalid(f"the time-stamp token does not verify: {exc}") from exc
    return VerifiedReceipt(payload, when)


def verify_receipt(
    data: bytes,
    trust_roots: Sequence[x509.Certificate],
    tsa_roots: Sequence[x509.Certificate] | None = None,
) -> VerifiedReceipt:
    """verify_receipt_async for callers outside an event loop (the CLI)."""
    return asyncio.run(verify_receipt_async(data, trust_roots, tsa_roots))


def file_digest(stream: BinaryIO) -> tuple[str, int]:
    """Hex SHA-256 and size of a stream, read in large chunks."""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(READ_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def check_receipted_file(payload: dict[str, Any], path: Path) -> None:
    """The file is byte for byte the ciphertext the receipt names (hash and size)."""
    with path.open("rb") as fh:
        sha256, size = file_digest(fh)
    if sha256 != payload.get("sha256") or size != payload.get("size"):
        raise ReceiptInvalid(f"{path.name} is not the receipted ciphertext (SHA-256 or size differs)")
