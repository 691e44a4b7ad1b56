"""The opening record (开标记录表, rule 29): rendered by the platform, signed by the agency on its own machine,
validated (pyHanko bottom line against the platform CA) before it is published; bidders confirm or dispute it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from bidding.opening import messages
from bidding.opening.access import PUBLIC
from bidding.opening.announce import reading_row
from bidding.opening.context import OpeningContext
from bidding.opening.errors import NotYetAnnounced, RecordRefused
from bidding.opening.models import HallObjection, Opening, RecordConfirmation
from bidding.opening.services import get_opening, opened_bids
from bidding.opening.states import OpeningStatus
from core.calendar import beijing_zh
from core.db import db_now
from core.errors import Conflict, Forbidden
from core.identity.models import Certificate, User
from core.identity.principal import Principal
from core.identity.roles import Role
from core.journal import record_event
from signing.ca import public_key_sha256
from signing.pades import document_accepted, validate_pdf_async
from signing.pdf import render_document
from signing.statements import SignedStatement, StatementInvalid, verify_statement
from trading.tenders.models import Tender

CONFIRMATION_TYPE = "sunbid.opening-record-confirmation/v1"
_STATUS_ZH = {
    "decrypted": "已解密",
    "escrow_opened": "托管密钥解密",
    "revoked": "视为撤销",
    "withdrawn": "视为撤回",
}


async def render_record(session: AsyncSession, tender_id: uuid.UUID) -> bytes:
    """The record's PDF; the same opening always renders the same bytes (created at the moment of the reading)."""
    opening = await get_opening(session, tender_id)
    if opening.announced_at is None:
        raise NotYetAnnounced("the opening record exists once the prices have been read out")
    tender = await session.get(Tender, tender_id)
    rows = [reading_row(b) for b in await opened_bids(session, tender_id) if b.status != "unopened"]
    table = [["标段", "投标人", "投标报价（元）", "工期（日历天）", "质量", "投标保证金", "解密情况"]]
    for r in rows:
        table.append(
            [
                str(r["lot"]),
                r["bidder_name"],
                r["price"] or "—",
                str(r["duration_days"] or "—"),
                r["quality"] or "—",
                str(r["guarantee"] or "—"),
                _STATUS_ZH.get(r["status"], r["status"]),
            ]
        )
    objections = (
        await session.scalars(
            select(HallObjection).where(HallObjection.tender_id == tender_id).order_by(HallObjection.raised_at)
        )
    ).all()
    lines = "\n".join(f"异议：{o.body}　答复：{o.answer or '（未答复）'}" for o in objections) or "无"
    failed = "、".join(f"第{n}标段" for n in opening.failed_lots) or "无"
    sections = [
        ("项目", f"{tender.title if tender else ''}\n招标项目编号：{tender_id}"),
        (
            "开标",
            f"开标时间（投标截止时间）：{beijing_zh(opening.started_at)}\n唱标时间：{beijing_zh(opening.announced_at)}",
        ),
        ("流标标段（投标人少于3个）", failed),
        ("现场异议及答复", lines),
    ]
    data = json.dumps(
        {"tender": str(tender_id), "announced_at": opening.announced_at.isoformat(), "bids": rows},
        ensure_ascii=False,
        sort_keys=True,
    )
    return await asyncio.to_thread(
        render_document, "开标记录表", sections, table, {"opening.json": data.encode()}, created_at=opening.announced_at
    )


async def _agency_signer(session: AsyncSession, tender: Tender, key_sha256: str) -> User:
    user = await session.scalar(
        select(User)
        .join(Certificate, Certificate.user_id == User.id)
        .where(
            Certificate.public_key_sha256 == key_sha256,
            Certificate.revoked_at.is_(None),
            User.organization_id == tender.agency_id,
        )
    )
    if user is None:
        raise RecordRefused("the record is not signed with a certificate the platform issued to the tender's agency")
    return user


