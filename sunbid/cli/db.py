"""`sunbid db ...`: database care."""

from __future__ import annotations

import click

from core.settings import get_settings


@click.group()
def db() -> None:
    """Database commands (embedded PostgreSQL under ./var unless SUNBID_DATABASE_URL)."""


@db.command()
def migrate() -> None:
    """Apply all migrations."""
    from sunbid.cli.runtime import prepared

    prepared(seed_if_empty=False)
    click.echo("migrations applied")


@db.command()
def url() -> None:
    """Print the database URL; the embedded server is started if needed and left running (stop: sunbid db stop)."""
    from core.database import resolve_database_url

    click.echo(resolve_database_url(get_settings(), keep_running=True))


@db.command()
def stop() -> None:
    """Stop the embedded PostgreSQL if one is running on ./var."""
    import os
    import signal

    from core.embedded import _postmaster_pid

    pid = _postmaster_pid(get_settings().pgdata)
    if pid is None:
        click.echo("no embedded PostgreSQL is running")
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        click.echo("no embedded PostgreSQL is running")
        return
    click.echo(f"stopped embedded PostgreSQL (pid {pid})")
