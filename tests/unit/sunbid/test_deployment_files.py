"""docker-compose.yml for production users: services and the variables the app reads."""

from __future__ import annotations

import re
from typing import Any

import yaml

from core.settings import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "docker-compose.yml"


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_compose_has_database_app_and_worker() -> None:
    services = _compose()["services"]
    assert set(services) >= {"db", "app", "worker"}
    assert services["db"]["image"].startswith("postgres:16")
    assert services["app"]["command"] == ["sunbid", "serve"]
    assert services["worker"]["command"] == ["sunbid", "worker"]
    assert services["app"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_app_and_worker_are_configured_by_environment() -> None:
    services = _compose()["services"]
    for name in ("app", "worker"):
        env = services[name]["environment"]
        assert env["SUNBID_MODE"] == "production"
        assert env["SUNBID_DATABASE_URL"].startswith("postgresql+asyncpg://sunbid:")
        assert "@db:5432/sunbid" in env["SUNBID_DATABASE_URL"]
        assert "SUNBID_DATA_DIR" in env


def test_every_compose_variable_is_one_the_app_reads() -> None:
    settings_source = (PROJECT_ROOT / "core" / "settings.py").read_text()
    read = set(re.findall(r'_env(?:_int)?\("([A-Z_]+)"', settings_source)) | {"DATABASE_URL"}
    text = COMPOSE.read_text()
    used = set(re.findall(r"\bSUNBID_([A-Z_]+):", text))
    assert used, "no SUNBID_ variables in docker-compose.yml"
    assert used <= read, f"compose sets variables the app ignores: {sorted(used - read)}"


def test_no_secret_is_committed_in_compose() -> None:
    text = COMPOSE.read_text()
    assert "${POSTGRES_PASSWORD:?" in text
    assert not re.search(r"^\s*POSTGRES_PASSWORD:\s*[^$\s]", text, re.MULTILINE)


def test_dockerfile_installs_the_cjk_font_and_runs_as_non_root() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "fonts-noto-cjk" in dockerfile
    assert re.search(r"^USER\s+sunbid", dockerfile, re.MULTILINE)
