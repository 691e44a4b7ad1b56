"""`sunbid db ...`: database care."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import click
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

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


DURATION = re.compile(r"^(?P<sign>[+-]?)(?P<count>\d+)(?P<unit>[dhm])$")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_duration(value: str) -> timedelta:
    """`30d`, `-2h`, `90m`: a shift of the database clock."""
    found = DURATION.match(value.strip())
    if found is None:
        raise click.BadParameter(f"{value!r} is not a duration like 30d, 12h or -90m")
    shift = timedelta(**{UNITS[found["unit"]]: int(found["count"])})
    return -shift if found["sign"] == "-" else shift


@db.command()
@click.option("--forward", "forward", default=None, help="Move the clock by a duration: 30d, 12h, -90m.")
@click.option(
    "--at",
    "at",
    type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
    default=None,
    help="Move the clock to this Beijing time (UTC+8), e.g. 2026-12-22T10:00.",
)
@click.option("--reset", is_flag=True, help="Back to real time.")
def clock(forward: str | None, at: datetime | None, reset: bool) -> None:
    """Show or move the database clock, which every statutory deadline reads (development and test modes only:
    production refuses); try a tender's whole life in a demo without waiting weeks."""
    from core.calendar import SHANGHAI
    from core.db import db_now, get_clock_offset, set_clock_offset
    from sunbid.cli.runtime import prepared, run_in_session

    if sum(x is not None and x is not False for x in (forward, at, reset)) > 1:
        raise click.UsageError("give one of --forward, --at and --reset")
    _, url = prepared(seed_if_empty=False)

    async def work(session: AsyncSession) -> tuple[datetime, timedelta]:
        offset = await get_clock_offset(session)
        now = await db_now(session)
        target = None
        if reset:
            target = timedelta(0)
        elif forward is not None:
            target = offset + parse_duration(forward)
        elif at is not None:
            target = offset + (at.replace(tzinfo=SHANGHAI) - now)
        if target is not None:
            try:
                await set_clock_offset(session, target)
            except DBAPIError as exc:
                if "production" in str(exc.orig):
                    raise click.ClickException("the database clock cannot be moved in production mode") from exc
                raise click.ClickException(f"the database refused the new clock: {exc.orig}") from exc
            now = await db_now(session)
        return now, await get_clock_offset(session)

    now, offset = run_in_session(url, work)
    click.echo(f"database time {now.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S} Beijing time (offset {offset})")
