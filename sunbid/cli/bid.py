"""`sunbid bid ...` and `sunbid receipt verify`: a bid is sealed on this machine, streamed up, and its receipt
checked offline. Only ciphertext, public keys and signatures ever leave the machine.
"""

from __future__ import annotations

import base64
import os
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from cryptography import x509

from signing.envelope import EnvelopeError, WrongIdentity, generate_identity
from signing.receipts import ReceiptInvalid, check_receipted_file, verify_receipt
from signing.sealed_bid import (
    WITHDRAWAL_RECEIPT_TYPE,
    Custodian,
    OpeningSheet,
    build_manifest,
    escrow_bundle,
    file_digest,
    peek_manifest,
    seal_package,
    submission_payload,
    withdrawal_payload,
    write_package,
)
from signing.statements import sign_statement
from signing.wallet import Wallet
from sunbid.cli.client import ApiClient, passphrase_option, password_option, server_option, username_option
from sunbid.cli.keys import WALLET_DIR_HELP, certified, open_wallet

UPLOAD_CHUNK = 1024 * 1024
wallet_dir_option = click.option("--wallet-dir", type=click.Path(path_type=Path), default=None, help=WALLET_DIR_HELP)


def bid_label(tender: str, lot: int) -> str:
    """The wallet label of the per-tender (and lot) age identity that opens this bid at the opening."""
    return f"bid:{tender}:{lot}"


def escrow_path(sealed: Path) -> Path:
    """Where `seal` leaves the escrow shares next to the sealed file."""
    return sealed.with_name(sealed.name + ".escrow.json")


def receipt_path(sealed: Path) -> Path:
    """Where `submit` saves the receipt next to the sealed file."""
    return sealed.with_name(sealed.name + ".receipt.json")


@click.group()
def bid() -> None:
    """Seal, submit and withdraw sealed bids (rules 21-23)."""


@bid.command("seal")
@server_option
@username_option
@password_option
@passphrase_option
@wallet_dir_option
@click.option("--tender", required=True, help="Tender id.")
@click.option("--lot", type=int, default=1, show_default=True, help="Lot number.")
@click.option("--price", required=True, help="Bid price (opening sheet), e.g. 11800000.00.")
@click.option("--duration", "duration_days", type=int, required=True, help="Duration in days (opening sheet).")
@click.option("--quality", required=True, help="Quality commitment (opening sheet).")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="The sealed file to write.")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def seal(
    server: str,
    username: str,
    password: str,
    passphrase: str,
    wallet_dir: Path | None,
    tender: str,
    lot: int,
    price: str,
    duration_days: int,
    quality: str,
    out: Path,
    files: tuple[Path, ...],
) -> None:
    """Package the opening sheet and files, seal them to your per-tender key and a one-time escrow key, split the
    escrow key among the tender's custodians, and forget it."""
    try:
        sheet = OpeningSheet(price, duration_days, quality)
    except ValueError as exc:
        raise click.UsageError(f"opening sheet: {exc}") from exc
    public = ApiClient(server)  # the tender is public: reading it signed in would log who prepares a bid
    lots = sorted(int(lt["number"]) for lt in public.call("GET", f"/api/tenders/{tender}")["lots"])
    if lot not in lots:
        raise click.UsageError(f"tender {tender} has no lot {lot} (its lots: {', '.join(map(str, lots))})")
    api = ApiClient.sign_in(server, username, password)
    me = api.call("GET", "/api/auth/me")
    escrow_info = api.call("GET", f"/api/bids/escrow/{tender}")
    try:
        manifest = build_manifest(tender, lot, me["organization_id"], sheet, list(files))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    wallet = open_wallet(username, passphrase, wallet_dir)
    label = bid_label(tender, lot)
    recipient = wallet.age_recipient(label) if label in wallet.labels() else wallet.new_age_identity(label)
    escrow = generate_identity()
    custodians = [Custodian(c["organization_id"], c["recipient"]) for c in escrow_info["custodians"]]
    with tempfile.TemporaryFile(dir=out.parent) as package:
        write_package(manifest, list(files), package)
        total = package.tell()
        package.seek(0)
        with out.open("wb") as sink, click.progressbar(length=total, label="sealing") as bar:
            sha256, size = seal_package(package, sink, [recipient, escrow.recipient], bar.update)
    escrow_path(out).write_bytes(escrow_bundle(escrow, custodians, escrow_info["quorum"]))
    del escrow
    click.echo(f"sealed {out} ({size} bytes, sha256 {sha256})")
    click.echo(f"escrow shares for {len(custodians)} custodians (quorum {escrow_info['quorum']}): {escrow_path(out)}")
    click.echo(f"opening key kept in your wallet as {label}; the escrow key was not kept anywhere")


