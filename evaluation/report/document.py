"""The evaluation report rendered in Chinese: committee, validity review, ranking, candidates; results attached."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from signing.pdf import Document, render

RESULTS_ATTACHMENT = "evaluation-results.json"


def _decision(decision: dict[str, Any] | None) -> str:
    """The committee's rule-52 vote as the report states it."""
    if not decision:
        return ""
    outcome = "否决全部投标" if decision["reject_all"] else "继续评审"
    return f"\n评标委员会表决（规则52）：{outcome}（赞成否决 {decision['for']} 票，反对 {decision['against']} 票）。"


def render_report(title: str, results: dict[str, Any], created_at: dt.datetime) -> bytes:
    """The unsigned report PDF; every member then appends a PAdES signature in turn."""
    chair = results.get("chair_seat")
    members = "\n".join(
        f"第{m['seat']}席：{m['kind_zh']}" + ("（组长）" if m["seat"] == chair else "") for m in results["members"]
    )
    sections = [
        ("一、项目概况", f"招标项目：{title}\n评标方法：{results['method']}\n并列排序规则：{results['tie_breaks']}"),
        ("二、评标委员会", members),
    ]
    table = [["标段", "排名", "投标人", "投标报价", "价格得分", "评审得分（平均）", "最终得分"]]
    for lot in results["lots"]:
        invalid = "；".join(f"{b['bidder_name']}（{'、'.join(b['grounds']) or '无效'}）" for b in lot["invalid"])
        sections.append(
            (
                f"三、第{lot['lot']}标段评审结论",
                f"有效投标 {len(lot['ranking'])} 家；否决投标：{invalid or '无'}。"
                + ("\n有效投标不足三家（规则52）。" if lot.get("too_few_valid") else "")
                + _decision(lot.get("decision"))
                + "\n中标候选人（不超过三名）："
                + "、".join(f"第{c['rank']}名 {c['bidder_name']}" for c in lot["candidates"]),
            )
        )
        for row in lot["ranking"]:
            table.append(
                [
                    str(lot["lot"]),
                    str(row["rank"]),
                    row["bidder_name"],
                    row["price"],
                    row["price_score"],
                    row["subjective_mean"],
                    row["final"],
                ]
            )
    sections.append(("四、签署", "评标委员会全体成员依次以各自的电子签名签署本报告；有不同意见的，书面说明附后。"))
    document = Document(
        title="评标报告",
        sections=tuple(sections),
        table=table,
        attachments={RESULTS_ATTACHMENT: json.dumps(results, ensure_ascii=False, sort_keys=True).encode()},
        subject=f"evaluation report {results['tender']}",
    )
    return render(document, created_at=created_at)
