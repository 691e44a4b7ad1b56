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
from evaluation.award.models import Award
from trading.notices.catalog import CATALOG as NOTICE_CATALOG
from trading.notices.pages import local

TEMPLATE_DIR = Path(__file__).parent / "templates"
RESULT_CATALOG: dict[str, dict[str, str]] = {
    "results.title": {"zh-CN": "评标结果公示", "en": "Evaluation results"},
    "results.none": {
        "zh-CN": "本项目尚未公示评标结果。",
        "en": "No evaluation result has been published for this tender.",
    },
    "results.lot": {"zh-CN": "标段", "en": "Lot"},
    "results.candidates": {"zh-CN": "中标候选人公示", "en": "Candidate publicity"},
    "results.publicity_ends": {"zh-CN": "公示期截止", "en": "Publicity ends"},
    "results.objection": {
        "zh-CN": "投标人或者其他利害关系人对评标结果有异议的，应当在公示期间提出。",
        "en": "Bidders and other interested parties may object to the result during the publicity period.",
    },
    "results.rank": {"zh-CN": "排序", "en": "Rank"},
    "results.bidder": {"zh-CN": "投标人", "en": "Bidder"},
    "results.price": {"zh-CN": "投标报价（元）", "en": "Bid price (yuan)"},
    "results.score": {"zh-CN": "评标得分", "en": "Score"},
    "results.winner": {"zh-CN": "中标人", "en": "Successful bidder"},
    "results.notified": {"zh-CN": "中标通知书发出时间", "en": "Award notice sent"},
    "results.none_lot": {"zh-CN": "本标段无中标候选人。", "en": "This lot has no candidates."},
    "status.publicity": {"zh-CN": "公示中", "en": "In publicity"},
    "status.awaiting_decision": {"zh-CN": "待定标", "en": "Awaiting the decision"},
    "status.decided": {"zh-CN": "已定标", "en": "Decided"},
    "status.notified": {"zh-CN": "已发中标通知书", "en": "Award notice sent"},
    "status.contracted": {"zh-CN": "已签订合同", "en": "Contract signed"},
    "status.contract_refused": {"zh-CN": "中标人放弃或未签订合同", "en": "Contract not signed"},
}
CATALOG = {**NOTICE_CATALOG, **RESULT_CATALOG}


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
