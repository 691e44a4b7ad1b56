"""Each request is logged once with method, path, status and user, and never with its headers or cookies."""

from __future__ import annotations

import httpx
import pytest

from tests.support.api import token_for


async def test_request_log_has_no_secrets(
    client: httpx.AsyncClient, seeded: None, caplog: pytest.LogCaptureFixture
) -> None:
    token = await token_for(client, "regulator")
    caplog.clear()
    with caplog.at_level("INFO", logger="sunbid.request"):
        response = await client.get(
            "/api/auth/me?secret=query-value",
            headers={"Authorization": f"Bearer {token}", "Cookie": "session=cookie-value"},
        )
    assert response.status_code == 200
    records = [r for r in caplog.records if r.name == "sunbid.request"]
    assert len(records) == 1
    record = records[0]
    assert record.__dict__["path"] == "/api/auth/me"
    assert record.__dict__["status"] == 200
    assert record.__dict__["user"] == response.json()["user_id"]
    text = str(record.__dict__)
    for secret in (token, "cookie-value", "query-value"):
        assert secret not in text
