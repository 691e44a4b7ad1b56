"""Settings read from SUNBID_* environment variables, with defaults that suit a development checkout."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Mode(StrEnum):
    """Where the platform runs; only non-production modes may shift the database clock."""

    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class UnknownHolidayYearPolicy(StrEnum):
    """What the statutory calendar does for a year with no holiday data."""

    REFUSE = "refuse"
    WEEKENDS_ONLY = "weekends-only"


def _env(name: str, default: str) -> str:
    return os.environ.get(f"SUNBID_{name}", default)


ORM_POOL_SIZE = 10
ORM_MAX_OVERFLOW = 20
DRIVER_POOL_SIZE = 16
"""Connections per server process (ORM pool, its overflow, the plain-SQL lane); `sunbid serve` shrinks them to the
database's max_connections (core.connections)."""


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(f"SUNBID_{name}")
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"SUNBID_{name} must be an integer, got {raw!r}") from exc


class SettingsError(ValueError):
    """A SUNBID_* variable holds a value the platform cannot use."""


@dataclass(frozen=True)
class Settings:
    """Every knob of the platform, one place."""

    mode: Mode = Mode.DEVELOPMENT
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    data_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "var")
    ledger_origin: str = "sunbid.example/ledger"
    checkpoint_interval_seconds: int = 60
    max_bid_bytes: int = 4 * 1024**3
    tsa_url: str | None = None  # an external RFC 3161 TSA; None means the platform's own TSA
    max_json_bytes: int = 1024 * 1024
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    token_ttl_minutes: int = 12 * 60
    unknown_holiday_year: UnknownHolidayYearPolicy = UnknownHolidayYearPolicy.REFUSE
    tendering_bond_cap_yuan: int = 800_000  # rule 14 is S-marked (secondary source): configurable
    log_level: str = "INFO"
    chronograph_interval_seconds: float = 2.0
    job_poll_seconds: float = 1.0
    orm_pool_size: int = ORM_POOL_SIZE
    orm_max_overflow: int = ORM_MAX_OVERFLOW
    driver_pool_size: int = DRIVER_POOL_SIZE

    @property
    def pgdata(self) -> Path:
        """Where the embedded PostgreSQL keeps its files."""
        return self.data_dir / "pgdata"

    @property
    def blob_dir(self) -> Path:
        """Where content-addressed blobs (documents, sealed bids) live."""
        return self.data_dir / "blobs"

    @property
    def platform_key_dir(self) -> Path:
        """The platform's own keys (development CA, ledger, TSA); never a user's key."""
        return self.data_dir / "platform"

    @property
    def wallet_dir(self) -> Path:
        """The local client wallet (demo users' keys live here, outside the database)."""
        return self.data_dir / "wallet"


def load_settings() -> Settings:
    """Read settings from the environment; raise SettingsError naming the bad variable."""
    mode_raw = _env("MODE", Mode.DEVELOPMENT.value)
    try:
        mode = Mode(mode_raw)
    except ValueError as exc:
        raise SettingsError(f"SUNBID_MODE must be one of {[m.value for m in Mode]}, got {mode_raw!r}") from exc
    policy_raw = _env("UNKNOWN_HOLIDAY_YEAR", UnknownHolidayYearPolicy.REFUSE.value)
    try:
        policy = UnknownHolidayYearPolicy(policy_raw)
    except ValueError as exc:
        raise SettingsError(f"SUNBID_UNKNOWN_HOLIDAY_YEAR must be refuse or weekends-only, got {policy_raw!r}") from exc
    data_dir = Path(_env("DATA_DIR", str(PROJECT_ROOT / "var"))).resolve()
    return Settings(
        mode=mode,
        database_url=os.environ.get("SUNBID_DATABASE_URL") or None,
        host=_env("HOST", "127.0.0.1"),
        port=_env_int("PORT", 8000),
        workers=max(1, _env_int("WORKERS", 1)),
        data_dir=data_dir,
        ledger_origin=_env("LEDGER_ORIGIN", "sunbid.example/ledger"),
        checkpoint_interval_seconds=_env_int("CHECKPOINT_INTERVAL_SECONDS", 60),
        max_bid_bytes=_env_int("MAX_BID_BYTES", 4 * 1024**3),
        tsa_url=os.environ.get("SUNBID_TSA_URL") or None,
        max_json_bytes=_env_int("MAX_JSON_BYTES", 1024 * 1024),
        login_max_failures=_env_int("LOGIN_MAX_FAILURES", 5),
        login_lockout_minutes=_env_int("LOGIN_LOCKOUT_MINUTES", 15),
        token_ttl_minutes=_env_int("TOKEN_TTL_MINUTES", 12 * 60),
        unknown_holiday_year=policy,
        tendering_bond_cap_yuan=_env_int("TENDERING_BOND_CAP_YUAN", 800_000),
        log_level=_env("LOG_LEVEL", "INFO"),
        chronograph_interval_seconds=float(_env("CHRONOGRAPH_INTERVAL_SECONDS", "0" if mode is Mode.TEST else "2")),
        job_poll_seconds=float(_env("JOB_POLL_SECONDS", "1")),
        orm_pool_size=max(1, _env_int("ORM_POOL_SIZE", ORM_POOL_SIZE)),
        orm_max_overflow=max(0, _env_int("ORM_MAX_OVERFLOW", ORM_MAX_OVERFLOW)),
        driver_pool_size=max(1, _env_int("DRIVER_POOL_SIZE", DRIVER_POOL_SIZE)),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
