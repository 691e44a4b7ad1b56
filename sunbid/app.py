"""create_app(): the one Litestar application, wired from every domain."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, get
from litestar.config.response_cache import ResponseCacheConfig
from litestar.di import Provide
from litestar.logging.config import LoggingConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from openapi_ui_bundles import swagger_ui
from sqlalchemy import text

from bidding.bids.controllers import BidController, bids_lifespan
from bidding.bids.sql import warm_submission
from bidding.guarantees.controllers import GuaranteeController, TenderGuaranteeController, TrustRootController
from bidding.opening.controllers import OpeningController, opening_lifespan
from bidding.opening.hall import opening_hall
from core import chronograph
from core.background import BackgroundLoop
from core.calendar_controllers import CalendarController
from core.db import create_driver_pool, create_engine, session_factory
from core.identity.controllers import AuthController
from core.identity.services import warm_authentication
from core.journal import subscribe, subscribers
from core.leader import Leadership
from core.oplog import SEALED_PATH_PATTERNS, OperationLogMiddleware, OperationLogWriter, warm_operation_log
from core.problems import EXCEPTION_HANDLERS
from core.settings import Settings, get_settings
from core.web import (
    BearerTokenMiddleware,
    RequestLogMiddleware,
    json_body_guard,
    token_desk,
    uow_dependency,
)
from evaluation.award import pages as award_pages
from evaluation.award.controllers import AwardController
from evaluation.draws.controllers import DrawController
from evaluation.experts.controllers import ExpertController
from evaluation.scoring.controllers import ClarificationController, EvaluationController
from signing.ca import load_or_create_ca
from sunbid import pages
from sunbid.guarantee_wiring import configure_guarantees, wire_guarantees
from sunbid.wiring import wire
from supervision.cases.controllers import CaseController
from supervision.clocks.controllers import ClockController
from supervision.ledger.controllers import LedgerController
from supervision.ledger.keys import load_or_create_ledger_key
from supervision.ledger.sealed import on_sealed_period_over, on_tender_cancelled, on_tender_published
from supervision.ledger.worker import LedgerWorker
from supervision.workbench.controllers import WorkbenchController
from trading.notices import pages as notice_pages
from trading.notices.controllers import NoticeController
from trading.parties.controllers import KeyController, OrganizationController, ca_certificate
from trading.tenders.controllers import TenderController

TEMPLATE_DIRS: list[Path | os.PathLike[Any] | str] = [Path(__file__).parent / "templates"]
TEMPLATE_DIRS.append(notice_pages.TEMPLATE_DIR)
TEMPLATE_DIRS.append(award_pages.TEMPLATE_DIR)


@get("/health", tags=["platform"], summary="Liveness and database check")
async def health(request: Request[Any, Any, Any]) -> dict[str, str]:
    """200 when the app runs and the database answers."""
    async with request.app.state.session_factory() as session:
        await session.execute(text("select 1"))
    return {"status": "ok", "database": "ok"}


def wire_ledger_events() -> None:
    """Sealed streams follow the tender: opened at publication, revealed when the opening starts, closed unrevealed
    by a cancellation (idempotent)."""
    for event_type, handler in (
        ("tender.published", on_tender_published),
        ("tender.opening_started", on_sealed_period_over),
        ("tender.cancelled", on_tender_cancelled),
    ):
        if handler not in subscribers(event_type):
            subscribe(event_type, handler)


async def wake_ledger(request: Request[Any, Any, Any]) -> None:
    """After each response, ask the ledger loop to sequence what the request committed."""
    worker = getattr(request.app.state, "ledger_worker", None)
    if worker is not None:
        worker.wake()


YOUNG_GENERATION_THRESHOLD = 20_000
"""Allocations between young-generation collections (CPython's default is 700): a request allocates thousands of
short-lived objects, and at the default most of a busy worker's collections found nothing to free."""


M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
HEAP_KEEP_BYTES = 256 << 20
"""Freed heap glibc keeps for reuse: a worker stays at its rush high-water mark, per malloc arena."""
HEAP_MMAP_BYTES = 32 << 20
"""Allocations below this come from the heap, not from a fresh mmap each time."""


def keep_freed_memory() -> bool:
    """Reuse freed heap instead of faulting fresh pages in again (24,000 faults a rush round before); True if taken."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_BYTES) and libc.mallopt(M_TRIM_THRESHOLD, HEAP_KEEP_BYTES))
    except (OSError, AttributeError):
        return False


def settle_heap() -> None:
    """Move everything built at startup (modules, mappers, routes, keys) out of the collector's sight, and collect
    the young generation less often. Process-wide, so only for a server process (tests build many apps): in a
    deadline rush the cyclic collector took 1-6 % of all CPU samples, mostly re-traversing those long-lived objects
    (docs/adr/0004-ingest-latency.md)."""
    keep_freed_memory()
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)


class MetricsController(PrometheusController):
    """Prometheus metrics at /metrics."""

    path = "/metrics"
    include_in_schema = False


def create_app(
    settings: Settings | None = None, database_url: str | None = None, *, long_lived: bool = False
) -> Litestar:
    """Build the app for an already prepared database (see core.database.prepare_database); `long_lived` for a
    server process (`sunbid serve`), which then settles its heap once everything has started."""
    settings = settings or get_settings()
    wire()
    if database_url is None:
        from core.database import resolve_database_url

        database_url = resolve_database_url(settings)
    url = database_url
    wire_ledger_events()
    wire_guarantees()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = create_engine(url, pool_size=settings.orm_pool_size, max_overflow=settings.orm_max_overflow)
        app.state.engine = engine
        app.state.session_factory = session_factory(engine)
        warmers = [warm_authentication, warm_operation_log, warm_submission] if long_lived else []
        app.state.driver_pool = await create_driver_pool(url, max_size=settings.driver_pool_size, warmers=warmers)
        app.state.oplog_writer = OperationLogWriter(app.state.driver_pool)
        app.state.token_desk = token_desk(app.state.driver_pool)
        app.state.settings = settings
        app.state.ca = load_or_create_ca(settings.platform_key_dir / "ca", "Sunbid Development CA")
        configure_guarantees(settings, app.state.ca)
        ledger_key = load_or_create_ledger_key(settings.platform_key_dir, settings.ledger_origin)
        leadership = app.state.leadership = Leadership(url)
        leadership.start()
        app.state.ledger_worker = LedgerWorker(
            app.state.session_factory, ledger_key, settings.checkpoint_interval_seconds, lambda: leadership.is_leader
        )
        app.state.ledger_worker.start()
        ticker = BackgroundLoop("sunbid-chronograph")
        if settings.chronograph_interval_seconds > 0:
            ticker.start(
                chronograph.run_forever(
                    app.state.session_factory, settings.chronograph_interval_seconds, lambda: leadership.is_leader
                )
            )
        try:
            yield
        finally:
            await ticker.stop()
            await app.state.ledger_worker.stop()
            await leadership.stop()
            await app.state.oplog_writer.close()
            await app.state.driver_pool.close()
            await engine.dispose()

    swagger_dir = Path(swagger_ui.static_path)
    return Litestar(
        route_handlers=[
            health,
            pages.home,
            AuthController,
            OrganizationController,
            KeyController,
            ca_certificate,
            GuaranteeController,
            TenderGuaranteeController,
            TrustRootController,
            LedgerController,
            CaseController,
            ClockController,
            WorkbenchController,
            CalendarController,
            TenderController,
            BidController,
            ExpertController,
            DrawController,
            EvaluationController,
            ClarificationController,
            AwardController,
            OpeningController,
            opening_hall,
            NoticeController,
            notice_pages.notice_list,
            notice_pages.notice_page,
            award_pages.result_page,
            MetricsController,
            create_static_files_router(path="/static/swagger", directories=[swagger_dir], include_in_schema=False),
        ],
        lifespan=[lifespan, bids_lifespan, opening_lifespan],
        on_startup=[settle_heap] if long_lived else [],
        guards=[json_body_guard],
        after_response=wake_ledger,
        dependencies={
            "uow": Provide(uow_dependency, sync_to_thread=False),
            "settings": Provide(lambda: settings, sync_to_thread=False, use_cache=True),
        },
        middleware=[
            RequestLogMiddleware,
            OperationLogMiddleware,
            BearerTokenMiddleware,
            PrometheusConfig(
                app_name="sunbid", prefix="sunbid", group_path=True, exclude=[*SEALED_PATH_PATTERNS, r"^/api/cases"]
            ).middleware,
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="Sunbid",
            version="0.1.0",
            description="Public-resource trading and e-bidding platform (公共资源交易平台)",
            path="/schema",
            render_plugins=[
                SwaggerRenderPlugin(
                    path="/swagger",
                    js_url="/static/swagger/swagger-ui-bundle.js",
                    css_url="/static/swagger/swagger-ui.css",
                    standalone_preset_js_url="/static/swagger/swagger-ui-standalone-preset.js",
                    favicon="<link rel='icon' type='image/png' href='/static/swagger/favicon-32x32.png'>",
                )
            ],
        ),
        template_config=TemplateConfig(directory=TEMPLATE_DIRS, engine=JinjaTemplateEngine),
        request_max_body_size=settings.max_json_bytes,
        logging_config=LoggingConfig(configure_root_logger=False, log_exceptions="never"),
        response_cache_config=ResponseCacheConfig(),
        debug=False,
    )


def app_from_environment() -> Litestar:
    """The app of one `sunbid serve --workers N` process: settings and the prepared database from the environment."""
    from core.logging import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings, os.environ["SUNBID_DATABASE_URL"], long_lived=True)
