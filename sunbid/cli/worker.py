"""`sunbid worker`: runs background jobs and the chronograph (time-driven steps) on procrastinate."""

from __future__ import annotations

import asyncio

import click


@click.command()
@click.option("--concurrency", default=4, show_default=True, help="Jobs run at the same time.")
@click.option("--once", is_flag=True, help="Run the jobs that are due now, then exit.")
def worker(concurrency: int, once: bool) -> None:
    """Run the job worker against the platform database (embedded unless SUNBID_DATABASE_URL)."""
    from sunbid.cli.runtime import prepared

    settings, url = prepared(seed_if_empty=False)
    asyncio.run(run_worker(url, concurrency=concurrency, wait=not once, poll=settings.job_poll_seconds))


async def run_worker(url: str, *, concurrency: int, wait: bool, poll: float) -> None:
    """Open the job app and process jobs (forever, or until the queue is empty when wait is False)."""
    from core.db import create_engine, session_factory
    from core.jobs import JobContext, job_app
    from sunbid.wiring import wire

    wire()
    engine = create_engine(url, pool_size=concurrency, max_overflow=0)  # within serve's HEADROOM
    JobContext.session_factory = session_factory(engine)
    try:
        with job_app(url) as app:
            async with app.open_async():
                await app.run_worker_async(
                    concurrency=concurrency, wait=wait, fetch_job_polling_interval=poll, install_signal_handlers=wait
                )
    finally:
        await engine.dispose()
