"""`sunbid audit ...`: sign checkpoints, export the ledger, and verify an export offline.

`verify` touches no database: it imports only the pure bundle verifier and entry checks, inside the command.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from supervision.ledger.entries import RevealReport
    from supervision.ledger.keys import LedgerKey


@click.group()
def audit() -> None:
    """Supervision ledger: checkpoints, offline export and verification."""


def _key_and_url() -> tuple[LedgerKey, str]:
    from sunbid.cli.runtime import prepared
    from supervision.ledger.keys import load_or_create_ledger_key

    settings, url = prepared()
    return load_or_create_ledger_key(settings.platform_key_dir, settings.ledger_origin), url


async def _checkpoint(url: str, key: LedgerKey) -> str:
    from core.db import create_engine, session_factory
    from supervision.ledger.worker import checkpoint_now

    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        return (await checkpoint_now(session_factory(engine), key)).note
    finally:
        await engine.dispose()


async def _export(url: str, key: LedgerKey, directory: Path) -> tuple[int, str]:
    from core.db import create_engine, session_factory
    from supervision.ledger.services import export_bundle
    from supervision.ledger.worker import checkpoint_now

    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        factory = session_factory(engine)
        note = (await checkpoint_now(factory, key)).note
        async with factory() as session:
            return await export_bundle(session, directory, key), note
    finally:
        await engine.dispose()


@audit.command()
def checkpoint() -> None:
    """Sequence everything committed, tick sealed slots, and sign a checkpoint now."""
    import asyncio

    key, url = _key_and_url()
    click.echo(asyncio.run(_checkpoint(url, key)), nl=False)


@audit.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export(directory: Path) -> None:
    """Write the whole ledger (entries, checkpoints, verifier key) to DIRECTORY as an offline bundle."""
    import asyncio

    key, url = _key_and_url()
    count, note = asyncio.run(_export(url, key, directory))
    click.echo(f"exported {count} entries to {directory}")
    click.echo(note, nl=False)


def _sealed_commitment(receipt: Path) -> tuple[str, str, bytes] | None:
    """(type, tender, commitment) of a receipt for a sealed-period act (a bid, a withdrawal): a blinded slot holds
    it, found through the tender's reveal, not a line of the bundle."""
    try:
        statement = json.loads(receipt.read_bytes())
        payload = json.loads(base64.b64decode(statement["payload"], validate=True))
        if not isinstance(payload, dict):
            return None
        return (
            str(payload.get("type", "receipt")),
            str(payload.get("tender")),
            bytes.fromhex(payload["ledger_commitment"]),
        )
    except (ValueError, TypeError, KeyError, binascii.Error):
        return None


def _report_sealed(sealed: tuple[str, str, bytes], reveals: RevealReport) -> int:
    """Where the receipt's commitment is; a failure when its tender was revealed without it."""
    kind, tender, commitment = sealed
    located = reveals.located
    if located is None and tender in reveals.revealed_tenders:
        click.echo(
            f"FAILED: receipt ({kind}): tender {tender} was revealed on line {reveals.revealed_tenders[tender]}, but "
            f"commitment {commitment.hex()} is not among its sealed acts: the ledger does not hold this receipt's act"
        )
        return 1
    if located is None:
        click.echo(
            f"receipt ({kind}): commitment {commitment.hex()} is not revealed in this bundle; a tender's sealed "
            "commitments are revealed when its opening starts, so export the bundle again after the opening"
        )
        return 1
    click.echo(
        f"receipt ({kind}): commitment {commitment.hex()} was sealed in slot {located.slot} of tender "
        f"{located.tender} (entry {located.slot_entry}) and revealed on line {located.reveal_line}; check the "
        "receipt's own signature with `sunbid receipt verify`"
    )
    return 0


@audit.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--receipt",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File with an entry's exact bytes, or a bid or withdrawal receipt (found through its tender's reveal).",
)
@click.option("--key", "vkey", help="Pinned verifier key (the string, or a file holding it).")
@click.option("--strict-json", is_flag=True, help="Check every entry is RFC 8785 canonical JSON (slower).")
@click.option("--no-reveals", is_flag=True, help="Skip recomputing sealed slots from their reveals.")
def verify(directory: Path, receipt: Path | None, vkey: str | None, strict_json: bool, no_reveals: bool) -> None:
    """Check a bundle offline: signatures, roots at every checkpoint, a receipt's inclusion, sealed slots."""
    from signing.ledger_bundle import ENTRIES_FILE, verify_bundle
    from supervision.ledger.entries import check_reveals

    if vkey is not None and Path(vkey).is_file():
        vkey = Path(vkey).read_text(encoding="utf-8").strip()
    sealed = _sealed_commitment(receipt) if receipt is not None else None
    if sealed is not None and no_reveals:
        raise click.UsageError("a sealed-bid receipt is found through the reveals: drop --no-reveals")
    receipt_leaf = receipt.read_bytes().rstrip(b"\n") if receipt is not None and sealed is None else None
    report = verify_bundle(directory, receipt_leaf=receipt_leaf, trusted_vkey=vkey, check_canonical=strict_json)
    click.echo(report.summary())
    code = report.exit_code
    if report.ok and not no_reveals:
        reveals = check_reveals(directory / ENTRIES_FILE, locate=sealed[2] if sealed else None)
        click.echo("\n".join(reveals.lines()))
        code = 1 if reveals.problems else code
        if sealed is not None:
            code = max(code, _report_sealed(sealed, reveals))
    raise SystemExit(code)
