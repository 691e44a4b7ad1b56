"""The journal commits or vanishes with its change; the database clock shifts only outside production."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import rfc8785
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import db_now, get_clock_offset, set_clock_offset
from core.identity.models import Organization
from core.identity.roles import OrgType
from core.identity.services import create_organization
from core.identity.usci import make_credit_code
from core.journal import JournalEvent, record_event


async def _count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_event_is_canonical_and_hashed(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        event = await record_event(session, "test.thing", {"b": 1, "a": "中文", "n": 1.5})
    assert event.payload_canonical == rfc8785.dumps({"a": "中文", "b": 1, "n": 1.5})
    assert event.payload_canonical == b'{"a":"\xe4\xb8\xad\xe6\x96\x87","b":1,"n":1.5}'
    assert event.payload_sha256 == hashlib.sha256(event.payload_canonical).digest()
    async with sessions() as session:
        stored = await session.scalar(select(JournalEvent).where(JournalEvent.id == event.id))
    assert stored is not None
    assert stored.recorded_at is not None
    assert stored.id.version == 4


async def test_failed_transaction_leaves_neither_change_nor_event(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        orgs_before, events_before = await _count(session, Organization), await _count(session, JournalEvent)

    class Boom(RuntimeError):
        pass

    async def register_then_fail() -> None:
        async with sessions() as session, session.begin():
            await create_organization(
                session, name="会回滚的公司", credit_code=make_credit_code("91330100MA0999999"), org_type=OrgType.BIDDER
            )
            assert await _count(session, JournalEvent) == events_before + 1
            raise Boom

    with pytest.raises(Boom):
        await register_then_fail()
    async with sessions() as session:
        assert await _count(session, Organization) == orgs_before
        assert await _count(session, JournalEvent) == events_before


async def test_a_database_error_rolls_back_the_event_too(sessions: async_sessionmaker[AsyncSession]) -> None:
    code = make_credit_code("91330100MA0888888")
    async with sessions() as session, session.begin():
        await create_organization(session, name="甲", credit_code=code, org_type=OrgType.BIDDER)
    async with sessions() as session:
        events_before = await _count(session, JournalEvent)

    async def record_then_violate_uniqueness() -> None:
        async with sessions() as session, session.begin():
            await record_event(session, "test.before_failure", {"x": 1})
            session.add(Organization(name="乙", credit_code=code, org_type="bidder"))
            await session.flush()

    with pytest.raises(DBAPIError):
        await record_then_violate_uniqueness()
    async with sessions() as session:
        assert await _count(session, JournalEvent) == events_before


async def test_clock_offset_moves_now(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        before = await db_now(session)
        await set_clock_offset(session, timedelta(days=20))
        after = await db_now(session)
        assert await get_clock_offset(session) == timedelta(days=20)
    assert timedelta(days=20) <= after - before < timedelta(days=20, minutes=1)


async def test_production_mode_refuses_and_resets_the_offset(sessions: async_sessionmaker[AsyncSession]) -> None:
    from sqlalchemy import text

    async with sessions() as session, session.begin():
        await set_clock_offset(session, timedelta(days=3))
        await session.execute(text("select sunbid_set_clock_mode('production')"))
        assert await get_clock_offset(session) == timedelta(0)
    with pytest.raises(DBAPIError, match="cannot be shifted in production"):
        async with sessions() as session, session.begin():
            await set_clock_offset(session, timedelta(days=1))
