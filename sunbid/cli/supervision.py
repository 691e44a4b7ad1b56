"""`sunbid supervision ...`: cases, cards and signals from a terminal, through the same HTTP API as the workbench."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sunbid.cli.client import ApiClient, password_option, server_option, username_option

KINDS = ("objection", "challenge", "inquiry", "complaint")
MATTERS = ("documents", "opening", "result", "process", "other")
STATUSES = ("filed", "answered", "accepted", "rejected", "decided", "withdrawn")
OUTCOMES = ("upheld", "partly_upheld", "dismissed")
EXCLUSIONS = ("inspection", "testing", "appraisal", "expert_review", "supplement")
json_option = click.option("--json", "as_json", is_flag=True, help="Print the server's JSON instead of a table.")


def connected(command: Callable[..., None]) -> Callable[..., None]:
    """Add --server, --username and --password and hand the command a signed-in `api`."""

    @server_option
    @username_option
    @password_option
    @functools.wraps(command)
    def wrapper(server: str, username: str, password: str, **kwargs: Any) -> None:
        command(api=ApiClient.sign_in(server, username, password), **kwargs)

    return wrapper


def _params(**values: Any) -> dict[str, Any]:
    """Query parameters without the options left out."""
    return {k: v for k, v in values.items() if v is not None}


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _case_line(case: dict[str, Any]) -> str:
    due = case.get("decision_due_at") or case.get("answer_due_at") or case.get("acceptance_due_at") or "-"
    locks = [
        name for name, key in (("suspended", "holds_suspension"), ("contract", "holds_contract_lock")) if case[key]
    ]
    return (
        f"{case['id']}  {case['kind']:<9} {case['matter']:<9} {case['status']:<9} due {due}"
        f"{'  holds ' + ','.join(locks) if locks else ''}  {case['title']}"
    )


def _show_case(case: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _dump(case)
        return
    click.echo(_case_line(case))
    for key in (
        "tender_id",
        "filed_at",
        "answer",
        "accepted_at",
        "papers_due_at",
        "papers_sent_at",
        "reply_due_at",
        "reply",
        "outcome",
        "decision",
        "decided_at",
        "rejection_reason",
    ):
        if case.get(key) is not None:
            click.echo(f"  {key}: {case[key]}")


@click.group()
def supervision() -> None:
    """Objections, challenges and complaints; yellow and red cards; risk signals (监督)."""


@supervision.group()
def cases() -> None:
    """Cases: 异议, 质疑, 询问 and 投诉."""


@cases.command("list")
@connected
@click.option("--tender", default=None, help="Only this tender's cases.")
@click.option("--kind", type=click.Choice(KINDS), default=None)
@click.option("--status", type=click.Choice(STATUSES), default=None)
@json_option
def list_cases(api: ApiClient, tender: str | None, kind: str | None, status: str | None, as_json: bool) -> None:
    """The cases you may see, newest first."""
    found = api.call("GET", "/api/cases", params=_params(tender=tender, kind=kind, status=status))
    if as_json:
        _dump(found)
        return
    for case in found:
        click.echo(_case_line(case))
    click.echo(f"{len(found)} case(s)")


@cases.command("show")
@connected
@click.argument("case_id")
@json_option
def show_case(api: ApiClient, case_id: str, as_json: bool) -> None:
    """One case with its answer, papers, reply and decision."""
    _show_case(api.call("GET", f"/api/cases/{case_id}"), as_json)


@cases.command("file")
@connected
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--tender", required=True, help="Tender id.")
@click.option("--matter", type=click.Choice(MATTERS), required=True)
@click.option("--title", required=True)
@click.option("--grounds", required=True, help="The facts and reasons; @FILE reads them from a file.")
@click.option("--known-on", default=None, help="The day you learned of the matter (YYYY-MM-DD; default today).")
@click.option("--regulator", default=None, help="A complaint names the regulator's organization id.")
@click.option("--prior", default=None, help="The objection or challenge a complaint rests on (default: your latest).")
@json_option
def file_case(
    api: ApiClient,
    kind: str,
    tender: str,
    matter: str,
    title: str,
    grounds: str,
    known_on: str | None,
    regulator: str | None,
    prior: str | None,
    as_json: bool,
) -> None:
    """File an objection, challenge, inquiry or complaint; refused outside its statutory window."""
    if grounds.startswith("@"):
        grounds = Path(grounds[1:]).read_text(encoding="utf-8")
    body = _params(
        kind=kind,
        tender_id=tender,
        matter=matter,
        title=title,
        grounds=grounds,
        known_on=known_on,
        regulator_id=regulator,
        prior_case_id=prior,
    )
    _show_case(api.call("POST", "/api/cases", json=body), as_json)


def _step(step: str, doc: str, *options: Callable[[Any], Any]) -> None:
    """One `cases STEP CASE_ID [options]` command posting the options as the JSON body."""

    def run(api: ApiClient, case_id: str, as_json: bool, **body: Any) -> None:
        _show_case(api.call("POST", f"/api/cases/{case_id}/{step}", json=_params(**body) or None), as_json)

    run.__doc__ = doc
    command: Any = run
    for option in reversed(options):
        command = option(command)
    command = json_option(command)
    command = click.argument("case_id")(command)
    cases.command(step)(connected(command))


_step(
    "answer", "Answer an objection, challenge or inquiry (agency or tenderee).", click.option("--answer", required=True)
)
_step("withdraw", "Withdraw your own case.")
_step("accept", "Accept a complaint (regulator).")
_step("reject", "Reject a complaint with the reason (regulator).", click.option("--reason", required=True))
_step(
    "suspend", "Suspend the tender while handling the complaint (regulator).", click.option("--reason", required=True)
)
_step("lift", "Lift the suspension the complaint holds (regulator).", click.option("--reason", required=True))
_step(
    "contract-hold",
    "Hold contract signing until the complaint is decided (regulator).",
    click.option("--reason", required=True),
)
_step("contract-release", "Release the complaint's contract hold (regulator).", click.option("--reason", required=True))
_step(
    "decide",
    "Decide and publish a complaint (regulator).",
    click.option("--outcome", type=click.Choice(OUTCOMES), required=True),
    click.option("--decision", required=True),
)
_step("papers-sent", "Record that the complaint's papers went to the parties (regulator, rule 67).")
_step(
    "reply",
    "File the respondent's reply to the complaint (agency or tenderee, rule 67).",
    click.option("--reply", required=True),
)


@cases.command("pause")
@connected
@click.argument("case_id")
@click.option("--kind", type=click.Choice(EXCLUSIONS), required=True, help="What the excluded time is for.")
@click.option("--reason", required=True)
def pause_case(api: ApiClient, case_id: str, kind: str, reason: str) -> None:
    """Start excluded time: the decision clock stops (regulator; rules 64, 67)."""
    pause = api.call("POST", f"/api/cases/{case_id}/pauses", json={"kind": kind, "reason": reason})
    click.echo(
        f"pause {pause['id']} ({pause['kind']}) from {pause['started_at']}; decision was due {pause['due_before']}"
    )


@cases.command("resume")
@connected
@click.argument("case_id")
def resume_case(api: ApiClient, case_id: str) -> None:
    """End excluded time: the decision is due later by the days excluded (regulator)."""
    pause = api.call("POST", f"/api/cases/{case_id}/pauses/end")
    click.echo(f"excluded {pause['excluded_days']} day(s); the decision is now due {pause['due_after']}")


def card_filters(command: Callable[..., None]) -> Callable[..., None]:
    """The card list's filters, shared by `cards list` and `cards export`."""
    for option in reversed(
        (
            click.option("--tender", default=None),
            click.option("--organization", default=None, help="Responsible organization id."),
            click.option("--colour", type=click.Choice(("yellow", "red")), default=None),
            click.option("--rule", type=int, default=None, help="Rule row in docs/statutory-rules.md."),
            click.option("--since", default=None, help="First day raised (YYYY-MM-DD, Asia/Shanghai)."),
            click.option("--until", default=None, help="Last day raised (YYYY-MM-DD, Asia/Shanghai)."),
        )
    ):
        command = option(command)
    return command


