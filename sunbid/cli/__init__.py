"""The `sunbid` command line: serving, database care, and client tools for every role."""

from __future__ import annotations

import click

from sunbid.cli.audit import audit
from sunbid.cli.bid import bid, receipt
from sunbid.cli.calendar import calendar
from sunbid.cli.db import db
from sunbid.cli.guarantee import guarantee
from sunbid.cli.keys import keys
from sunbid.cli.serve import seed, serve
from sunbid.cli.worker import worker


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option("0.1.0", prog_name="sunbid")
def cli() -> None:
    """Sunbid public-resource trading and e-bidding platform (公共资源交易平台)."""


cli.add_command(serve)
cli.add_command(seed)
cli.add_command(db)
cli.add_command(guarantee)
cli.add_command(calendar)
cli.add_command(keys)
cli.add_command(worker)
cli.add_command(bid)
cli.add_command(receipt)
cli.add_command(audit)


def main() -> None:
    """Console-script entry point."""
    cli()
