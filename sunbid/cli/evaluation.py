"""`sunbid draw replay FILE` (offline) and `sunbid evaluation sign-report`: the expert's client signs the report."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import click

from evaluation.draws.selection import outcome_json, replay
from signing.pades import sign_pdf
from signing.wallet import Wallet, WalletError
from sunbid.cli.client import ApiClient, passphrase_option, password_option, server_option, username_option
from sunbid.cli.keys import wallet_path


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
@click.option(
    "--wallet-dir", type=click.Path(path_type=Path), default=None, help="Wallet folder (default ./var/wallet)."
)
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
    try:
        wallet = Wallet.open(wallet_path(username, wallet_dir), passphrase)
    except WalletError as exc:
        raise click.ClickException(f"{exc} (run `sunbid keys init` first)") from exc
    cert = wallet.certificate
    if cert is None:
        raise click.ClickException("the wallet has no certificate (run `sunbid keys register`)")
    client = ApiClient.sign_in(server, username, password)
    response = client.http.get(f"/api/evaluations/{tender}/report/pdf")
    if response.status_code != 200:
        raise click.ClickException(f"cannot fetch the report: HTTP {response.status_code}")
    signed = sign_pdf(response.content, wallet.signing_key, cert, [], reason="评标报告签署")
    body = {"pdf_base64": base64.b64encode(signed).decode(), "dissent": dissent}
    result = client.call("POST", f"/api/evaluations/{tender}/report/signatures", json=body)
    click.echo(f"signed; report status {result['status']}, sha256 {result['pdf_sha256']}")
