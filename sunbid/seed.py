"""Demo data for a fresh database: one organization per party type, users with known demo passwords."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.models import Organization
from core.identity.roles import PRIMARY_ROLE, OrgType, Role
from core.identity.services import create_organization, create_user
from core.identity.usci import make_credit_code

DEMO_PASSWORD = "sunbid-demo-2026"  # noqa: S105 (published demo credential, printed by make run)


@dataclass(frozen=True)
class DemoParty:
    """A demo organization and its one user."""

    username: str
    display_name: str
    org_name: str
    org_name_en: str
    org_type: OrgType
    credit_body: str
    admin: bool = True


DEMO_PARTIES: tuple[DemoParty, ...] = (
    DemoParty(
        "operator",
        "平台运营管理员",
        "阳光县公共资源交易中心",
        "Sunshine County Trading Center",
        OrgType.OPERATOR,
        "12330100MB0000001",
    ),
    DemoParty(
        "regulator",
        "监督科 李明",
        "阳光县发展和改革局",
        "Sunshine County Development and Reform Bureau",
        OrgType.REGULATOR,
        "11330100MB0000002",
    ),
    DemoParty(
        "tenderee",
        "建设单位 王芳",
        "阳光县城市建设投资有限公司",
        "Sunshine County Urban Construction Investment Co.",
        OrgType.TENDEREE,
        "91330100MA0000003",
    ),
    DemoParty(
        "agency",
        "招标代理 张伟",
        "阳光招标代理有限公司",
        "Sunshine Tendering Agency Co.",
        OrgType.AGENCY,
        "91330100MA0000004",
    ),
    DemoParty(
        "notary", "公证员 陈静", "阳光县公证处", "Sunshine County Notary Office", OrgType.NOTARY, "12330100MB0000005"
    ),
    DemoParty(
        "guarantor",
        "保函业务 刘洋",
        "阳光银行股份有限公司",
        "Sunshine Bank Co., Ltd.",
        OrgType.GUARANTOR,
        "91330100MA0000006",
    ),
    DemoParty(
        "bidder1",
        "投标人一 赵强",
        "东方建设工程有限公司",
        "Dongfang Construction Engineering Co.",
        OrgType.BIDDER,
        "91330100MA0000007",
    ),
    DemoParty(
        "bidder2",
        "投标人二 孙丽",
        "南山路桥集团有限公司",
        "Nanshan Road and Bridge Group Co.",
        OrgType.BIDDER,
        "91330100MA0000008",
    ),
    DemoParty(
        "bidder3",
        "投标人三 周杰",
        "西湖市政工程有限公司",
        "Xihu Municipal Engineering Co.",
        OrgType.BIDDER,
        "91330100MA0000009",
    ),
    DemoParty(
        "bidder4",
        "投标人四 吴敏",
        "北辰建筑安装有限公司",
        "Beichen Building Installation Co.",
        OrgType.BIDDER,
        "91330100MA0000010",
    ),
    DemoParty(
        "expert1",
        "评标专家 郑华",
        "阳光县评标专家库",
        "Sunshine County Expert Pool",
        OrgType.EXPERT_POOL,
        "12330100MB0000011",
        admin=False,
    ),
)


async def database_is_empty(session: AsyncSession) -> bool:
    """True when no organization exists yet."""
    return (await session.scalar(select(func.count()).select_from(Organization))) == 0


async def seed_demo(session: AsyncSession) -> list[DemoParty]:
    """Create the demo parties and users; call only on an empty database."""
    orgs: dict[str, Organization] = {}
    for party in DEMO_PARTIES:
        org = orgs.get(party.org_name)
        if org is None:
            org = await create_organization(
                session,
                name=party.org_name,
                name_en=party.org_name_en,
                credit_code=make_credit_code(party.credit_body),
                org_type=party.org_type,
                region="330100",
            )
            orgs[party.org_name] = org
        roles = [PRIMARY_ROLE[party.org_type]]
        if party.admin:
            roles.append(Role.ORG_ADMIN)
        await create_user(
            session,
            organization_id=org.id,
            username=party.username,
            display_name=party.display_name,
            password=DEMO_PASSWORD,
            roles=roles,
        )
    await _seed_demo_tender(session, orgs)
    return list(DEMO_PARTIES)


async def _seed_demo_tender(session: AsyncSession, orgs: dict[str, Organization]) -> None:
    """One published 工程 tender open for bids, by the demo agency for the demo tenderee."""
    from core.identity.models import User
    from sunbid.demo_tender import seed_demo_tender

    agency_user = await session.scalar(select(User).where(User.username == "agency"))
    if agency_user is None:
        return
    await seed_demo_tender(session, {OrgType(o.org_type): o for o in orgs.values()}, agency_user)


def demo_logins_text(base_url: str) -> str:
    """The lines `make run` prints so a newcomer can sign in."""
    lines = [
        f"Sunbid is serving on {base_url}  (API docs: {base_url}/schema/swagger)",
        f"Demo logins (password for all: {DEMO_PASSWORD}):",
    ]
    lines += [f"  {p.username:<10} {p.org_type.value:<12} {p.org_name}" for p in DEMO_PARTIES]
    return "\n".join(lines)
