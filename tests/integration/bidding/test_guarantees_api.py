"""Guarantees over HTTP on the real database: lodging, distinct refusals, sealed visibility, opening check."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import pytest
from cryptography.hazmat.primitives import serialization
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bidding.guarantees.rules import bid_validity_end
from bidding.guarantees.verification import GuaranteeData
from core.identity.models import Organization
from core.identity.usci import make_credit_code
from tests.support.api import assert_problem, auth
from tests.support.guarantees import APPLICANT, GuarantorPki, make_data, make_pki, sign_async
from trading.tenders.models import Tender

PROBLEM = "https://sunbid.example/problems/"


@pytest.fixture
def pki(app: Litestar) -> GuarantorPki:
    """A guarantor PKI whose TSA chains to the platform CA (always a TSA root), so trust is the only variable."""
    return make_pki(tsa_ca=app.state.ca)


async def demo_tender(sessions: async_sessionmaker[AsyncSession]) -> Tender:
    async with sessions() as session:
        tender = await session.scalar(select(Tender).order_by(Tender.created_at))
        assert tender is not None, "the seeded demo tender is missing"
        return tender


def data_for(tender: Tender, lot: int = 0, **changes: Any) -> GuaranteeData:
    chosen = tender.lots[lot]
    fields: dict[str, Any] = {
        "amount": chosen.bid_bond_amount,
        "valid_until": bid_validity_end(tender.bid_deadline, tender.bid_validity_days),
        **changes,
    }
    return make_data(tender_id=tender.id, lot_id=chosen.id, **fields)


async def trust(client: httpx.AsyncClient, pki: GuarantorPki) -> None:
    pem = pki.ca.certificate.public_bytes(serialization.Encoding.PEM).decode()
    headers = await auth(client, "operator")
    for kind in ("guarantor", "timestamp"):
        body = {"certificate_pem": pem, "name": "测试保函根", "kind": kind}
        response = await client.post("/api/guarantee-roots", json=body, headers=headers)
        assert response.status_code == 201, response.text


async def lodge(client: httpx.AsyncClient, user: str, tender: Tender, pdf: bytes, lot: int = 0) -> httpx.Response:
    headers = {**await auth(client, user), "Content-Type": "application/pdf"}
    params = {"tender_id": str(tender.id), "lot_id": str(tender.lots[lot].id)}
    return await client.post("/api/guarantees", content=pdf, params=params, headers=headers)


async def test_lodge_verify_and_sealed_visibility(
    seeded: None,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    shift_clock: Any,
    pki: GuarantorPki,
) -> None:
    tender = await demo_tender(sessions)
    key, cert = pki.signer()
    pdf = await sign_async(data_for(tender), key, cert, pki)

    body = assert_problem(await lodge(client, "bidder1", tender, pdf), 422)
    assert body["type"] == PROBLEM + "guarantee-untrusted-root"
    await trust(client, pki)

    low = await sign_async(data_for(tender, amount=Decimal("1000.00")), key, cert, pki)
    assert (
        assert_problem(await lodge(client, "bidder1", tender, low), 422)["type"] == PROBLEM + "guarantee-amount-too-low"
    )
    other_lot = assert_problem(await lodge(client, "bidder1", tender, pdf, lot=1), 422)
    assert other_lot["type"] == PROBLEM + "guarantee-wrong-tender"
    wrong_applicant = assert_problem(await lodge(client, "bidder2", tender, pdf), 422)
    assert wrong_applicant["type"] == PROBLEM + "guarantee-wrong-applicant"
    headers = {**await auth(client, "bidder1"), "Content-Type": "text/plain"}
    params = {"tender_id": str(tender.id), "lot_id": str(tender.lots[0].id)}
    not_pdf = await client.post("/api/guarantees", content=b"hello", params=params, headers=headers)
    assert assert_problem(not_pdf, 415)["type"] == PROBLEM + "guarantee-not-pdf"

    lodged = await lodge(client, "bidder1", tender, pdf)
    assert lodged.status_code == 201, lodged.text
    guarantee = lodged.json()
    assert guarantee["status"] == "active"
    assert guarantee["amount"] == str(tender.lots[0].bid_bond_amount.quantize(Decimal("0.01")))
    assert assert_problem(await lodge(client, "bidder1", tender, pdf), 409)["type"] == PROBLEM + "duplicate-guarantee"

    url = f"/api/guarantees/{guarantee['id']}"
    for user in ("bidder1", "guarantor"):
        assert (await client.get(url, headers=await auth(client, user))).status_code == 200
    mine = await client.get("/api/guarantees", headers=await auth(client, "guarantor"))
    assert [g["id"] for g in mine.json()] == [guarantee["id"]]
    downloaded = await client.get(url + "/pdf", headers=await auth(client, "bidder1"))
    assert downloaded.content == pdf

    tender_url = f"/api/tenders/{tender.id}/guarantees"
    for user in ("agency", "tenderee", "regulator"):
        assert_problem(await client.get(tender_url, headers=await auth(client, user)), 403)
        assert_problem(await client.get(url, headers=await auth(client, user)), 404)
    assert_problem(await client.get(url, headers=await auth(client, "bidder2")), 404)
    agency = await auth(client, "agency")
    assert_problem(await client.post(tender_url + "/verify", headers=agency), 403)

    await shift_clock(timedelta(days=40))
    for user in ("agency", "tenderee", "regulator"):
        listed = await client.get(tender_url, headers=await auth(client, user))
        assert [g["id"] for g in listed.json()] == [guarantee["id"]], listed.text
        assert (await client.get(url, headers=await auth(client, user))).status_code == 200
    assert_problem(await client.get(url, headers=await auth(client, "bidder2")), 404)
    late = assert_problem(await lodge(client, "bidder2", tender, pdf), 409)
    assert late["type"] == PROBLEM + "bidding-closed"
    checked = await client.post(tender_url + "/verify", headers=await auth(client, "agency"))
    assert checked.status_code == 200, checked.text
    assert checked.json() == [{"guarantee_id": guarantee["id"], "valid": True, "problem": None}]


async def test_sealed_refusal_is_the_same_with_no_guarantees(
    seeded: None, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tender = await demo_tender(sessions)
    response = await client.get(f"/api/tenders/{tender.id}/guarantees", headers=await auth(client, "agency"))
    assert assert_problem(response, 403)["type"] == PROBLEM + "sealed-until-deadline"


async def test_guarantor_lodges_for_a_bidder_and_roles_are_enforced(
    seeded: None, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], pki: GuarantorPki
) -> None:
    tender = await demo_tender(sessions)
    await trust(client, pki)
    key, cert = pki.signer()
    pdf = await sign_async(data_for(tender, lot=1), key, cert, pki)
    for user in ("agency", "tenderee", "regulator", "operator"):
        assert_problem(await lodge(client, user, tender, pdf, lot=1), 403)
    lodged = await lodge(client, "guarantor", tender, pdf, lot=1)
    assert lodged.status_code == 201, lodged.text
    assert lodged.json()["status"] == "offered"
    async with sessions() as session:
        bidder = await session.scalar(select(Organization).where(Organization.credit_code == APPLICANT.credit_code))
    assert bidder is not None
    assert lodged.json()["bidder_id"] == str(bidder.id)
    bidder_view = await client.get("/api/guarantees", headers=await auth(client, "bidder1"))
    assert [g["id"] for g in bidder_view.json()] == [lodged.json()["id"]]

    accept = f"/api/guarantees/{lodged.json()['id']}/accept"
    assert_problem(await client.post(accept, headers=await auth(client, "guarantor")), 403)
    assert_problem(await client.post(accept, headers=await auth(client, "bidder2")), 404)
    accepted = await client.post(accept, headers=await auth(client, "bidder1"))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "active"

    roots = "/api/guarantee-roots"
    for user in ("bidder1", "guarantor", "agency", "regulator"):
        assert_problem(await client.get(roots, headers=await auth(client, user)), 403)
        assert_problem(await client.post(roots, json={}, headers=await auth(client, user)), 403)
    listed = await client.get(roots, headers=await auth(client, "operator"))
    assert {r["kind"] for r in listed.json()} == {"guarantor", "timestamp"}
    leaf = cert.public_bytes(serialization.Encoding.PEM).decode()
    refused = await client.post(
        roots, json={"certificate_pem": leaf, "name": "leaf"}, headers=await auth(client, "operator")
    )
    assert assert_problem(refused, 422)["type"] == PROBLEM + "trust-root-refused"
    for user in ("bidder1", "agency", "operator"):
        assert_problem(await client.get("/api/guarantees/inbox", headers=await auth(client, user)), 403)
    assert_problem(await client.get("/api/guarantees/inbox"), 401)
    assert (await client.get("/api/guarantees/inbox", headers=await auth(client, "guarantor"))).status_code == 200


async def test_guarantor_may_not_lodge_another_issuers_guarantee(
    seeded: None, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], pki: GuarantorPki
) -> None:
    tender = await demo_tender(sessions)
    await trust(client, pki)
    other = msgspec.structs.replace(
        data_for(tender).issuer, credit_code=make_credit_code("91330100MA0000042"), name="别家银行"
    )
    key, cert = pki.signer(other)
    pdf = await sign_async(data_for(tender, issuer=other), key, cert, pki)
    refused = await lodge(client, "guarantor", tender, pdf)
    assert assert_problem(refused, 422)["type"] == PROBLEM + "guarantee-issuer-mismatch"


async def test_a_guarantor_lodged_guarantee_is_an_offer_that_neither_probes_nor_blocks_the_bidder(
    seeded: None,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    pki: GuarantorPki,
    shift_clock: Any,
) -> None:
    tender = await demo_tender(sessions)
    await trust(client, pki)
    key, cert = pki.signer()
    unsolicited = await sign_async(data_for(tender), key, cert, pki)
    offered = await lodge(client, "guarantor", tender, unsolicited)
    assert offered.status_code == 201, offered.text
    assert offered.json()["status"] == "offered"
    own = await lodge(client, "bidder1", tender, await sign_async(data_for(tender), key, cert, pki))
    assert own.status_code == 201, own.text
    assert own.json()["status"] == "active"
    another = await lodge(client, "guarantor", tender, await sign_async(data_for(tender), key, cert, pki))
    assert another.status_code == 201, "a guarantor must not learn that the bidder already holds a guarantee"
    again = assert_problem(await lodge(client, "guarantor", tender, unsolicited), 409)
    assert again["detail"] == "this guarantee is already lodged"

    bidder = await auth(client, "bidder1")
    taken = await client.post(f"/api/guarantees/{another.json()['id']}/accept", headers=bidder)
    assert assert_problem(taken, 409)["type"] == PROBLEM + "duplicate-guarantee"
    declined = await client.post(f"/api/guarantees/{offered.json()['id']}/decline", headers=bidder)
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    closed = await client.post(f"/api/guarantees/{offered.json()['id']}/accept", headers=bidder)
    assert assert_problem(closed, 409)["type"] == PROBLEM + "guarantee-closed"
    mine = {g["id"]: g["status"] for g in (await client.get("/api/guarantees", headers=bidder)).json()}
    assert mine == {offered.json()["id"]: "declined", own.json()["id"]: "active", another.json()["id"]: "offered"}

    bank_copy = await sign_async(data_for(tender, lot=1), key, cert, pki)
    offer = await lodge(client, "guarantor", tender, bank_copy, lot=1)
    assert offer.json()["status"] == "offered"
    self_lodged = await lodge(client, "bidder1", tender, bank_copy, lot=1)
    assert self_lodged.status_code == 201, self_lodged.text
    assert (self_lodged.json()["id"], self_lodged.json()["status"]) == (offer.json()["id"], "active")

    await shift_clock(timedelta(days=40))
    too_late = await client.post(
        f"/api/guarantees/{another.json()['id']}/accept", headers=await auth(client, "bidder1")
    )
    assert assert_problem(too_late, 409)["type"] == PROBLEM + "bidding-closed"
    tender_url = f"/api/tenders/{tender.id}/guarantees"
    held = {own.json()["id"], offer.json()["id"]}
    for user in ("agency", "tenderee"):
        listed = await client.get(tender_url, headers=await auth(client, user))
        assert {g["id"] for g in listed.json()} == held, "offers the bidder never accepted are not its guarantees"
        hidden = await client.get(f"/api/guarantees/{another.json()['id']}", headers=await auth(client, user))
        assert_problem(hidden, 404)
    regulator = await client.get(tender_url, headers=await auth(client, "regulator"))
    assert len(regulator.json()) == 4
