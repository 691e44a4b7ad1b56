"""`sunbid opening ...` and `sunbid escrow release`: the hall from a terminal. Keys never leave this machine:
a bidder's per-tender identity is released from its wallet, custodians open their shares here, the agency signs
the record here.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
from pathlib import Path
from typing import Any

import click
import httpx
from cryptography import x509

from signing.envelope import open_stream
from signing.statements import sign_statement
from signing.wallet import Wallet
from sunbid.cli.bid import bid_label
from sunbid.cli.client import ApiClient, password_option, server_option, username_option
from sunbid.cli.keys import certified, open_wallet

CUSTODIAN_LABEL = "custodian"
tender_option = click.option("--tender", required=True, help="Tender id.")
wallet_dir_option = click.option(
    "--wallet-dir", type=click.Path(path_type=Path), default=None, help="Wallet folder (default ./var/wallet)."
)
passphrase_option = click.option(
    "--passphrase",
    envvar="SUNBID_WALLET_PASSPHRASE",
    default=None,
    help="Passphrase of your local wallet (or SUNBID_WALLET_PASSPHRASE; asked when needed).",
)


def _label(wallet: Wallet, label: str) -> str:
    if label not in wallet.labels():
        raise click.ClickException(f"your wallet holds no age identity labelled {label!r}")
    return wallet.age_identity(label)


def describe(frame: dict[str, Any]) -> str:
    """One printed line per frame: sequenced messages, replies and refusals."""
    kind = frame.get("type")
    if kind == "message":
        data = json.dumps(frame.get("data"), ensure_ascii=False, separators=(",", ":"))
        return f"#{frame['seq']} {frame['kind']} {data}"
    if kind == "reply":
        return f"reply {frame.get('for')}: {json.dumps(frame.get('result'), ensure_ascii=False)}"
    if kind == "error":
        problem = frame.get("problem", {})
        return f"error {frame.get('for', '')}: {problem.get('title')}: {problem.get('detail')}"
    return json.dumps(frame, ensure_ascii=False)


class _Hall:
    """What a client has seen of the hall. The hall sends the backlog first and `welcome` last, so every frame before
    `welcome` is replay. Requests go once the opening runs (sent earlier they would be refused); with requests,
    `until` is met only by replies and by live messages (a replayed `bid.decrypted` of another lot must not end a
    release early)."""

    def __init__(self, requests: list[dict[str, Any]], until: str | None) -> None:
        self.requests, self.until = requests, until
        self.sent = False
        self.welcomed = False

    def ready(self, frame: dict[str, Any]) -> bool:
        """Whether this frame is the moment to send the requests."""
        if frame.get("type") == "welcome":
            self.welcomed = True
            return bool(self.requests) and not self.sent and frame.get("status") not in (None, "waiting")
        if self.sent or not self.requests or not self.welcomed:
            return False
        return frame.get("kind") == "opening.started"

    def done(self, frame: dict[str, Any]) -> bool:
        """Whether the frame is the one `until` waits for."""
        if self.until is None:
            return False
        if frame.get("type") in ("reply", "error") and frame.get("for") == self.until:
            return True
        if frame.get("kind") != self.until:
            return False
        return not self.requests or (self.sent and self.welcomed)


async def _join(url: str, last_seq: int, requests: list[dict[str, Any]], until: str | None, seconds: float) -> bool:
    """Hello, then the requests once the opening runs, printing every frame; True when `until` arrived (or was not
    asked)."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    loop = asyncio.get_running_loop()
    end = loop.time() + seconds if seconds > 0 else None
    hall = _Hall(requests, until)
    async with connect(url, compression=None, max_size=2**22) as ws:
        await ws.send(json.dumps({"type": "hello", "last_seq": last_seq}))
        while True:
            left = None if end is None else end - loop.time()
            if left is not None and left <= 0:
                return until is None
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), left))
            except TimeoutError:
                return until is None
            except ConnectionClosed as closed:
                click.echo(f"the hall closed the connection ({closed.rcvd.code if closed.rcvd else 'no code'})")
                return until is None
            click.echo(describe(frame))
            if frame.get("type") == "welcome" and requests and frame.get("status") in (None, "waiting"):
                click.echo("the opening has not started: your requests go as soon as it does")
            if hall.ready(frame):
                hall.sent = True
                for request in requests:
                    await ws.send(json.dumps(request))
            if frame.get("type") == "error" and "for" not in frame:
                raise click.ClickException("the hall refused this connection")
            if frame.get("type") == "error" and frame.get("for") == "release":
                problem = frame.get("problem", {})
                raise click.ClickException(f"your key was not released: {problem.get('detail')}")
            if hall.done(frame):
                return True


@click.group()
def opening() -> None:
    """The online opening hall (不见面开标): join, release your key, sign the record."""


