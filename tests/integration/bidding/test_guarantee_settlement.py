"""Release and claim: later stages' events (simulated through the journal) put signed statements in the inbox."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bidding.guarantees.models import Guarantee
from bidding.guarantees.rules import BondRules, ReleaseReason, release_due
from bidding.guarantees.settlement import BID_REVOKED, BID_WITHDRAWN, CONTRACT_SIGNED
from core.calendar import HolidaySnapshot, local_day
from core.journal import JournalEvent, record_event
from signing.statements import SignedStatement, verify_statement
from tests.integration.bidding.test_guarantees_api import data_for, demo_tender, lodge, trust
from tests.support.api import auth
from tests.support.guarantees import make_pki, sign_async
from trading.tenders.rules import LegalBasis


async def _event(sessions: async_sessionmaker[AsyncSession], event_type: str, payload: dict[str, str]) -> datetime:
    async with sessions() as session, session.begin():
        event = await record_event(session, event_type, payload)
        return event.recorded_at


async def test_withdrawal_releases_and_revocation_claims(
    seeded: None, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], app: Litestar
) -> None:
    tender = await demo_tender(sessions)
    pki = make_pki(tsa_ca=app.state.ca)
    await trust(client, pki)
    key, cert = pki.signer()
    ids = []
    for lot in (0, 1):
        lodged = await lodge(client, "bidder1", tender, await sign_async(data_for(tender, lot), key, cert, pki), lot)
        assert lodged.status_code == 201, lodged.text
        ids.append(lodged.json()["id"])
    bidder = lodged.json()["bidder_id"]

    at = await _event(
        sessions, BID_WITHDRAWN, {"tender": str(tender.id), "lot": str(tender.lots[0].id), "bidder": bidder}
    )
    guarantor = await auth(client, "guarantor")
    [message] = (await client.get("/api/guarantees/inbox", headers=guarantor)).json()
    assert message["guarantee_id"] == ids[0]
    assert (message["kind"], message["reason"]) == ("release", "withdrawn")
    due = datetime.fromisoformat(message["due_at"])
    assert 5 <= (local_day(due - timedelta(seconds=1)) - local_day(at)).days <= 8  # 5 日, moved off a holiday
    statement = SignedStatement.from_json(message["statement"])
    payload = verify_statement(statement, [app.state.ca.certificate])
    assert payload["type"] == "sunbid.guarantee.release"
    assert payload["guarantee"] == ids[0]

    acked = await client.post(f"/api/guarantees/inbox/{message['id']}/acknowledge", headers=guarantor)
    assert acked.status_code == 200
    assert acked.json()["acknowledged_at"] is not None
    assert (await client.get("/api/guarantees/inbox?pending=true", headers=guarantor)).json() == []

    await _event(sessions, BID_REVOKED, {"tender": str(tender.id), "lot": str(tender.lots[1].id), "bidder": bidder})
    await _event(sessions, CONTRACT_SIGNED, {"tender": str(tender.id), "lot": str(tender.lots[1].id), "bidder": bidder})
    inbox = (await client.get("/api/guarantees/inbox?pending=true", headers=guarantor)).json()
    assert [(m["kind"], m["reason"], m["guarantee_id"]) for m in inbox] == [("claim", "revoked", ids[1])]
    assert json.loads(SignedStatement.from_json(inbox[0]["statement"]).payload)["amount"] == "160000.00"

    async with sessions() as session:
        rows = (await session.scalars(select(Guarantee).order_by(Guarantee.lot_id))).all()
        statuses = {str(g.id): g.status for g in rows}
        events = (
            await session.scalars(
                select(JournalEvent.event_type).where(JournalEvent.subject_id.in_([g.id for g in rows]))
            )
        ).all()
    assert statuses == {ids[0]: "released", ids[1]: "claimed"}
    assert {"guarantee.lodged", "guarantee.released", "guarantee.claimed", "guarantee.message_acknowledged"} <= set(
        events
    )
    assert (await client.get("/api/guarantees/inbox", headers=await auth(client, "bidder1"))).status_code == 403


def test_release_clocks_of_rule_17() -> None:
    snapshot = HolidaySnapshot.of(holidays=[date(2026, 10, 1), date(2026, 10, 2)], workdays=[], known_years=[2026])
    friday = datetime.fromisoformat("2026-09-25T10:00:00+08:00")
    rules = BondRules()
    works = release_due(LegalBasis.TENDERING_LAW, ReleaseReason.WITHDRAWN, friday, snapshot, rules)
    assert works.day == date(2026, 9, 30)
    goods = release_due(LegalBasis.PROCUREMENT_LAW, ReleaseReason.WITHDRAWN, friday, snapshot, rules)
    assert goods.day == date(2026, 10, 6)
    late: Any = release_due(
        LegalBasis.TENDERING_LAW, ReleaseReason.UNSUCCESSFUL, friday + timedelta(days=1), snapshot, rules
    )
    assert late.day == date(2026, 10, 5)
