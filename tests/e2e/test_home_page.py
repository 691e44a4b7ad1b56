"""The public front page in a real browser: Chinese by default, English on request, offline API docs."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.support.live import LiveServer


def test_home_page_in_chinese_then_english(page: Page, site: LiveServer, tmp_path: Path) -> None:
    page.goto(site.url + "/")
    expect(page).to_have_title("Sunbid 公共资源交易平台")
    expect(page.locator("h1")).to_have_text("Sunbid 公共资源交易平台")
    page.screenshot(path=str(tmp_path / "home-zh.png"), full_page=True)
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_contain_text("public-resource trading platform")


def test_api_docs_render_from_local_assets(page: Page, site: LiveServer) -> None:
    external: list[str] = []
    page.on("request", lambda request: external.append(request.url) if "127.0.0.1" not in request.url else None)
    page.goto(site.url + "/schema/swagger")
    expect(page.locator(".swagger-ui")).to_be_visible()
    expect(page.get_by_text("/api/auth/login").first).to_be_visible(timeout=15000)
    assert external == [], f"the docs page fetched from outside: {external}"
