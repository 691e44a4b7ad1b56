"""Helpers for bid tests: certified bidder keys, custodian age identities, sealing and submitting through the API."""

from __future__ import annotations

import base64
import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from signing.ca import load_or_create_ca, make_csr
from signing.envelope import AgeIdentity, generate_identity
from signing.receipts import load_or_create_receipt_signer
from signing.sealed_bid import (
    Custodian,
    OpeningSheet,
    escrow_bundle,
    seal_package,
    submission_payload,
    withdrawal_payload,
)
from signing.statements import sign_statement
from signing.tsa import load_or_create_tsa
from tests.support.api import auth

CUSTODIAN_USERS = ("agency", "regulator", "notary")


def prepare_platform_keys(directory: Path) -> Path:
    """CA, TSA (RSA, slow to generate) and receipt key made once, copied into each test's data dir."""
    ca = load_or_create_ca(directory / "ca", "Sunbid Development CA")
    load_or_create_tsa(directory / "tsa", ca)
    load_or_create_receipt_signer(directory / "receipts", ca)
    return directory


def install_platform_keys(cache: Path, platform_key_dir: Path) -> None:
    """Copy the cached platform keys where the app looks for them."""
    shutil.copytree(cache, platform_key_dir, dirs_exist_ok=True)


@dataclass
class Bidder:
    """A demo bidder with a certified signing key and a per-tender age identity."""

    username: str
    headers: dict[str, str]
    organization_id: str
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    identity: AgeIdentity = field(default_factory=generate_identity)


async def certified_bidder(client: httpx.AsyncClient, username: str) -> Bidder:
    """Sign in, generate a key here, have the platform certify it."""
    headers = await auth(client, username)
    me = (await client.get("/api/auth/me", headers=headers)).json()
    key = ec.generate_private_key(ec.SECP256R1())
    issued = await client.post("/api/keys/certificates", json={"csr_pem": make_csr(key, username)}, headers=headers)
    assert issued.status_code == 201, issued.text
    cert = x509.load_pem_x509_certificate(issued.json()["certificate_pem"].encode())
    return Bidder(username, headers, me["organization_id"], key, cert)


async def register_custodians(client: httpx.AsyncClient) -> dict[str, AgeIdentity]:
    """Each demo custodian registers a fresh age recipient; the identities stay with the test."""
    out = {}
    for username in CUSTODIAN_USERS:
        identity = generate_identity()
        response = await client.post(
            "/api/keys/age-recipients",
            json={"recipient": identity.recipient, "label": "custodian"},
            headers=await auth(client, username),
        )
        assert response.status_code in (200, 201), response.text
        out[username] = identity
    return out


async def demo_tender(client: httpx.AsyncClient) -> dict[str, Any]:
    """The seeded, published demo tender."""
    tenders = (await client.get("/api/tenders")).json()
    published = [t for t in tenders if t["status"] == "published"]
    assert published, tenders
    tender: dict[str, Any] = published[0]
    return tender


def package_bytes(tender: str, lot: int, bidder: str, price: str = "11800000.00") -> bytes:
    """A small bid package (manifest + one file, 技术标.txt) built in memory."""
    import hashlib
    import tempfile

    from signing.sealed_bid import write_package

    content = f"技术标 of {bidder} for lot {lot}: {price}".encode()
    manifest = {
        "format": "sunbid-bid-package/v1",
        "tender": tender,
        "lot": lot,
        "bidder": bidder,
        "opening_sheet": OpeningSheet(price, 365, "合格").as_json(),
        "files": [{"name": "技术标.txt", "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}],
    }
    out = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        document = Path(folder) / "技术标.txt"
        document.write_bytes(content)
        write_package(manifest, [document], out)
    return out.getvalue()


@dataclass(frozen=True)
class SealedBid:
    """What a bidder uploads: ciphertext, escrow bundle and the escrow recipient (for checks only)."""

    ciphertext: bytes
    escrow: bytes


async def seal(client: httpx.AsyncClient, bidder: Bidder, tender: str, lot: int = 1, price: str = "1.00") -> SealedBid:
    """Seal a package to the bidder's identity and a fresh escrow identity split among the custodians."""
    info = (await client.get(f"/api/bids/escrow/{tender}", headers=bidder.headers)).json()
    escrow = generate_identity()
    out = io.BytesIO()
    seal_package(
        io.BytesIO(package_bytes(tender, lot, bidder.organization_id, price)),
        out,
        [bidder.identity.recipient, escrow.recipient],
    )
    custodians = [Custodian(c["organization_id"], c["recipient"]) for c in info["custodians"]]
    return SealedBid(out.getvalue(), escrow_bundle(escrow, custodians, info["quorum"]))


def submission_headers(
    bidder: Bidder,
    tender: str,
    lot: int,
    sealed: SealedBid,
    version: int,
    *,
    override: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Headers of an upload: the signed statement and the escrow bundle (fields overridable to test refusals)."""
    import hashlib

    payload = submission_payload(
        tender=tender,
        lot=lot,
        bidder=bidder.organization_id,
        sha256=hashlib.sha256(sealed.ciphertext).hexdigest(),
        size=len(sealed.ciphertext),
        recipient=bidder.identity.recipient,
        version=version,
        escrow=sealed.escrow,
    )
    payload.update(override or {})
    statement = sign_statement(payload, bidder.key, bidder.certificate)
    return {
        **bidder.headers,
        "sunbid-statement": base64.b64encode(statement.to_json().encode()).decode(),
        "sunbid-escrow": base64.b64encode(sealed.escrow).decode(),
        "content-type": "application/octet-stream",
    }


async def submit(
    client: httpx.AsyncClient, bidder: Bidder, tender: str, sealed: SealedBid, *, lot: int = 1, version: int = 1
) -> httpx.Response:
    """POST /api/bids with the ciphertext as the raw body."""
    headers = submission_headers(bidder, tender, lot, sealed, version)
    return await client.post("/api/bids", content=sealed.ciphertext, headers=headers)


def withdrawal_statement(bidder: Bidder, bid: dict[str, Any]) -> str:
    """The signed withdrawal statement for one bid version."""
    payload = withdrawal_payload(
        bid=bid["id"], tender=bid["tender_id"], lot=bid["lot"], bidder=bid["bidder_org_id"], version=bid["version"]
    )
    return sign_statement(payload, bidder.key, bidder.certificate).to_json()
