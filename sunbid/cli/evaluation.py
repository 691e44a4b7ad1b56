"""`sunbid draw replay FILE` (offline) and `sunbid evaluation sign-report`: the expert's client signs the report."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from evaluation.draws.selection import outcome_json, replay
from evaluation.scoring.rules import RejectionGround
from evaluation.scoring.services import SCORE_TYPE
from signing.pades import sign_pdf
from signing.statements import sign_statement
from sunbid.cli.client import ApiClient, passphrase_option, password_option, server_option, username_option
from sunbid.cli.keys import WALLET_DIR_HELP, certified, open_wallet


def checkpoint_root(note: str) -> str:
    """The root hash (hex) a C2SP checkpoint note carries on its third line."""
    lines = note.split("\n")
    return base64.b64decode(lines[2]).hex()


def replay_record(record: dict[str, Any]) -> dict[str, Any]:
    """Recompute the outcome, checking the seed against the checkpoint note; raises ValueError on any mismatch."""
    note = (record.get("checkpoint") or {}).get("note")
    if note and checkpoint_root(note) != record["seed"]:
        raise ValueError("the seed is not the root hash in the checkpoint note")
    outcome = outcome_json(replay(record))
    if record.get("outcome") is not None and outcome != record["outcome"]:
        raise ValueError("the published outcome differs from the recomputed one")
    return outcome


@click.group()
def draw() -> None:
    """Expert draws (抽取)."""


@draw.command("replay")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def replay_command(file: Path) -> None:
    """Recompute a published draw record's panel offline; exit 1 if it differs."""
    record = json.loads(file.read_text(encoding="utf-8"))
    try:
        outcome = replay_record(record)
    except (ValueError, KeyError) as exc:
        click.echo(f"MISMATCH: {exc}", err=True)
        sys.exit(1)
    names = record.get("names", {})
    click.echo(
        f"draw {record['draw_id']} replayed: seed {record['seed']} (checkpoint size {record['checkpoint']['size']})"
    )
    for pick in outcome["members"]:
        click.echo(f"  member  {pick['specialty']}  {pick['expert']}  {names.get(pick['expert'], '')}")
    for pick in outcome["reserves"]:
        click.echo(f"  reserve {pick['specialty']}  {pick['expert']}  {names.get(pick['expert'], '')}")
    click.echo("OK: the published panel matches")


@click.group()
def evaluation() -> None:
    """Remote evaluation for committee members."""


@evaluation.command("sign-report")
@server_option
@username_option
@password_option
@passphrase_option
@click.option("--tender", required=True, help="Tender id.")
@click.option("--dissent", default=None, help="A written dissent to record with the signature.")
@click.option("--wallet-dir", type=click.Path(path_type=Path), default=None, help=WALLET_DIR_HELP)
def sign_report(
    server: str,
    username: str,
    password: str,
    passphrase: str,
    tender: str,
    dissent: str | None,
    wallet_dir: Path | None,
) -> None:
    """Fetch the report, append my PAdES signature with my wallet key, upload it."""
    wallet = open_wallet(username, passphrase, wallet_dir)
    cert = certified(wallet)
    client = ApiClient.sign_in(server, username, password)
    response = client.http.get(f"/api/evaluations/{tender}/report/pdf")
    if response.status_code != 200:
        raise click.ClickException(f"cannot fetch the report: HTTP {response.status_code}")
    signed = sign_pdf(response.content, wallet.signing_key, cert, [], reason="评标报告签署")
    body = {"pdf_base64": base64.b64encode(signed).decode(), "dissent": dissent}
    result = client.call("POST", f"/api/evaluations/{tender}/report/signatures", json=body)
    click.echo(f"signed; report status {result['status']}, sha256 {result['pdf_sha256']}")


tender_option = click.option("--tender", required=True, help="Tender id.")
lot_option = click.option("--lot", type=int, default=1, show_default=True, help="Lot number.")
bidder_option = click.option("--bidder", required=True, help="The bidder's organization id (see `evaluation bids`).")


