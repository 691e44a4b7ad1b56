"""HTML notice pages in Chinese (English with ?lang=en)."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from litestar import Request, get
from litestar.response import Template

from core.calendar import SHANGHAI
from core.errors import NotFound
from core.i18n import Translator, pick_language
from core.web import UnitOfWork
from trading.notices import services
from trading.notices.catalog import CATALOG

TEMPLATE_DIR = Path(__file__).parent / "templates"


def local(moment: datetime) -> str:
    """A time as Asia/Shanghai wall clock (the statutory clock)."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def local_iso(value: str | None) -> str:
    """An ISO timestamp from a snapshot, shown as Asia/Shanghai wall clock."""
    return local(datetime.fromisoformat(value)) if value else ""


def _context(request: Request[Any, Any, Any], **extra: Any) -> dict[str, Any]:
    return {"t": Translator(CATALOG, pick_language(request)), "local": local, "local_iso": local_iso, **extra}


@get("/notices", include_in_schema=False)
async def notice_list(request: Request[Any, Any, Any], uow: UnitOfWork) -> Template:
    """All published notices, newest first."""
    async with uow.read() as session:
        notices = await services.latest_notices(session, 200)
    return Template("notices/list.html", context=_context(request, notices=notices))


@get("/notices/{notice_id:uuid}", include_in_schema=False)
async def notice_page(request: Request[Any, Any, Any], uow: UnitOfWork, notice_id: uuid.UUID) -> Template:
    """One notice, rendered from its frozen snapshot; a browser that asks for an unknown one gets a page too."""
    try:
        async with uow.read() as session:
            notice = await services.get_notice(session, notice_id)
            later = await services.later_notices(session, notice)
    except NotFound:
        return Template("notices/missing.html", context=_context(request), status_code=404)
    return Template("notices/notice.html", context=_context(request, notice=notice, later=later))
