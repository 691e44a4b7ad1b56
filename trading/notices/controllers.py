"""Public notice endpoints: JSON and OCDS release packages; no token needed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import Parameter

from core.schemas import BIGINT_MAX, Out
from core.web import UnitOfWork
from trading.notices import services
from trading.notices.ocds import release_package
from trading.tenders.models import TenderNotice


class NoticeOut(Out):
    """A published notice and the snapshot it announced."""

    id: uuid.UUID
    tender_id: uuid.UUID
    kind: str
    title: str
    title_en: str | None
    published_at: datetime
    html_url: str
    ocds_url: str
    content: dict[str, Any]


def notice_out(notice: TenderNotice) -> NoticeOut:
    """The API view of a notice."""
    return NoticeOut(
        id=notice.id,
        tender_id=notice.tender_id,
        kind=notice.kind,
        title=notice.title,
        title_en=notice.title_en,
        published_at=notice.published_at,
        html_url=f"/notices/{notice.id}",
        ocds_url=f"/api/notices/{notice.id}/ocds",
        content=notice.content,
    )


def base_url(request: Request[Any, Any, Any]) -> str:
    """The absolute base the OCDS URLs point at."""
    return str(request.base_url).rstrip("/")


class NoticeController(Controller):
    """Tender, amendment and cancellation notices as open data."""

    path = "/api/notices"
    tags = ["notices"]  # noqa: RUF012 (Litestar reads this class attribute)

    @get("/", summary="Published notices, newest first")
    async def list_all(
        self,
        uow: UnitOfWork,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        offset: Annotated[int, Parameter(ge=0, le=BIGINT_MAX)] = 0,
    ) -> list[NoticeOut]:
        """Every published notice."""
        async with uow.read() as session:
            rows = await services.latest_notices(session, limit, offset)
        return [notice_out(n) for n in rows]

    @get("/{notice_id:uuid}", summary="One notice")
    async def show(self, notice_id: uuid.UUID, uow: UnitOfWork) -> NoticeOut:
        """A notice and what it announced."""
        async with uow.read() as session:
            notice = await services.get_notice(session, notice_id)
        return notice_out(notice)

    @get("/{notice_id:uuid}/ocds", summary="OCDS 1.1 release package of a notice")
    async def ocds(self, notice_id: uuid.UUID, uow: UnitOfWork, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """Open Contracting Data Standard release package (validates with libcoveocds)."""
        async with uow.read() as session:
            notice = await services.get_notice(session, notice_id)
        return release_package(notice, base_url(request))
