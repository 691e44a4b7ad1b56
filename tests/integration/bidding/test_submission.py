"""Sealed bid submission: receipts that verify offline, versions, withdrawal, the deadline, and every refusal."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any

import httpx
from cryptography import x509
from litestar import Litestar

from core.settings import Settings
from signing.receipts import ReceiptInvalid, check_receipted_file, verify_receipt_async
from tests.support.api import assert_problem, auth
from tests.support.bids import (
    certified_bidder,
    demo_tender,
    register_custodians,
    seal,
    submission_headers,
    submit,
    withdrawal_statement,
)


def _ca(settings: Settings) -> list[x509.Certificate]:
    return [x509.load_pem_x509_certificate((settings.platform_key_dir / "ca" / "ca.pem").read_bytes())]


def _without_instance(response: httpx.Response) -> dict[str, Any]:
    return {k: v for k, v in response.json().items() if k != "instance"}


async def _setup(client: httpx.AsyncClient) -> tuple[str, Any]:
    await register_custodians(client)
    tender = await demo_tender(client)
    return tender["id"], await certified_bidder(client, "bidder1")


async def test_submission_returns_a_receipt_that_verifies_offline(
    client: httpx.AsyncClient, seeded: None, settings: Settings, tmp_path: Any
) -> None:
    tender, bidder = await _setup(client)
    sealed = await seal(client, bidder, tender)
    response = await submit(client, bidder, tender, sealed)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["bid"]["status"] == "submitted"
    assert body["bid"]["version"] == 1
    assert body["bid"]["sha256"] == hashlib.sha256(sealed.ciphertext).hexdigest()
    receipt = body["receipt"].encode()
    verified = await verify_receipt_async(receipt, _ca(settings))
    payload = verified.payload
    assert payload["bid"] == body["bid"]["id"]
    assert payload["tender"] == tender
    assert payload["lot_number"] == 1
    assert payload["bidder"] == bidder.organization_id
    assert payload["size"] == len(sealed.ciphertext)
    assert len(payload["ledger_commitment"]) == 64
    stored = await client.get(f"/api/bids/{body['bid']['id']}/receipt", headers=bidder.headers)
    assert stored.content == receipt
    bid_file = tmp_path / "bid.age"
    bid_file.write_bytes(sealed.ciphertext)
    check_receipted_file(payload, bid_file)
    download = await client.get(f"/api/bids/{body['bid']['id']}/ciphertext", headers=bidder.headers)
    assert download.content == sealed.ciphertext


async def test_any_changed_byte_of_the_receipt_or_the_bid_fails(
    client: httpx.AsyncClient, seeded: None, settings: Settings, tmp_path: Any
) -> None:
    tender, bidder = await _setup(client)
    sealed = await seal(client, bidder, tender)
    receipt = (await submit(client, bidder, tender, sealed)).json()["receipt"].encode()
    roots = _ca(settings)
    for position in range(len(receipt)):
        altered = bytearray(receipt)
        altered[position] ^= 0x01
        try:
            await verify_receipt_async(bytes(altered), roots)
        except ReceiptInvalid:
            continue
        raise AssertionError(f"a receipt with byte {position} changed still verified")
    payload = (await verify_receipt_async(receipt, roots)).payload
    for position in (0, len(sealed.ciphertext) // 2, len(sealed.ciphertext) - 1):
        altered = bytearray(sealed.ciphertext)
        altered[position] ^= 0x80
        path = tmp_path / f"bid-{position}.age"
        path.write_bytes(bytes(altered))
        try:
            check_receipted_file(payload, path)
        except ReceiptInvalid:
            continue
        raise AssertionError(f"a bid with byte {position} changed still matched its receipt")


async def test_a_new_version_supersedes_and_withdrawal_ends_it(
    client: httpx.AsyncClient, seeded: None, settings: Settings
) -> None:
    tender, bidder = await _setup(client)
    first = (await submit(client, bidder, tender, await seal(client, bidder, tender))).json()["bid"]
    stale = await submit(client, bidder, tender, await seal(client, bidder, tender), version=1)
    assert_problem(stale, 409, "next version")
    second = (await submit(client, bidder, tender, await seal(client, bidder, tender), version=2)).json()["bid"]
    mine = (await client.get("/api/bids", params={"tender_id": tender}, headers=bidder.headers)).json()
    assert {(b["version"], b["status"]) for b in mine} == {(1, "superseded"), (2, "submitted")}
    superseded = await client.post(
        f"/api/bids/{first['id']}/withdraw",
        json={"statement": withdrawal_statement(bidder, first)},
        headers=bidder.headers,
    )
    assert_problem(superseded, 409, "version 1 was superseded", "only your live version")
    done = await client.post(
        f"/api/bids/{second['id']}/withdraw",
        json={"statement": withdrawal_statement(bidder, second)},
        headers=bidder.headers,
    )
    assert done.status_code == 200, done.text
    assert done.json()["bid"]["status"] == "withdrawn"
    again = await client.post(
        f"/api/bids/{second['id']}/withdraw",
        json={"statement": withdrawal_statement(bidder, second)},
        headers=bidder.headers,
    )
    assert_problem(again, 409, "version 2 is already withdrawn")
    assert (await verify_receipt_async(done.json()["receipt"].encode(), _ca(settings))).payload["bid"] == second["id"]
    third = await submit(client, bidder, tender, await seal(client, bidder, tender), version=3)
    assert third.status_code == 201, third.text


async def test_after_the_deadline_submission_and_withdrawal_are_refused_naming_rule_22(
    app: Litestar, client: httpx.AsyncClient, seeded: None, shift_clock: Any
) -> None:
    tender, bidder = await _setup(client)
    live = (await submit(client, bidder, tender, await seal(client, bidder, tender))).json()["bid"]
    sealed = await seal(client, bidder, tender)
    await shift_clock(timedelta(days=40))
    bidder.headers = await auth(client, "bidder1")
    late = await submit(client, bidder, tender, sealed, version=2)
    body = assert_problem(late, 409, "rule 22", "deadline")
    assert body["type"].endswith("/bid-submission-closed")
    blobs = app.state.bid_platform.blobs
    assert not blobs.path_of(hashlib.sha256(sealed.ciphertext).hexdigest()).exists(), "the refused upload is removed"
    assert list(blobs.tmp_dir.iterdir()) == []
    withdraw = await client.post(
        f"/api/bids/{live['id']}/withdraw",
        json={"statement": withdrawal_statement(bidder, live)},
        headers=bidder.headers,
    )
    assert_problem(withdraw, 409, "rule 22")
    activity = await client.get(f"/api/bids/tenders/{tender}", headers=await auth(client, "regulator"))
    assert activity.status_code == 200, activity.text
    assert [b["id"] for b in activity.json()] == [live["id"]]


async def test_unencrypted_uploads_are_refused_naming_rule_21(client: httpx.AsyncClient, seeded: None) -> None:
    tender, bidder = await _setup(client)
    sealed = await seal(client, bidder, tender)
    plain = type(sealed)(b"%PDF-1.7 plain bid" + b"\0" * (len(sealed.ciphertext) - 18), sealed.escrow)
    response = await submit(client, bidder, tender, plain)
    assert_problem(response, 415, "rule 21", "age")
    assert (await client.get("/api/bids", headers=bidder.headers)).json() == []


async def test_modified_ciphertext_is_refused_as_a_hash_mismatch(client: httpx.AsyncClient, seeded: None) -> None:
    tender, bidder = await _setup(client)
    sealed = await seal(client, bidder, tender)
    headers = submission_headers(bidder, tender, 1, sealed, 1)
    altered = bytearray(sealed.ciphertext)
    altered[-5] ^= 0x01
    response = await client.post("/api/bids", content=bytes(altered), headers=headers)
    assert_problem(response, 422, "SHA-256")
    assert (await client.get("/api/bids", headers=bidder.headers)).json() == []


async def test_forged_or_foreign_statements_are_refused(client: httpx.AsyncClient, seeded: None) -> None:
    tender, bidder = await _setup(client)
    sealed = await seal(client, bidder, tender)
    headers = submission_headers(bidder, tender, 1, sealed, 1)
    import base64
    import json

    wire = json.loads(base64.b64decode(headers["sunbid-statement"]))
    signature = bytearray(base64.b64decode(wire["signature"]))
    signature[-1] ^= 0x01
    wire["signature"] = base64.b64encode(bytes(signature)).decode()
    forged = {**headers, "sunbid-statement": base64.b64encode(json.dumps(wire).encode()).decode()}
    response = await client.post("/api/bids", content=sealed.ciphertext, headers=forged)
    assert_problem(response, 422, "does not verify")
    other = await certified_bidder(client, "bidder2")
    foreign = {
        **submission_headers(other, tender, 1, sealed, 1, override={"bidder": bidder.organization_id}),
        **bidder.headers,
    }
    response = await client.post("/api/bids", content=sealed.ciphertext, headers=foreign)
    assert_problem(response, 422, "certificate issued to you")
    wrong_escrow = {**headers, "sunbid-escrow": base64.b64encode(b"{}").decode()}
    response = await client.post("/api/bids", content=sealed.ciphertext, headers=wrong_escrow)
    assert_problem(response, 422, "escrow")
    response = await client.post("/api/bids", content=sealed.ciphertext, headers=bidder.headers)
    assert_problem(response, 422, "missing required headers: sunbid-statement, sunbid-escrow")
    no_escrow = {k: v for k, v in headers.items() if k != "sunbid-escrow"}
    response = await client.post("/api/bids", content=sealed.ciphertext, headers=no_escrow)
    assert_problem(response, 422, "missing required header: sunbid-escrow")
    assert (await client.get("/api/bids", headers=bidder.headers)).json() == []


async def test_another_bidders_bid_is_indistinguishable_from_a_missing_one(
    client: httpx.AsyncClient, seeded: None
) -> None:
    tender, bidder = await _setup(client)
    bid = (await submit(client, bidder, tender, await seal(client, bidder, tender))).json()["bid"]
    for who in ("bidder2", "agency", "regulator", "operator", "tenderee"):
        headers = await auth(client, who)
        for suffix in ("", "/receipt", "/ciphertext"):
            theirs = await client.get(f"/api/bids/{bid['id']}{suffix}", headers=headers)
            random = await client.get(f"/api/bids/{uuid.uuid4()}{suffix}", headers=headers)
            assert theirs.status_code == random.status_code == 404, (who, suffix)
            assert _without_instance(theirs) == _without_instance(random)