def _check_sealed_for(wallet: Wallet, sealed: Path, tender: str, lot: int) -> None:
    """Refuse before uploading a file this wallet cannot open at the opening of that very tender and lot."""
    label = bid_label(tender, lot)
    mismatch = f"{sealed} was not sealed here for tender {tender} lot {lot}; submit it with the --tender and --lot"
    if label not in wallet.labels():
        raise click.ClickException(f"{mismatch} it was sealed for (your wallet has no opening key for this lot)")
    try:
        with sealed.open("rb") as fh:
            manifest = peek_manifest(fh, wallet.age_identity(label))
    except WrongIdentity:
        raise click.ClickException(f"{mismatch} it was sealed for (your opening key for it cannot open it)") from None
    except (EnvelopeError, ValueError, tarfile.TarError) as exc:
        raise click.ClickException(f"{sealed} is not a bid sealed by `sunbid bid seal`: {exc}") from exc
    if (manifest.get("tender"), manifest.get("lot")) != (tender, lot):
        raise click.ClickException(
            f"{mismatch} it was sealed for (its manifest names tender {manifest.get('tender')}"
            f" lot {manifest.get('lot')})"
        )
    try:
        OpeningSheet.from_manifest(manifest)
    except (ValueError, TypeError) as exc:
        raise click.ClickException(f"{sealed} could not be read out at the opening: {exc}; seal it again") from None


def _next_version(api: ApiClient, tender: str, lot: int) -> int:
    mine: list[dict[str, Any]] = api.call("GET", "/api/bids", params={"tender_id": tender})
    return 1 + max((b["version"] for b in mine if b["lot"] == lot), default=0)


def _body(path: Path, bar: Any) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(UPLOAD_CHUNK):
            bar.update(len(chunk))
            yield chunk


