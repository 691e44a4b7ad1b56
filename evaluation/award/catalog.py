"""UI strings of the public result page, in zh-CN and English, on top of the notice pages' strings."""

from trading.notices.catalog import CATALOG as NOTICE_CATALOG

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
    "tender_status.suspended": {
        "zh-CN": "本项目已暂停（投诉处理中），评标结果待定。",
        "en": "This tender is suspended while a complaint is handled; the result is pending.",
    },
    "tender_status.cancelled": {"zh-CN": "本项目已终止。", "en": "This tender has been cancelled."},
    "tender_status.failed": {"zh-CN": "本项目已失败（流标）。", "en": "This tender has failed."},
    "status.publicity": {"zh-CN": "公示中", "en": "In publicity"},
    "status.awaiting_decision": {"zh-CN": "待定标", "en": "Awaiting the decision"},
    "status.decided": {"zh-CN": "已定标", "en": "Decided"},
    "status.notified": {"zh-CN": "已发中标通知书", "en": "Award notice sent"},
    "status.contracted": {"zh-CN": "已签订合同", "en": "Contract signed"},
    "status.contract_refused": {"zh-CN": "中标人放弃或未签订合同", "en": "Contract not signed"},
}
CATALOG = {**NOTICE_CATALOG, **RESULT_CATALOG}
