"""Browser tests: Playwright driving Debian's Chromium (no browser download) against a live server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.db import EmbeddedCluster, run_blocking
from tests.support.live import LiveServer

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per module: Playwright's sync API holds an event loop that must end before asyncio tests run."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("browser tests need Chromium: apt-get install chromium (make test installs it as root)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def site(cluster: EmbeddedCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server on a demo-seeded database."""
    name = run_blocking(cluster.clone(seeded=True))
    server = LiveServer(cluster.url(name), Path(tmp_path_factory.mktemp("e2e")) / "var").start()
    yield server
    server.stop()
    run_blocking(cluster.drop(name))


@pytest.fixture
def page(site: LiveServer, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN")
    opened = context.new_page()
    yield opened
    context.close()
