"""`sunbid serve` and `sunbid seed`."""

from __future__ import annotations

import asyncio

import click

from core.connections import ConnectionBudgetTooSmall, PoolSizes, pool_sizes, server_limits
from core.settings import Settings, get_settings
from sunbid.cli.runtime import prepared
from sunbid.seed import demo_logins_text


@click.command()
@click.option("--host", default=None, help="Address to bind (default SUNBID_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default SUNBID_PORT or 8000).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Server processes sharing the port (default SUNBID_WORKERS or 1; production: one per core).",
)
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Prepare the database (embedded unless SUNBID_DATABASE_URL), seed demo data when empty, and serve."""
    import os
    import time

    import uvicorn

    from core.logging import configure_logging
    from sunbid.app import create_app
    from sunbid.serving import serve_workers

    wanted = get_settings()
    workers = workers or wanted.workers
    fitted: list[PoolSizes] = []

    def fit(url: str) -> None:
        try:
            fitted.append(fitted_pools(wanted, url, workers))
        except ConnectionBudgetTooSmall as exc:
            raise click.ClickException(str(exc)) from exc

    settings, url = prepared(before_migrating=fit)
    configure_logging(settings.log_level)
    bind_host = host or settings.host
    bind_port = port or settings.port
    pools = fitted[0]
    settings = pools.applied_to(settings)
    click.echo(demo_logins_text(f"http://{bind_host}:{bind_port}"))
    options: dict[str, object] = {
        "host": bind_host,
        "port": bind_port,
        "log_config": None,
        "access_log": False,
        "ws": "websockets-sansio",
    }
    if workers == 1:
        uvicorn.run(create_app(settings, url, long_lived=True), **options)  # type: ignore[arg-type]
        return
    os.environ.update(pools.environment())
    os.environ["SUNBID_DATABASE_URL"] = url
    os.environ["SUNBID_SERVE_STARTED"] = repr(time.time())
    try:
        serve_workers("sunbid.app:app_from_environment", workers, {**options, "factory": True})
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {bind_host}:{bind_port}: {exc.strerror or exc}") from exc


def fitted_pools(settings: Settings, url: str, workers: int) -> PoolSizes:
    """The pools each process may open under the database's max_connections; says so when it had to shrink them."""
    wanted = PoolSizes.of(settings)
    limit, reserved = asyncio.run(server_limits(url))
    pools = pool_sizes(limit, reserved, workers, wanted)
    if pools != wanted:
        click.echo(
            f"database connections: PostgreSQL allows {limit}; {workers} server processes get "
            f"{pools.orm_pool}+{pools.orm_overflow} ORM and {pools.driver} driver connections each "
            f"(asked for {wanted.orm_pool}+{wanted.orm_overflow} and {wanted.driver})",
            err=True,
        )
    return pools


@click.command()
def seed() -> None:
    """Migrate and load the demo data if the database is empty."""
    prepared(seed_if_empty=True)
    click.echo("database ready (demo data present)")
