"""`sunbid audit ...`: sign checkpoints, export the ledger, and verify an export offline.

`verify` touches no database: it imports only the pure bundle verifier and entry checks, inside the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
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


@audit.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--receipt", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="File with an entry's exact bytes."
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
    receipt_leaf = receipt.read_bytes().rstrip(b"\n") if receipt is not None else None
    report = verify_bundle(directory, receipt_leaf=receipt_leaf, trusted_vkey=vkey, check_canonical=strict_json)
    click.echo(report.summary())
    code = report.exit_code
    if report.ok and not no_reveals:
        reveals = check_reveals(directory / ENTRIES_FILE)
        click.echo("\n".join(reveals.lines()))
        code = 1 if reveals.problems else code
    raise SystemExit(code)
