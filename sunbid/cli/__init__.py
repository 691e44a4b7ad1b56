"""The `sunbid` command line: serving, database care, and client tools for every role."""

from __future__ import annotations

import importlib

import click

COMMANDS: dict[str, str] = {
    "serve": "sunbid.cli.serve:serve",
    "seed": "sunbid.cli.serve:seed",
    "db": "sunbid.cli.db:db",
    "worker": "sunbid.cli.worker:worker",
    "keys": "sunbid.cli.keys:keys",
    "calendar": "sunbid.cli.calendar:calendar",
    "audit": "sunbid.cli.audit:audit",
    "bid": "sunbid.cli.bid:bid",
    "receipt": "sunbid.cli.bid:receipt",
    "guarantee": "sunbid.cli.guarantee:guarantee",
    "draw": "sunbid.cli.evaluation:draw",
    "evaluation": "sunbid.cli.evaluation:evaluation",
    "opening": "sunbid.cli.opening:opening",
    "escrow": "sunbid.cli.opening:escrow",
    "supervision": "sunbid.cli.supervision:supervision",
}


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs, so `sunbid audit verify` starts fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, in the order of COMMANDS."""
        del ctx
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import and return the command, or None for an unknown name."""
        del ctx
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option("0.1.0", prog_name="sunbid")
def cli() -> None:
    """Sunbid public-resource trading and e-bidding platform (公共资源交易平台)."""


def main() -> None:
    """Console-script entry point."""
    cli()