@opening.command("join")
@server_option
@username_option
@password_option
@passphrase_option
@wallet_dir_option
@tender_option
@click.option("--release", is_flag=True, help="Sign in and release your per-tender identity from your wallet.")
@click.option("--lot", type=int, default=1, show_default=True, help="Lot whose identity to release.")
@click.option("--last-seq", type=int, default=0, show_default=True, help="Replay messages after this seq.")
@click.option(
    "--until",
    default=None,
    help="Stop once a message (or the reply to a request) of this kind arrives; with --release, `release` stops "
    "once your bid is decrypted.",
)
@click.option("--seconds", type=float, default=0.0, help="Stop after this many seconds (0: stay until closed).")
def join(
    server: str,
    username: str,
    password: str,
    passphrase: str | None,
    wallet_dir: Path | None,
    tender: str,
    release: bool,
    lot: int,
    last_seq: int,
    until: str | None,
    seconds: float,
) -> None:
    """Follow the hall, printing each message as it arrives; with --release, decrypt your bid."""
    api = ApiClient.sign_in(server, username, password)
    token = str(api.http.headers["Authorization"]).removeprefix("Bearer ")
    requests: list[dict[str, Any]] = []
    if release:
        identity = _label(open_wallet(username, passphrase, wallet_dir), bid_label(tender, lot))
        requests = [{"type": "sign_in", "ref": "sign_in"}, {"type": "release", "ref": "release", "identity": identity}]
    url = server.rstrip("/").replace("http", "ws", 1) + f"/api/openings/{tender}/hall?token={token}"
    try:
        arrived = asyncio.run(_join(url, last_seq, requests, until, seconds))
    except OSError as exc:
        raise click.ClickException(f"cannot reach {server}: {exc}") from exc
    if not arrived:
        raise click.ClickException(f"no {until} within {seconds} s")


@opening.command("sign-record")
@server_option
@username_option
@password_option
@passphrase_option
@wallet_dir_option
@tender_option
def sign_record(
    server: str, username: str, password: str, passphrase: str | None, wallet_dir: Path | None, tender: str
) -> None:
    """Fetch the rendered opening record, sign it (PAdES) with your wallet key here, publish it."""
    from signing.pades import sign_pdf

    api = ApiClient.sign_in(server, username, password)
    wallet = open_wallet(username, passphrase, wallet_dir)
    pdf = _bytes(api.http.get(f"/api/openings/{tender}/record.pdf"))
    root = x509.load_pem_x509_certificate(_bytes(api.http.get("/api/ca/certificate")))
    signed = sign_pdf(pdf, wallet.signing_key, certified(wallet), [root], reason="开标记录")
    headers = {"content-type": "application/pdf"}
    api.call("POST", f"/api/openings/{tender}/record", content=signed, headers=headers)
    click.echo(f"opening record signed by {username} and published ({len(signed)} bytes)")


def _bytes(response: httpx.Response) -> bytes:
    if response.status_code >= 400:
        raise click.ClickException(f"HTTP {response.status_code} from {response.url.path}: {response.text[:300]}")
    return response.content


@click.group()
def escrow() -> None:
    """Escrow custodians' remedy for bids their bidders did not decrypt (rule 27)."""


@escrow.command("release")
@server_option
@username_option
@password_option
@passphrase_option
@wallet_dir_option
@tender_option
def release_shares(
    server: str, username: str, password: str, passphrase: str | None, wallet_dir: Path | None, tender: str
) -> None:
    """Open each of your sealed escrow shares with your "custodian" identity here, then post the signed release."""
    from bidding.opening.escrow import release_payload

    api = ApiClient.sign_in(server, username, password)
    wallet = open_wallet(username, passphrase, wallet_dir)
    identity = _label(wallet, CUSTODIAN_LABEL)
    me = api.call("GET", "/api/auth/me")
    shares = [s for s in api.call("GET", f"/api/openings/{tender}/escrow") if not s["released"]]
    if not shares:
        click.echo("no escrow shares of yours are waiting")
        return
    for pending in shares:
        out = io.BytesIO()
        open_stream(io.BytesIO(base64.b64decode(pending["sealed"])), out, identity)
        share = out.getvalue().decode()
        payload = release_payload(tender=tender, bid=pending["bid"], custodian=me["organization_id"], share=share)
        statement = sign_statement(payload, wallet.signing_key, certified(wallet)).to_json()
        done = api.call(
            "POST", f"/api/openings/{tender}/escrow/{pending['bid']}", json={"share": share, "statement": statement}
        )
        click.echo(
            f"bid {pending['bid']} (lot {pending['lot']}, {pending['bidder_name']}): "
            f"{done['released']}/{done['quorum']} shares released" + (", opened" if done.get("opened") else "")
        )
