"""Shared HTML pages of the assembly: the home page."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from core.i18n import Translator, pick_language
from sunbid.catalog import CATALOG
from sunbid.notice_feed import latest_notices


@get("/", include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Template:
    """The public front page in Chinese (English with ?lang=en), listing the latest notices."""
    lang = pick_language(request)
    notices = await latest_notices(request.app.state.session_factory, lang)
    return Template("home.html", context={"t": Translator(CATALOG, lang), "notices": notices})
