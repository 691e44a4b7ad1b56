"""The public result page of a tender: candidate publicity (中标候选人公示) and the award (中标结果), in Chinese
(English with ?lang=en), beside the notice pages."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from litestar import Request, get
from litestar.response import Template

from core.errors import NotFound
from core.i18n import Translator, pick_language
from core.web import UnitOfWork
from evaluation.award import services
from evaluation.award.catalog import CATALOG
from evaluation.award.models import Award
from trading.notices.pages import local

TEMPLATE_DIR = Path(__file__).parent / "templates"


NOTIFIED = frozenset({"notified", "contracted"})


def announced_winner(award: Award) -> str | None:
    """The successful bidder as the award notice sent to all named it; none before it went out (rule 60)."""
    if award.status not in NOTIFIED or not award.notice:
        return None
    lot = next((lot for lot in award.notice.get("lots", []) if lot.get("lot") == award.lot_number), None)
    return str(lot["winner"]["name"]) if lot else None


@get("/results/{tender_id:uuid}", include_in_schema=False)
async def result_page(request: Request[Any, Any, Any], uow: UnitOfWork, tender_id: uuid.UUID) -> Template:
    """Candidates with their prices and scores while in publicity, then the successful bidder of each lot."""
    context: dict[str, Any] = {"t": Translator(CATALOG, pick_language(request)), "local": local}
    try:
        async with uow.read() as session:
            tender, awards, now = await services.public_results(session, tender_id)
    except NotFound:
        return Template("results/missing.html", context=context, status_code=404)
    return Template(
        "results/result.html",
        context={**context, "tender": tender, "awards": awards, "now": now, "winner_of": announced_winner},
    )
