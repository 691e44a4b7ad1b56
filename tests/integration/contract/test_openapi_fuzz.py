"""Schemathesis over the live OpenAPI schema with bounded examples: no request may produce a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.support.db import EmbeddedCluster, run_blocking
from tests.support.live import LiveServer


@pytest.fixture(scope="module")
def fuzz_server(cluster: EmbeddedCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server on its own demo-seeded database, shared by every generated case of this module."""
    name = run_blocking(cluster.clone(seeded=True))
    server = LiveServer(cluster.url(name), Path(tmp_path_factory.mktemp("fuzz")) / "var").start()
    yield server
    server.stop()
    run_blocking(cluster.drop(name))


@pytest.fixture(scope="module")
def operator_token(fuzz_server: LiveServer) -> str:
    response = httpx.post(
        fuzz_server.url + "/api/auth/login", json={"username": "operator", "password": "sunbid-demo-2026"}
    )
    token: str = response.json()["token"]
    return token


@pytest.fixture(scope="module")
def api_schema(fuzz_server: LiveServer) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(fuzz_server.url + "/schema/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors(case: schemathesis.Case, operator_token: str) -> None:
    headers = {"Authorization": f"Bearer {operator_token}"} if case.operation.path != "/api/auth/logout" else {}
    response = case.call(headers=headers, timeout=30)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
    if response.status_code >= 400:
        assert response.headers.get("content-type", "").startswith("application/problem+json"), response.text