@bid.command("submit")
@server_option
@username_option
@password_option
@passphrase_option
@wallet_dir_option
@click.option("--tender", required=True, help="Tender id.")
@click.option("--lot", type=int, default=1, show_default=True, help="Lot number.")
@click.argument("sealed", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def submit(
    server: str,
    username: str,
    password: str,
    passphrase: str,
    wallet_dir: Path | None,
    tender: str,
    lot: int,
    sealed: Path,
) -> None:
    """Sign the submission statement and stream the sealed file up; the receipt is saved next to it."""
    api = ApiClient.sign_in(server, username, password)
    me = api.call("GET", "/api/auth/me")
    wallet = open_wallet(username, passphrase, wallet_dir)
    _check_sealed_for(wallet, sealed, tender, lot)
    if not escrow_path(sealed).is_file():
        raise click.ClickException(f"{escrow_path(sealed)} is missing: `sunbid bid seal` writes it beside the bid")
    escrow = escrow_path(sealed).read_bytes()
    sha256, size = file_digest(sealed)
    payload = submission_payload(
        tender=tender,
        lot=lot,
        bidder=me["organization_id"],
        sha256=sha256,
        size=size,
        recipient=wallet.age_recipient(bid_label(tender, lot)),
        version=_next_version(api, tender, lot),
        escrow=escrow,
    )
    statement = sign_statement(payload, wallet.signing_key, certified(wallet))
    headers = {
        "sunbid-statement": base64.b64encode(statement.to_json().encode()).decode(),
        "sunbid-escrow": base64.b64encode(escrow).decode(),
        "content-type": "application/octet-stream",
        "content-length": str(size),
    }
    with click.progressbar(length=size, label="uploading") as bar:
        answer = api.call("POST", "/api/bids", content=_body(sealed, bar), headers=headers)
    receipt_path(sealed).write_text(answer["receipt"], encoding="utf-8")
    click.echo(f"bid {answer['bid']['id']} version {answer['bid']['version']} received {answer['bid']['received_at']}")
    click.echo(
        f"receipt: {receipt_path(sealed)} (check it offline: sunbid receipt verify {receipt_path(sealed)}"
        f" --bid {sealed} --ca ca.pem, with ca.pem from {server}/api/ca/certificate)"
    )


@bid.command("withdraw")
@server_option
@username_option
@password_option
@passphrase_option
@wallet_dir_option
@click.option("--bid", "bid_id", required=True, help="The bid id to withdraw.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to save the withdrawal receipt (default ./withdrawal-<bid id>.receipt.json).",
)
def withdraw(
    server: str, username: str, password: str, passphrase: str, wallet_dir: Path | None, bid_id: str, out: Path | None
) -> None:
    """Withdraw a live bid version before the deadline, with a signed withdrawal statement (rule 23)."""
    api = ApiClient.sign_in(server, username, password)
    wallet = open_wallet(username, passphrase, wallet_dir)
    current = api.call("GET", f"/api/bids/{bid_id}")
    payload = withdrawal_payload(
        bid=current["id"],
        tender=current["tender_id"],
        lot=current["lot"],
        bidder=current["bidder_org_id"],
        version=current["version"],
    )
    statement = sign_statement(payload, wallet.signing_key, certified(wallet))
    saved = out or Path(f"withdrawal-{bid_id}.receipt.json")
    if not os.access(saved.parent if str(saved.parent) else Path(), os.W_OK):
        raise click.ClickException(f"cannot write the withdrawal receipt to {saved}: nothing was withdrawn")
    answer = api.call("POST", f"/api/bids/{bid_id}/withdraw", json={"statement": statement.to_json()})
    saved.write_text(answer["receipt"], encoding="utf-8")
    click.echo(f"bid {bid_id} withdrawn at {answer['bid']['withdrawn_at']}")
    click.echo(f"withdrawal receipt: {saved} (check it offline: sunbid receipt verify {saved} --ca ca.pem)")


@click.group()
def receipt() -> None:
    """Check platform receipts offline."""


def _load_certs(path: Path) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except ValueError as exc:
        raise click.ClickException(f"{path} holds no PEM certificate") from exc


@receipt.command("verify")
@click.argument("receipt_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--bid",
    "bid_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The sealed bid file the receipt names; its SHA-256 and size must match.",
)
@click.option(
    "--ca",
    "ca_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The platform CA certificate (GET /api/ca/certificate), the trust root.",
)
@click.option(
    "--tsa-root",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Trust root of the time-stamping authority (default: the platform CA).",
)
def verify(receipt_file: Path, bid_file: Path | None, ca_file: Path, tsa_root: Path | None) -> None:
    """Offline: the platform signature, the time-stamp token and the bid file's hash; any changed byte fails."""
    roots = _load_certs(ca_file)
    tsa_roots = _load_certs(tsa_root) if tsa_root else roots
    try:
        verified = verify_receipt(receipt_file.read_bytes(), roots, tsa_roots)
        withdrawal = verified.payload.get("type") == WITHDRAWAL_RECEIPT_TYPE
        if bid_file is not None and withdrawal:
            raise click.UsageError("a withdrawal receipt names no ciphertext: --bid applies to submission receipts")
        if bid_file is not None:
            check_receipted_file(verified.payload, bid_file)
    except ReceiptInvalid as exc:
        raise click.ClickException(f"receipt INVALID: {exc}") from exc
    p = verified.payload
    if withdrawal:
        click.echo(
            f"withdrawal receipt OK: bid {p.get('bid')} version {p.get('version')} "
            f"of tender {p.get('tender')} lot {p.get('lot_number')}"
        )
        click.echo(f"withdrawn {p.get('withdrawn_at')}, time-stamped {verified.timestamped_at.isoformat()}")
        return
    click.echo(
        f"receipt OK: bid {p.get('bid')} version {p.get('version')} "
        f"of tender {p.get('tender')} lot {p.get('lot_number')}"
    )
    click.echo(f"received {p.get('received_at')}, time-stamped {verified.timestamped_at.isoformat()}")
    click.echo(
        f"ciphertext sha256 {p.get('sha256')} ({p.get('size')} bytes)" + (" matches the file" if bid_file else "")
    )
