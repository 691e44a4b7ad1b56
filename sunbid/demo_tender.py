"""The demo's published 工程 tender: open for bids, with lawful terms, two lots and one document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import time, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.blobs import BlobStore
from core.calendar import at_local_time, local_day, next_working_day
from core.db import db_now
from core.holidays import load_snapshot
from core.identity.models import Organization, User
from core.identity.principal import Principal
from core.identity.roles import OrgType, Role
from core.settings import Settings, UnknownHolidayYearPolicy, get_settings
from trading.tenders.models import Tender, TenderNotice
from trading.tenders.rules import Category, LegalBasis
from trading.tenders.schemas import LotIn, TenderIn
from trading.tenders.services.documents import add_document
from trading.tenders.services.lifecycle import create_tender, publish_tender

DEMO_BID_PERIOD_DAYS = 25
DEMO_DOCUMENT = """阳光县滨江大道改造工程 招标文件（示范）

第一章 招标公告
第二章 投标人须知（投标截止时间即开标时间；开标在平台不见面进行，投标人远程解密）
第三章 评标办法（综合评估法：价格 60 分，技术 30 分，商务 10 分）
第四章 合同条款及格式
第五章 工程量清单
第六章 图纸
第七章 技术标准和要求
第八章 投标文件格式
""".encode()


async def seed_demo_tender(
    session: AsyncSession, orgs: dict[OrgType, Organization], agency_user: User, settings: Settings | None = None
) -> tuple[Tender, TenderNotice]:
    """Create and publish the demo tender by the demo agency for the demo tenderee (deadline 25 days out)."""
    settings = settings or get_settings()
    principal = Principal(
        user_id=agency_user.id,
        username=agency_user.username,
        organization_id=agency_user.organization_id,
        org_type=OrgType.AGENCY,
        roles=frozenset({Role.AGENCY, Role.ORG_ADMIN}),
    )
    now = await db_now(session)
    snapshot = await load_snapshot(session, UnknownHolidayYearPolicy.WEEKENDS_ONLY)
    deadline_day = next_working_day(local_day(now) + timedelta(days=DEMO_BID_PERIOD_DAYS), snapshot).day
    data = TenderIn(
        title="阳光县滨江大道改造工程施工招标",
        title_en="Sunshine County Riverside Avenue Reconstruction Works",
        description="滨江大道（江滨路至城南路段）道路及桥梁改造施工，全长约 3.2 公里。",
        category=Category.WORKS,
        legal_basis=LegalBasis.TENDERING_LAW,
        tenderee_id=orgs[OrgType.TENDEREE].id,
        bid_deadline=at_local_time(deadline_day, time(9, 30)),
        lots=[
            LotIn(title="第一标段：道路工程", estimated_value=Decimal(12_000_000), bid_bond_amount=Decimal(240_000)),
            LotIn(title="第二标段：桥梁工程", estimated_value=Decimal(8_000_000), bid_bond_amount=Decimal(160_000)),
        ],
        ceiling_price=Decimal(19_500_000),
        bid_validity_days=90,
        evaluation_method="综合评估法",
        scoring_template={"price": 60, "technical": 30, "commercial": 10},
        custodian_org_ids=[orgs[OrgType.AGENCY].id, orgs[OrgType.REGULATOR].id, orgs[OrgType.NOTARY].id],
        escrow_quorum=2,
        committee_size=5,
    )
    tender = await create_tender(session, settings, principal, data)

    async def body() -> AsyncIterator[bytes]:
        yield DEMO_DOCUMENT

    await add_document(
        session,
        BlobStore(settings.blob_dir),
        principal,
        tender.id,
        title="招标文件",
        filename="招标文件.txt",
        media_type="text/plain; charset=utf-8",
        chunks=body(),
    )
    notice = await publish_tender(session, settings, principal, tender.id)
    return tender, notice
