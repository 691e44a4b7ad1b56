"""Publishing tenders over HTTP: statutory rules by row number, amendments, cancellation, journal events."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.journal import JournalEvent
from tests.integration.trading.tender_helpers import (
    SHANGHAI,
    clock_at,
    create_draft,
    now,
    org_ids,
    publish,
    published_tender,
    tender_body,
)
from tests.support.api import assert_problem, auth
from trading.tenders.models import Tender


@pytest.mark.parametrize(
    ("days", "ok"),
    [pytest.param(19, False, id="rule-1-19-days-refused"), pytest.param(20, True, id="rule-1-20-days-passes")],
)
async def test_rule_01_acceptance_deadline_after_issue(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], days: int, ok: bool
) -> None:
    orgs = await org_ids(client)
    tender_id = await create_draft(client, tender_body(orgs, (await now(sessions)) + timedelta(days=days)))
    response = await publish(client, tender_id)
    if ok:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "published"
    else:
        body = assert_problem(response, 422, "rule 1:", "19 days")
        assert body["rule"] == 1


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        pytest.param({"floor_price": "1000"}, 10, id="rule-10-floor-price-refused"),
        pytest.param({"ceiling_price": "0"}, 10, id="rule-10-zero-ceiling-refused"),
        pytest.param(
            {"lots": [{"title": "一标段", "estimated_value": "10000000", "bid_bond_amount": "200001"}]},
            13,
            id="rule-13-bond-over-2-percent-refused",
        ),
        pytest.param(
            {"lots": [{"title": "一标段", "estimated_value": "90000000", "bid_bond_amount": "900000"}]},
            14,
            id="rule-14-bond-over-800k-refused",
        ),
        pytest.param(
            {
                "category": "goods",
                "legal_basis": "procurement_law",
                "committee_size": 7,
                "bond_forms": ["cash"],
                "lots": [{"title": "一包", "estimated_value": "1000000", "bid_bond_amount": "1000"}],
            },
            15,
            id="rule-15-cash-bond-refused",
        ),
        pytest.param({"committee_size": 4}, 33, id="rule-33-committee-4-refused"),
        pytest.param(
            {
                "category": "services",
                "legal_basis": "procurement_law",
                "committee_size": 5,
                "lots": [{"title": "一包", "estimated_value": "10000000", "bid_bond_amount": "0"}],
            },
            33,
            id="rule-33-procurement-10m-needs-7",
        ),
        pytest.param({"decryption_window_minutes": 0}, 28, id="rule-28-zero-window-refused"),
    ],
)
async def test_rules_refuse_unlawful_terms(
    client: httpx.AsyncClient,
    seeded: None,
    sessions: async_sessionmaker[AsyncSession],
    changes: dict[str, Any],
    rule: int,
) -> None:
    orgs = await org_ids(client)
    body = tender_body(orgs, (await now(sessions)) + timedelta(days=25), **changes)
    response = await client.post("/api/tenders", json=body, headers=await auth(client, "agency"))
    assert assert_problem(response, 422, f"rule {rule}:")["rule"] == rule


@pytest.mark.parametrize(
    ("changes", "field", "shown"),
    [
        pytest.param({"ceiling_price": "NaN"}, "ceiling_price", "NaN", id="nan-ceiling"),
        pytest.param({"ceiling_price": "0.001"}, "ceiling_price", "0.001", id="sub-fen-ceiling"),
        *(
            pytest.param(
                {"lots": [{"title": "一标段", "estimated_value": value, "bid_bond_amount": "0"}]},
                "lots[0].estimated_value",
                shown,
                id=f"estimate-{value}",
            )
            for value, shown in (
                ("Infinity", "Infinity"),
                ("1e40", "1E+40"),
                ("1E+1000000", "1E+1000000"),
                ("-1E+999999999", "-1E+999999999"),
                ("sNaN", "sNaN"),
                ("0.001", "0.001"),
            )
        ),
        pytest.param(
            {"lots": [{"title": "一标段", "estimated_value": "1000000", "bid_bond_amount": "0.001"}]},
            "lots[0].bid_bond_amount",
            "0.001",
            id="sub-fen-bond",
        ),
    ],
)
async def test_an_amount_that_is_not_yuan_and_fen_is_refused_naming_its_field(
    client: httpx.AsyncClient,
    seeded: None,
    sessions: async_sessionmaker[AsyncSession],
    changes: dict[str, Any],
    field: str,
    shown: str,
) -> None:
    orgs = await org_ids(client)
    before = await _tender_count(sessions)
    body = tender_body(orgs, (await now(sessions)) + timedelta(days=25), **changes)
    response = await client.post("/api/tenders", json=body, headers=await auth(client, "agency"))
    assert assert_problem(response, 422, f"{field}: {shown} is not an amount")["field"] == field
    assert await _tender_count(sessions) == before


async def test_blank_text_is_refused_naming_its_field(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    orgs = await org_ids(client)
    before = await _tender_count(sessions)
    for blank in (" \u3000\n ", "\u200b", "\ufeff "):
        body = tender_body(orgs, (await now(sessions)) + timedelta(days=25), title=blank)
        response = await client.post("/api/tenders", json=body, headers=await auth(client, "agency"))
        problem = assert_problem(response, 422, "title: must not be blank")
        assert [e["message"] for e in problem["errors"]] == [
            "must not be blank (only spaces, line breaks or invisible characters)"
        ]
    assert await _tender_count(sessions) == before


async def test_a_tender_body_of_another_media_type_is_refused_and_a_json_variant_still_meets_rule_10(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    orgs = await org_ids(client)
    agency = await auth(client, "agency")
    before = await _tender_count(sessions)
    body = json.dumps(tender_body(orgs, (await now(sessions)) + timedelta(days=25))).encode()
    plain = await client.post("/api/tenders", content=body, headers={**agency, "content-type": "text/plain"})
    assert_problem(plain, 415, "application/json", "text/plain")
    floor = json.dumps(tender_body(orgs, (await now(sessions)) + timedelta(days=25), floor_price="1000")).encode()
    variant = {**agency, "content-type": "application/vnd.sunbid+json"}
    assert assert_problem(await client.post("/api/tenders", content=floor, headers=variant), 422, "rule 10:")
    assert await _tender_count(sessions) == before


async def _tender_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return len((await session.scalars(select(Tender.id))).all())


async def test_publish_requires_a_document(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    orgs = await org_ids(client)
    tender_id = await create_draft(client, tender_body(orgs, (await now(sessions)) + timedelta(days=25)), False)
    assert_problem(await publish(client, tender_id), 422, "document")


async def test_operator_alone_can_never_be_custodian_quorum(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    orgs = await org_ids(client)
    body = tender_body(
        orgs, (await now(sessions)) + timedelta(days=25), custodian_org_ids=[orgs["operator"]], escrow_quorum=1
    )
    response = await client.post("/api/tenders", json=body, headers=await auth(client, "agency"))
    assert_problem(response, 422, "operator")


async def test_rule_06_amendment_close_to_deadline_must_postpone_it(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession], shift_clock: Any
) -> None:
    await clock_at(sessions, shift_clock, datetime(2026, 9, 1, 10, 0, tzinfo=SHANGHAI))
    orgs = await org_ids(client)
    deadline = datetime(2026, 9, 30, 9, 30, tzinfo=SHANGHAI)
    tender_id = await create_draft(client, tender_body(orgs, deadline))
    assert (await publish(client, tender_id)).status_code == 200
    await clock_at(sessions, shift_clock, datetime(2026, 9, 16, 15, 0, tzinfo=SHANGHAI))
    headers = await auth(client, "agency")  # signed in after the jump: tokens expire on the database clock

    proposal = (await client.get(f"/api/tenders/{tender_id}/amendments/proposal", headers=headers)).json()
    expected = datetime(2026, 10, 8, 9, 30, tzinfo=SHANGHAI)
    assert datetime.fromisoformat(proposal["proposed_deadline"]) == expected

    unchanged = {"summary": "修改工程量清单", "description": "第五章更正", "new_bid_deadline": deadline.isoformat()}
    body = assert_problem(
        await client.post(f"/api/tenders/{tender_id}/amendments", json=unchanged, headers=headers), 422, "rule 6:"
    )
    assert datetime.fromisoformat(body["proposed_deadline"]) == expected
    missing = {"summary": "修改工程量清单", "description": "第五章更正"}
    assert_problem(
        await client.post(f"/api/tenders/{tender_id}/amendments", json=missing, headers=headers), 422, "rule 6"
    )

    accepted = {**missing, "new_bid_deadline": expected.isoformat()}
    response = await client.post(f"/api/tenders/{tender_id}/amendments", json=accepted, headers=headers)
    assert response.status_code == 201, response.text
    assert datetime.fromisoformat(response.json()["bid_deadline"]) == expected
    notices = (await client.get("/api/notices")).json()
    kinds = [n["kind"] for n in notices if n["tender_id"] == tender_id]
    assert sorted(kinds) == ["amendment", "tender"]


async def test_amendment_15_days_before_keeps_deadline(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tender_id = await published_tender(client, sessions, days=25)
    body = {"summary": "澄清", "description": "答疑"}
    response = await client.post(
        f"/api/tenders/{tender_id}/amendments", json=body, headers=await auth(client, "agency")
    )
    assert response.status_code == 201, response.text


async def test_cancellation_publishes_reason_and_records_events(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tender_id = await published_tender(client, sessions)
    headers = await auth(client, "agency")
    response = await client.post(f"/api/tenders/{tender_id}/cancel", json={"reason": "项目取消"}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    again = await client.post(f"/api/tenders/{tender_id}/cancel", json={"reason": "x"}, headers=headers)
    assert_problem(again, 409, "cannot become")
    notice = next(n for n in (await client.get("/api/notices")).json() if n["kind"] == "cancellation")
    assert notice["content"]["cancellation"]["reason"] == "项目取消"
    async with sessions() as session:
        types = (
            await session.scalars(select(JournalEvent.event_type).where(JournalEvent.subject_id == tender_id))
        ).all()
    assert {"tender.created", "tender.document_added", "tender.published", "tender.cancelled"} <= set(types)


async def test_bid_deadline_needs_time_zone(
    client: httpx.AsyncClient, seeded: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    orgs = await org_ids(client)
    body = tender_body(orgs, datetime(2030, 1, 1, 9, 30))  # noqa: DTZ001 (testing that naive input is refused)
    assert_problem(await client.post("/api/tenders", json=body, headers=await auth(client, "agency")), 422, "time zone")