@supervision.group()
def cards() -> None:
    """Yellow (80 % elapsed) and red (overdue) cards of statutory clocks."""


@cards.command("list")
@connected
@card_filters
@json_option
def list_cards(api: ApiClient, as_json: bool, **filters: Any) -> None:
    """Cards newest first: regulators see all, others their own organization's."""
    found = api.call("GET", "/api/supervision/cards", params=_params(**filters))
    if as_json:
        _dump(found)
        return
    for card in found:
        click.echo(
            f"{card['raised_at']}  {card['colour']:<6} rule {card['rule']:<3} due {card['due_at']}  "
            f"{card['subject_type']} {card['subject_id']}  {card['label']}"
        )
    click.echo(f"{len(found)} card(s)")


@cards.command("export")
@connected
@card_filters
@click.option("--format", "export_format", type=click.Choice(("csv", "json")), default="csv", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=None,
    help="A file; stdout if - or none.",
)
def export_cards(api: ApiClient, export_format: str, output: Path | None, **filters: Any) -> None:
    """The filtered cards as CSV (UTF-8) or JSON, as the workbench downloads them."""
    body = api.call("GET", "/api/supervision/cards/export", params=_params(format=export_format, **filters))
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}", err=True)


@supervision.group()
def signals() -> None:
    """Rule-51 risk signals raised from opened bids."""


@signals.command("list")
@connected
@click.option("--tender", default=None)
@click.option("--kind", default=None)
@json_option
def list_signals(api: ApiClient, tender: str | None, kind: str | None, as_json: bool) -> None:
    """Signals with their evidence."""
    found = api.call("GET", "/api/supervision/signals", params=_params(tender=tender, kind=kind))
    if as_json:
        _dump(found)
        return
    for signal in found:
        bidders = ",".join(signal["bidder_org_ids"])
        click.echo(
            f"{signal['raised_at']}  {signal['kind']:<20} rule {signal['rule']} tender {signal['tender_id']} "
            f"lot {signal['lot']}  bidders {bidders}  {json.dumps(signal['evidence'], ensure_ascii=False)}"
        )
    click.echo(f"{len(found)} signal(s)")
