"""Logs carry no secrets: credential-like fields are redacted and requests log no headers, cookies or query."""

from __future__ import annotations

import json
import logging

import pytest

from core.logging import configure_logging, redact_secrets


def test_redacts_credential_fields_at_any_depth() -> None:
    event = {"event": "x", "password": "p", "nested": {"Authorization": "Bearer t", "ok": 1}, "cookie": "c"}
    out = redact_secrets(None, "info", event)
    assert out["password"] == "[redacted]"
    assert out["cookie"] == "[redacted]"
    assert out["nested"] == {"Authorization": "[redacted]", "ok": 1}


def test_configured_logs_are_json_with_redaction(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    logging.getLogger("sunbid.test").info("login attempt", extra={"username": "a", "password": "hunter2"})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["event"] == "login attempt"
    assert record["password"] == "[redacted]"
    assert "hunter2" not in line
