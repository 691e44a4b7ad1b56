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


def winner_name(award: Award) -> str | None:
    """The successful bidder's name as the candidate list states it."""
    if award.winner_id is None:
        return None
    return next((c["bidder_name"] for c in award.candidates if c["bidder"] == str(award.winner_id)), None)


@get("/results/{tender_id:uuid}", include_in_schema=False)
async def result_page(request: Request[Any, Any, Any], uow: UnitOfWork, tender_id: uuid.UUID) -> Template:
    """Candidates with their prices and scores while in publicity, then the successful bidder of each lot."""
    context: dict[str, Any] = {"t": Translator(CATALOG, pick_language(request)), "local": local}
    try:
        async with uow.read() as session:
            tender, awards = await services.public_results(session, tender_id)
    except NotFound:
        return Template("results/missing.html", context=context, status_code=404)
    return Template(
        "results/result.html", context={**context, "tender": tender, "awards": awards, "winner_name": winner_name}
    )
