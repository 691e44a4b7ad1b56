"""Rule 66: an open challenge holds contract signing (supervision sets it, the award refuses); answers lift it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import db_now
from core.identity.models import User
from evaluation.award.models import Award
from tests.integration.supervision.cases.case_helpers import (
    act,
    file,
    later,
    regulator_id,
    tender_on_monday,
    tender_status,
)
from tests.integration.supervision.cases.test_complaint_proceedings import PROCUREMENT
from tests.support.api import assert_problem, auth
from trading.tenders.models import Tender, TenderLot


async def _notified_award(sessions: async_sessionmaker[AsyncSession], tender_id: str) -> None:
    """Fast-forward the tender to a notified award of lot 1 to bidder1 (the award path is tested in evaluation)."""
    async with sessions() as session, session.begin():
        tender = await session.get(Tender, uuid.UUID(tender_id))
        assert tender is not None
        lot = await session.scalar(select(TenderLot).where(TenderLot.tender_id == tender.id))
        winner = await session.scalar(select(User).where(User.username == "bidder1"))
        assert lot is not None
        assert winner is not None
        now = await db_now(session)
        tender.status = "awarded"
        session.add(
            Award(
                id=uuid.uuid4(),
                tender_id=tender.id,
                lot_id=lot.id,
                lot_number=1,
                status="notified",
                candidates=[],
                winner_id=winner.organization_id,
                winner_rank=1,
                decided_at=now,
                notified_at=now,
                contract_due=now + timedelta(days=30),
            )
        )


async def _holds_on_workbench(client: httpx.AsyncClient, tender: str) -> int:
    """The contract holds in force the regulator's workbench shows for the tender."""
    rows = (await client.get("/api/supervision/tenders", headers=await auth(client, "regulator"))).json()
    holds: int = next(r["contract_holds"] for r in rows if r["id"] == tender)
    return holds


async def _sign(client: httpx.AsyncClient, tender: str) -> httpx.Response:
    headers = await auth(client, "tenderee")
    return await client.post(f"/api/awards/{tender}/contract", headers=headers, json={"lot": 1, "signed": True})


async def test_signing_is_refused_while_any_challenge_is_open_and_allowed_after_the_answers(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    tender = await tender_on_monday(client, sessions, shift_clock, **PROCUREMENT)
    await later(sessions, shift_clock, timedelta(days=25))
    await _notified_award(sessions, tender)

    first = await file(client, "bidder2", kind="challenge", tender_id=tender, matter="result", title="对中标结果的质疑")
    assert first.status_code == 201, first.text
    assert first.json()["holds_contract_lock"] is True
    second = await file(client, "bidder3", kind="challenge", tender_id=tender, matter="result", title="评分质疑")
    assert second.status_code == 201, second.text

    refused = await _sign(client, tender)
    body = assert_problem(refused, 423, "rule 66", "contract signing", first.json()["id"])
    assert body["type"].endswith("contract-signing-suspended")
    assert await tender_status(client, tender) == "awarded"  # only the contract waits, the tender is not suspended

    answered = await act(client, "agency", first.json()["id"], "answer", answer="质疑不成立")
    assert answered.status_code == 200, answered.text
    assert answered.json()["holds_contract_lock"] is False
    assert_problem(await _sign(client, tender), 423, "rule 66", second.json()["id"])  # the other challenge still holds

    withdrawn = await act(client, "bidder3", second.json()["id"], "withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    signed = await _sign(client, tender)
    assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "contracted"
    assert await tender_status(client, tender) == "contracted"

    trail = await client.get(f"/api/supervision/tenders/{tender}/trail", headers=await auth(client, "regulator"))
    types = [e["event_type"] for e in trail.json()["events"]]
    assert types.count("tender.contract_held") == 2
    assert types.count("tender.contract_released") == 2
    assert types.index("tender.contract_released") < types.index("contract.signed")


async def test_an_inquiry_does_not_hold_the_contract(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    tender = await tender_on_monday(client, sessions, shift_clock, **PROCUREMENT)
    await later(sessions, shift_clock, timedelta(days=25))
    await _notified_award(sessions, tender)
    inquiry = await file(client, "bidder2", kind="inquiry", tender_id=tender, matter="result", title="询问评分")
    assert inquiry.status_code == 201, inquiry.text
    assert inquiry.json()["holds_contract_lock"] is False
    assert (await _sign(client, tender)).status_code == 200


async def test_a_complaint_holds_the_contract_on_the_regulators_order_until_decided(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    tender = await tender_on_monday(client, sessions, shift_clock, **PROCUREMENT)
    await later(sessions, shift_clock, timedelta(days=25))
    await _notified_award(sessions, tender)
    challenge = (await file(client, "bidder2", kind="challenge", tender_id=tender, matter="result")).json()
    assert (await act(client, "agency", challenge["id"], "answer", answer="质疑不成立")).status_code == 200
    complaint = await file(
        client, "bidder2", kind="complaint", tender_id=tender, matter="result", regulator_id=await regulator_id(client)
    )
    assert complaint.status_code == 201, complaint.text
    case = complaint.json()
    assert case["holds_contract_lock"] is False  # 94号令 leaves the hold to the regulator's order

    assert (await act(client, "bidder2", case["id"], "contract-hold", reason="x")).status_code == 403
    held = await act(client, "regulator", case["id"], "contract-hold", reason="投诉可能影响成交结果，暂停签订合同")
    assert held.status_code == 200, held.text
    assert held.json()["holds_contract_lock"] is True
    assert_problem(await act(client, "regulator", case["id"], "contract-hold", reason="再次"), 409, "already")
    assert_problem(await _sign(client, tender), 423, "rule 67", case["id"])
    assert await tender_status(client, tender) == "awarded"
    assert await _holds_on_workbench(client, tender) == 1

    assert (await act(client, "regulator", case["id"], "accept")).status_code == 200
    assert_problem(await _sign(client, tender), 423, "rule 67")
    decided = await act(client, "regulator", case["id"], "decide", outcome="dismissed", decision="驳回投诉")
    assert decided.status_code == 200, decided.text
    assert decided.json()["holds_contract_lock"] is False
    assert await _holds_on_workbench(client, tender) == 0
    assert (await _sign(client, tender)).status_code == 200
    clocks = (
        await client.get("/api/supervision/clocks", params={"tender": tender}, headers=await auth(client, "regulator"))
    ).json()
    states = {c["purpose"]: c["state"] for c in clocks if c["subject_id"] == case["id"]}
    assert states == {"acceptance": "met", "decision": "met", "papers": "cancelled"}  # decided, papers never sent


async def test_a_hold_set_before_the_bid_deadline_stays_sealed_until_it(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    tender = await tender_on_monday(client, sessions, shift_clock, **PROCUREMENT)
    filed = await file(client, "bidder1", kind="challenge", tender_id=tender, matter="documents")
    assert filed.status_code == 201, filed.text
    assert filed.json()["holds_contract_lock"] is True

    async def trail() -> list[str]:
        headers = await auth(client, "regulator")
        events = (await client.get(f"/api/supervision/tenders/{tender}/trail", headers=headers)).json()["events"]
        return [e["event_type"] for e in events]

    assert "tender.contract_held" not in await trail()  # rule 12: it would tell that a potential bidder filed
    await later(sessions, shift_clock, timedelta(days=21))
    assert "tender.contract_held" in await trail()
