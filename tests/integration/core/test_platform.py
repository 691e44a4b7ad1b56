"""The platform's kernel over HTTP: health, OpenAPI, the home page, metrics, problem details for bad input."""

from __future__ import annotations

import json

import httpx
from litestar.routes import HTTPRoute

from core.settings import get_settings
from core.web import json_body_guard
from sunbid.app import create_app
from sunbid.seed import DEMO_PASSWORD
from tests.support.api import assert_problem, auth


async def test_health_reports_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_openapi_lists_party_and_auth_endpoints(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path in ("/api/auth/login", "/api/auth/me", "/api/organizations", "/api/keys/certificates"):
        assert path in paths, path


async def test_docs_ui_is_served_without_internet(client: httpx.AsyncClient) -> None:
    page = (await client.get("/schema/swagger")).text
    assert "cdn" not in page.lower()
    assert "/static/swagger/swagger-ui-bundle.js" in page
    script = await client.get("/static/swagger/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert len(script.content) > 100_000


async def test_home_page_is_chinese_with_english_available(client: httpx.AsyncClient) -> None:
    zh = await client.get("/")
    assert zh.status_code == 200
    assert 'lang="zh-CN"' in zh.text
    assert "公共资源交易平台" in zh.text
    en = await client.get("/?lang=en")
    assert 'lang="en"' in en.text
    assert "public-resource trading platform" in en.text


async def test_metrics_are_prometheus_text(client: httpx.AsyncClient) -> None:
    await client.get("/health")
    body = (await client.get("/metrics")).text
    assert "# TYPE" in body
    assert "sunbid_requests_total" in body


async def test_unknown_field_is_named(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/login", json={"username": "a", "password": "b", "colour": "red"})
    assert_problem(response, 422, "unknown field `colour`")


async def test_wrong_type_is_named(client: httpx.AsyncClient, seeded: None) -> None:
    headers = await auth(client, "operator")
    response = await client.post(
        "/api/organizations", json={"name": "甲公司", "credit_code": 12, "org_type": "bidder"}, headers=headers
    )
    assert_problem(response, 422, "credit_code", "Expected `str`, got `int`")


async def test_bad_credit_code_is_named(client: httpx.AsyncClient, seeded: None) -> None:
    headers = await auth(client, "operator")
    response = await client.post(
        "/api/organizations",
        json={"name": "甲公司", "credit_code": "914403001922038217", "org_type": "bidder"},
        headers=headers,
    )
    body = assert_problem(response, 422, "credit_code", "check character")
    assert body["type"].endswith("/invalid-credit-code")


async def test_missing_token_is_named(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/auth/me"), 401, "bearer token")


async def test_malformed_and_unknown_tokens_are_refused(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/auth/me", headers={"Authorization": "Basic abc"}), 401, "Bearer")
    assert_problem(await client.get("/api/auth/me", headers={"Authorization": "Bearer nope"}), 401, "unknown")


async def test_unknown_route_and_wrong_method_are_problems(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/no-such-thing"), 404)
    assert_problem(await client.delete("/health"), 405)


async def test_oversized_body_is_refused_with_413(client: httpx.AsyncClient) -> None:
    big = b'{"username": "' + b"a" * (2 * 1024 * 1024) + b'", "password": "x"}'
    response = await client.post("/api/auth/login", content=big, headers={"content-type": "application/json"})
    assert_problem(response, 413)


async def test_malformed_json_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/login", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_json_route_refuses_a_body_of_another_media_type_with_415(
    client: httpx.AsyncClient, seeded: None
) -> None:
    credentials = json.dumps({"username": "bidder1", "password": DEMO_PASSWORD}).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml", None):
        headers = {"content-type": content_type} if content_type else {}
        response = await client.post("/api/auth/login", content=credentials, headers=headers)
        assert_problem(response, 415, "Content-Type: application/json", content_type or "none")
    for content_type in ("application/json", "application/json; charset=utf-8", "application/vnd.sunbid+json"):
        response = await client.post("/api/auth/login", content=credentials, headers={"content-type": content_type})
        assert response.status_code in (200, 201), (content_type, response.text)


def test_every_route_that_reads_a_json_body_is_guarded_for_its_media_type() -> None:
    app = create_app(get_settings(), "postgresql+asyncpg://unused@localhost/unused")
    reading = [
        handler
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if "data" in handler.parsed_fn_signature.parameters
    ]
    assert len(reading) > 40
    assert [h for h in reading if json_body_guard not in h.resolve_guards()] == []
