"""`sunbid supervision` against a live server: file, answer, complain, accept, papers, decide; cards, signals."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner, Result
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sunbid.cli import cli
from sunbid.seed import DEMO_PASSWORD
from supervision.signals.models import RiskSignal
from tests.integration.supervision.cases.case_helpers import SHANGHAI, at, regulator_id, tender_on_monday, tick
from tests.integration.supervision.cases.test_complaint_proceedings import PROCUREMENT
from tests.support.opening import served


async def _cli(url: str, user: str, *args: str, ok: bool = True) -> Result:
    """Run `sunbid supervision ARGS` as a demo user in a thread (the server runs on this event loop)."""
    argv = ["supervision", *args, "--server", url, "-u", user, "--password", DEMO_PASSWORD]
    result = await asyncio.to_thread(CliRunner().invoke, cli, argv, catch_exceptions=False)
    assert (result.exit_code == 0) is ok, result.output
    return result


async def _json(url: str, user: str, *args: str) -> Any:
    return json.loads((await _cli(url, user, *args, "--json")).stdout)


async def test_the_regulators_workbench_from_the_terminal(
    app: Litestar,
    client: httpx.AsyncClient,
    seeded: None,
    sessions: async_sessionmaker[AsyncSession],
    shift_clock: Any,
    tmp_path: Path,
) -> None:
    tender = await tender_on_monday(client, sessions, shift_clock, **PROCUREMENT)
    regulator = await regulator_id(client)
    async with served(app) as url:
        challenge = await _json(
            url, "bidder1", "cases", "file", "--kind", "challenge", "--tender", tender, "--matter", "documents",
            "--title", "对采购文件的质疑", "--grounds", "技术参数指向特定品牌",
        )  # fmt: skip
        assert (challenge["kind"], challenge["status"], challenge["holds_contract_lock"]) == (
            "challenge",
            "filed",
            True,
        )
        listed = await _cli(url, "agency", "cases", "list", "--tender", tender)
        assert challenge["id"] in listed.stdout
        assert "holds contract" in listed.stdout
        assert "1 case(s)" in listed.stdout

        wrong = await _cli(url, "bidder2", "cases", "answer", challenge["id"], "--answer", "x", ok=False)
        assert "403" in wrong.output
        answered = await _json(url, "agency", "cases", "answer", challenge["id"], "--answer", "参数合理")
        assert answered["status"] == "answered"

        complaint = await _json(
            url, "bidder1", "cases", "file", "--kind", "complaint", "--tender", tender, "--matter", "documents",
            "--title", "投诉", "--grounds", "质疑答复不满意", "--regulator", regulator,
        )  # fmt: skip
        assert complaint["prior_case_id"] == challenge["id"]
        refused = await _cli(url, "bidder1", "cases", "decide", complaint["id"], "--outcome", "upheld",
                             "--decision", "x", ok=False)  # fmt: skip
        assert "403" in refused.output
        accepted = await _json(url, "regulator", "cases", "accept", complaint["id"])
        assert accepted["papers_due_at"] is not None

        await at(sessions, shift_clock, datetime(2025, 3, 14, 1, 0, tzinfo=SHANGHAI))  # papers overdue
        await tick(sessions)
        cards = await _json(url, "regulator", "cards", "list", "--tender", tender, "--rule", "67")
        papers = [c for c in cards if c["label"].startswith("发送投诉答复通知书")]
        assert [c["colour"] for c in papers] == ["red"]  # one tick past the due time: straight to red
        table = await _cli(url, "regulator", "cards", "list", "--tender", tender, "--colour", "red")
        assert f"red    rule 67  due {papers[0]['due_at']}" in table.stdout
        assert "yellow" not in table.stdout
        out = tmp_path / "cards.csv"
        await _cli(url, "regulator", "cards", "export", "--tender", tender, "--output", str(out))
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
        every = await _json(url, "regulator", "cards", "list", "--tender", tender)
        assert [r["id"] for r in rows] == [c["id"] for c in every]
        assert {c["id"] for c in papers} <= {r["id"] for r in rows}
        piped = await _cli(url, "regulator", "cards", "export", "--tender", tender, "-o", "-")
        assert list(csv.DictReader(io.StringIO(piped.stdout))) == rows
        assert await _json(url, "bidder1", "cards", "list") == []  # a bidder is responsible for no clock

        sent = await _json(url, "regulator", "cases", "papers-sent", complaint["id"])
        assert sent["reply_due_at"] is not None
        replied = await _json(url, "agency", "cases", "reply", complaint["id"], "--reply", "已提交说明")
        assert replied["reply"] == "已提交说明"
        paused = await _cli(url, "regulator", "cases", "pause", complaint["id"], "--kind", "supplement",
                            "--reason", "投诉人补正材料")  # fmt: skip
        assert "supplement" in paused.stdout
        resumed = await _cli(url, "regulator", "cases", "resume", complaint["id"])
        assert "excluded 0 day(s)" in resumed.stdout
        decided = await _json(url, "regulator", "cases", "decide", complaint["id"], "--outcome", "dismissed",
                              "--decision", "投诉事项缺乏事实依据")  # fmt: skip
        assert (decided["status"], decided["outcome"]) == ("decided", "dismissed")
        shown = await _cli(url, "bidder1", "cases", "show", complaint["id"])
        assert "decision: 投诉事项缺乏事实依据" in shown.stdout
        assert "reply: 已提交说明" in shown.stdout

        async with sessions() as session, session.begin():
            session.add(
                RiskSignal(
                    id=uuid.uuid4(),
                    tender_id=uuid.UUID(tender),
                    lot=1,
                    kind="same_key_holder",
                    rule=51,
                    fingerprint="cli-test",
                    bidder_org_ids=[uuid.UUID(complaint["complainant_org_id"])],
                    evidence={"certificate_serial": "01"},
                )
            )
        signals = await _cli(url, "regulator", "signals", "list", "--tender", tender)
        assert "same_key_holder" in signals.stdout
        assert "1 signal(s)" in signals.stdout
