"""`sunbid calendar ...`: the holiday table behind working-day deadlines."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click


@click.group()
def calendar() -> None:
    """Statutory calendar commands (holidays and make-up workdays)."""


@calendar.command()
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help='JSON {"year": 2027, "holidays": {"2027-01-01": "元旦"}, "workdays": {...}} from the 国务院办公厅 schedule.',
)
def load(path: Path | None) -> None:
    """Load every year chinese_calendar knows, or one year from a JSON file (replaces that year)."""
    from core.holidays import YearData, load_library_years, replace_year
    from sunbid.cli.runtime import prepared, run_in_session

    _, url = prepared(seed_if_empty=False)
    if path is None:
        years = run_in_session(url, load_library_years)
        click.echo(f"loaded {len(years)} years from chinese_calendar: {years[0]}-{years[-1]}" if years else "none")
        return
    raw = json.loads(path.read_text(encoding="utf-8"))
    data = YearData(
        int(raw["year"]),
        {date.fromisoformat(d): str(n) for d, n in raw.get("holidays", {}).items()},
        {date.fromisoformat(d): str(n) for d, n in raw.get("workdays", {}).items()},
    )
    run_in_session(url, lambda session: replace_year(session, data, f"file:{path.name}"))
    click.echo(f"loaded {data.year}: {len(data.holidays)} holidays, {len(data.workdays)} make-up workdays")


@calendar.command(name="years")
def years_cmd() -> None:
    """List the years with holiday data."""
    from core.holidays import known_years
    from sunbid.cli.runtime import prepared, run_in_session

    _, url = prepared(seed_if_empty=False)
    for row in run_in_session(url, known_years):
        click.echo(f"{row.year}  {row.source}")