@evaluation.command("bids")
@server_option
@username_option
@password_option
@tender_option
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Download every file into this folder.",
)
def bids(server: str, username: str, password: str, tender: str, out: Path | None) -> None:
    """The opened bids (bidder, price, files); with --out, their decrypted files, each checked against its SHA-256."""
    client = ApiClient.sign_in(server, username, password)
    for bid in client.call("GET", f"/api/evaluations/{tender}/bids"):
        click.echo(f"lot {bid['lot']}  {bid['bidder']}  {bid['bidder_name']}  price {bid['price']}")
        for listed in bid["files"]:
            click.echo(f"    {listed['name']}  {listed.get('size', '?')} bytes  sha256 {listed['sha256']}")
            if out is not None:
                _download(client, tender, bid, listed, out)


def _download(client: ApiClient, tender: str, bid: dict[str, Any], listed: dict[str, Any], out: Path) -> None:
    folder = out / f"lot-{bid['lot']}" / bid["bidder"]
    target = (folder / listed["name"]).resolve()
    if not target.is_relative_to(folder.resolve()) or target == folder.resolve():
        raise click.ClickException(f"refusing a file name that leaves its folder: {listed['name']!r}")
    target.parent.mkdir(parents=True, exist_ok=True)
    query = {"lot": bid["lot"], "bidder": bid["bidder"], "name": listed["name"]}
    digest = hashlib.sha256()
    with client.http.stream("GET", f"/api/evaluations/{tender}/files", params=query) as response:
        if response.status_code != 200:
            raise click.ClickException(f"cannot download {listed['name']}: HTTP {response.status_code}")
        with target.open("wb") as file:
            for chunk in response.iter_bytes():
                digest.update(chunk)
                file.write(chunk)
    if digest.hexdigest() != listed["sha256"]:
        target.unlink()
        raise click.ClickException(f"{listed['name']} does not match the SHA-256 the opening read out")
    click.echo(f"    -> {target}")


@evaluation.command("review")
@server_option
@username_option
@password_option
@tender_option
@lot_option
@bidder_option
@click.option("--pass/--reject", "passed", required=True, help="Qualified and responsive, or rejected (rule 50).")
@click.option(
    "--ground",
    "grounds",
    multiple=True,
    type=click.Choice([g.value for g in RejectionGround]),
    help="A rule-50 ground for --reject (repeatable).",
)
@click.option("--note", default="", help="A note recorded with the verdict.")
def review(
    server: str,
    username: str,
    password: str,
    tender: str,
    lot: int,
    bidder: str,
    passed: bool,
    grounds: tuple[str, ...],
    note: str,
) -> None:
    """Record my qualification and compliance verdict on one bid (locked once recorded)."""
    client = ApiClient.sign_in(server, username, password)
    body = {"lot": lot, "bidder": bidder, "passed": passed, "grounds": list(grounds), "note": note}
    client.call("POST", f"/api/evaluations/{tender}/reviews", json=body)
    click.echo(f"recorded: {'passed' if passed else 'rejected (' + ', '.join(grounds) + ')'}")


@evaluation.command("score")
@server_option
@username_option
@password_option
@passphrase_option
@tender_option
@lot_option
@bidder_option
@click.option("--criterion", "criteria", multiple=True, required=True, help="criterion=points, e.g. technical=26.5.")
@click.option("--wallet-dir", type=click.Path(path_type=Path), default=None, help=WALLET_DIR_HELP)
def score(
    server: str,
    username: str,
    password: str,
    passphrase: str,
    tender: str,
    lot: int,
    bidder: str,
    criteria: tuple[str, ...],
    wallet_dir: Path | None,
) -> None:
    """Sign my scores of one bid with my wallet key here and submit them (the price score is computed, not given)."""
    points: dict[str, str] = {}
    for item in criteria:
        name, _, value = item.partition("=")
        try:
            points[name.strip()] = str(Decimal(value.strip()))
        except ArithmeticError as exc:
            raise click.BadParameter(f"{item!r} is not criterion=points", param_hint="--criterion") from exc
    wallet = open_wallet(username, passphrase, wallet_dir)
    cert = certified(wallet)
    payload = {"type": SCORE_TYPE, "tender": tender, "lot": lot, "bidder": bidder, "criteria": points}
    statement = sign_statement(payload, wallet.signing_key, cert).to_json()
    client = ApiClient.sign_in(server, username, password)
    client.call("POST", f"/api/evaluations/{tender}/scores", json={"statement": statement})
    click.echo(f"scored and signed: {', '.join(f'{k} {v}' for k, v in points.items())}")
