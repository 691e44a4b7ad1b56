"""A bid sealed by the Debian `age` tool is accepted, and opens later with the bidder's key or a custodian quorum."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from signing.envelope import generate_identity, open_stream
from signing.sealed_bid import Custodian, escrow_bundle, read_manifest
from signing.shamir import combine_age_identity
from tests.support.bids import (
    SealedBid,
    certified_bidder,
    demo_tender,
    package_bytes,
    register_custodians,
    submission_headers,
)


def _age() -> str:
    path = shutil.which("age")
    if path is None:
        pytest.fail("`age` not found: install the Debian package `age`")
    return path


def _open(ciphertext: bytes, identity: str) -> bytes:
    out = io.BytesIO()
    open_stream(io.BytesIO(ciphertext), out, identity)
    return out.getvalue()


async def test_a_bid_sealed_with_the_age_cli_is_accepted_and_opens(
    client: httpx.AsyncClient, seeded: None, tmp_path: Path
) -> None:
    custodians = await register_custodians(client)
    tender = (await demo_tender(client))["id"]
    bidder = await certified_bidder(client, "bidder1")
    info = (await client.get(f"/api/bids/escrow/{tender}", headers=bidder.headers)).json()
    package = tmp_path / "bid.tar"
    package.write_bytes(package_bytes(tender, 1, bidder.organization_id, price="9870000.00"))
    escrow = generate_identity()
    sealed_file = tmp_path / "bid.age"
    command = [_age(), "-r", bidder.identity.recipient, "-r", escrow.recipient, "-o", str(sealed_file), str(package)]
    await asyncio.to_thread(subprocess.run, command, check=True, capture_output=True)
    bundle = escrow_bundle(escrow, [Custodian(c["organization_id"], c["recipient"]) for c in info["custodians"]], 2)
    del escrow
    sealed = SealedBid(sealed_file.read_bytes(), bundle)
    response = await client.post(
        "/api/bids", content=sealed.ciphertext, headers=submission_headers(bidder, tender, 1, sealed, 1)
    )
    assert response.status_code == 201, response.text
    bid = response.json()["bid"]
    stored = (await client.get(f"/api/bids/{bid['id']}/ciphertext", headers=bidder.headers)).content
    assert hashlib.sha256(stored).hexdigest() == bid["sha256"]

    manifest = read_manifest(io.BytesIO(_open(stored, bidder.identity.secret)))
    assert manifest["tender"] == tender
    assert manifest["opening_sheet"]["price"] == "9870000.00"

    by_org = {c["organization_id"]: c for c in info["custodians"]}
    quorum = []
    for share in json.loads(bundle)["shares"][:2]:
        holder = next(
            u for u, ident in custodians.items() if ident.recipient == by_org[share["custodian"]]["recipient"]
        )
        quorum.append(_open(base64.b64decode(share["sealed"]), custodians[holder].secret).decode())
    rebuilt = combine_age_identity(quorum)
    assert read_manifest(io.BytesIO(_open(stored, rebuilt))) == manifest
