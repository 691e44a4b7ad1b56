"""Schemathesis over the live OpenAPI schema with bounded examples: no request may produce a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.support.db import EmbeddedCluster, run_blocking
from tests.support.live import LiveServer

EXAMPLES_PER_OPERATION = 6
SKIPPED = {"POST /api/auth/logout"}


@pytest.fixture(scope="module")
def fuzz_server(cluster: EmbeddedCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server on its own demo-seeded database, shared by every generated case of this module."""
    name = run_blocking(cluster.clone(seeded=True))
    server = LiveServer(cluster.url(name), Path(tmp_path_factory.mktemp("fuzz")) / "var").start()
    yield server
    server.stop()
    run_blocking(cluster.drop(name))


def _token(server: LiveServer, username: str) -> str:
    response = httpx.post(server.url + "/api/auth/login", json={"username": username, "password": "sunbid-demo-2026"})
    token: str = response.json()["token"]
    return token


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_operation_answers_with_a_server_error(fuzz_server: LiveServer, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_url(fuzz_server.url + "/schema/openapi.json")
    headers = {"Authorization": f"Bearer {_token(fuzz_server, 'operator')}"}
    failures: list[str] = []
    unsatisfiable: list[str] = []
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in SKIPPED:
            continue
        checked += 1

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def probe(case: schemathesis.Case) -> None:
            response = case.call(base_url=fuzz_server.url, headers=headers, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}")
            elif response.status_code >= 400:
                content_type = (response.headers.get("content-type") or [""])[0]
                if not content_type.startswith("application/problem+json"):
                    failures.append(f"{case.method} {case.formatted_path}: {response.status_code} is not problem+json")

        try:
            probe()
        except Unsatisfiable:
            unsatisfiable.append(operation.label)
    assert checked >= 10, f"only {checked} operations in the schema"
    assert failures == [], "\n".join(failures[:20])
    if mode is GenerationMode.POSITIVE:
        assert unsatisfiable == [], f"no valid request could be generated for {unsatisfiable}"
    else:
        assert len(unsatisfiable) < checked, "no operation accepts any input to corrupt"