async def publish_signed_record(
    ctx: OpeningContext, session: AsyncSession, principal: Principal, tender_id: uuid.UUID, signed: bytes
) -> Opening:
    """Accept the agency's signed record only if it is this record, signed by the agency, and pyHanko accepts it."""
    tender = await session.get(Tender, tender_id)
    if tender is None or not (principal.has(Role.AGENCY) and principal.organization_id == tender.agency_id):
        raise Forbidden("only the tender's agency signs its opening record")
    opening = await get_opening(session, tender_id, lock="update")
    if opening.status != OpeningStatus.ANNOUNCED:
        raise Conflict(f"the opening is {opening.status}: a record is signed once, after the reading")
    rendered = await render_record(session, tender_id)
    if not signed.startswith(rendered) or len(signed) == len(rendered):
        raise RecordRefused("the upload is not the record the platform rendered with a signature appended")
    statuses = await validate_pdf_async(signed, [ctx.ca], now=await db_now(session))
    if len(statuses) != 1 or not document_accepted(statuses) or statuses[0].signer_certificate is None:
        raise RecordRefused("the record's signature is not accepted (pyHanko bottom line against the platform CA)")
    signer = await _agency_signer(session, tender, public_key_sha256(statuses[0].signer_certificate))
    now = await db_now(session)
    opening.status = OpeningStatus.PUBLISHED
    opening.record_sha256 = hashlib.sha256(rendered).hexdigest()
    opening.signed_record = signed
    opening.signed_record_sha256 = hashlib.sha256(signed).hexdigest()
    opening.record_signer = statuses[0].signer_subject
    opening.published_at = now
    await record_event(
        session,
        "opening.record_published",
        {
            "tender": str(tender_id),
            "sha256": opening.signed_record_sha256,
            "rendered_sha256": opening.record_sha256,
            "signer": signer.username,
        },
        actor=principal.actor,
        subject_id=tender_id,
    )
    await messages.post(
        session,
        tender_id,
        "record.published",
        PUBLIC,
        {"sha256": opening.signed_record_sha256, "url": f"/api/openings/{tender_id}/record"},
    )
    return opening


async def published_record(session: AsyncSession, tender_id: uuid.UUID) -> bytes:
    """The signed, published record (public)."""
    opening = await session.scalar(
        select(Opening).where(Opening.tender_id == tender_id).options(undefer(Opening.signed_record))
    )
    if opening is None or opening.signed_record is None:
        raise NotYetAnnounced("the opening record has not been published yet")
    return opening.signed_record


async def confirm_record(
    ctx: OpeningContext, session: AsyncSession, principal: Principal, tender_id: uuid.UUID, text: str
) -> RecordConfirmation:
    """A bidder confirms or disputes the published record with a signed statement (once)."""
    opening = await get_opening(session, tender_id)
    if opening.status != OpeningStatus.PUBLISHED or opening.signed_record_sha256 is None:
        raise NotYetAnnounced("the record is confirmed once published")
    mine = [b for b in await opened_bids(session, tender_id) if b.bidder_org_id == principal.organization_id]
    if not mine or not principal.has(Role.BIDDER):
        raise Forbidden("only bidders of this opening confirm or dispute its record")
    try:
        statement = SignedStatement.from_json(text)
        payload = verify_statement(statement, [ctx.ca])
    except StatementInvalid as exc:
        raise RecordRefused(f"the statement does not verify: {exc.reason}") from exc
    owned = await session.scalar(
        select(Certificate.id).where(
            Certificate.user_id == principal.user_id,
            Certificate.public_key_sha256 == public_key_sha256(statement.certificate),
        )
    )
    verdict = payload.get("verdict")
    expected = {
        "type": CONFIRMATION_TYPE,
        "tender": str(tender_id),
        "bidder": str(principal.organization_id),
        "record_sha256": opening.signed_record_sha256,
    }
    if owned is None or verdict not in ("confirm", "dispute") or any(payload.get(k) != v for k, v in expected.items()):
        raise RecordRefused(
            "the statement must be yours and name this tender, your organization, the record's SHA-256 and a verdict"
        )
    reason = payload.get("reason") if isinstance(payload.get("reason"), str) else None
    row = RecordConfirmation(
        tender_id=tender_id,
        bidder_org_id=principal.organization_id,
        verdict=verdict,
        reason=reason,
        statement=statement.to_json(),
    )
    session.add(row)
    await session.flush()
    await record_event(
        session,
        "opening.record_confirmed" if verdict == "confirm" else "opening.record_disputed",
        {**expected, "verdict": verdict, "reason": reason},
        actor=principal.actor,
        subject_id=tender_id,
    )
    await messages.post(
        session,
        tender_id,
        "record.verdict",
        PUBLIC,
        {"bidder_name": mine[0].bidder_name, "verdict": verdict, "reason": reason},
    )
    return row
