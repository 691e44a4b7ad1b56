"""`sunbid keys ...`: keys generated and kept on this machine; the server only certifies them."""

from __future__ import annotations

from pathlib import Path

import click
from cryptography import x509

from core.settings import get_settings
from signing.ca import make_csr
from signing.wallet import Wallet, WalletError
from sunbid.cli.client import ApiClient, passphrase_option, password_option, server_option, username_option

WALLET_DIR_HELP = "Wallet folder (default: $SUNBID_DATA_DIR/wallet, which is var/wallet in the Sunbid checkout)."


def wallet_path(username: str, wallet_dir: Path | None = None) -> Path:
    """Where a user's local wallet lives (<data dir>/wallet/<username> by default)."""
    return (wallet_dir or get_settings().wallet_dir) / username


def open_wallet(username: str, passphrase: str | None, wallet_dir: Path | None) -> Wallet:
    """The user's local wallet (the passphrase asked for when not given), or a message saying how to make one."""
    secret = passphrase if passphrase is not None else click.prompt("Wallet passphrase", hide_input=True)
    try:
        return Wallet.open(wallet_path(username, wallet_dir), secret)
    except WalletError as exc:
        raise click.ClickException(f"{exc} (run `sunbid keys init` first)") from exc


def certified(wallet: Wallet) -> x509.Certificate:
    """The wallet's certificate from the platform CA; statements and signatures need it."""
    if wallet.certificate is None:
        raise click.ClickException("the wallet holds no certificate yet: run `sunbid keys init`")
    return wallet.certificate


@click.group()
def keys() -> None:
    """Your signing key and age identities, kept in a passphrase-protected local wallet."""


@keys.command("init")
@server_option
@username_option
@password_option
@passphrase_option
@click.option("--age", "age_label", default=None, help="Also create an age identity with this label (custodians).")
@click.option("--wallet-dir", type=click.Path(path_type=Path), default=None, help=WALLET_DIR_HELP)
def init(
    server: str, username: str, password: str, passphrase: str, age_label: str | None, wallet_dir: Path | None
) -> None:
    """Generate an ECDSA P-256 key locally, send only a certificate request, store the certificate."""
    api = ApiClient.sign_in(server, username, password)
    path = wallet_path(username, wallet_dir)
    try:
        wallet = Wallet.open(path, passphrase) if (path / "wallet.json").exists() else Wallet.create(path, passphrase)
    except WalletError as exc:
        raise click.ClickException(str(exc)) from exc
    if wallet.certificate is None:
        issued = api.call("POST", "/api/keys/certificates", json={"csr_pem": make_csr(wallet.signing_key, username)})
        wallet.store_certificate(issued["certificate_pem"])
        click.echo(f"certificate issued: serial {issued['serial_hex']}  subject {issued['subject']}")
    else:
        click.echo("wallet already holds a certified key")
    if age_label:
        recipient = (
            wallet.age_recipient(age_label) if age_label in wallet.labels() else wallet.new_age_identity(age_label)
        )
        api.call("POST", "/api/keys/age-recipients", json={"recipient": recipient, "label": age_label})
        click.echo(f"age recipient registered: {recipient}")
    click.echo(f"wallet: {path} (the private key never left this machine)")


@keys.command("show")
@username_option
@passphrase_option
@click.option("--wallet-dir", type=click.Path(path_type=Path), default=None, help=WALLET_DIR_HELP)
def show(username: str, passphrase: str, wallet_dir: Path | None) -> None:
    """Print the wallet's certificate subject and age recipients."""
    try:
        wallet = Wallet.open(wallet_path(username, wallet_dir), passphrase)
    except WalletError as exc:
        raise click.ClickException(str(exc)) from exc
    cert = wallet.certificate
    click.echo(f"certificate: {cert.subject.rfc4514_string() if cert else '(none yet: run sunbid keys init)'}")
    for label in wallet.labels():
        click.echo(f"age {label}: {wallet.age_recipient(label)}")
