"""Case tests that submit real bids reuse one set of platform keys (the TSA's RSA key is slow to make)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from tests.support.bids import install_platform_keys, prepare_platform_keys


@pytest.fixture(scope="session")
def case_platform_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's CA, TSA and receipt keys."""
    return prepare_platform_keys(tmp_path_factory.mktemp("case-platform-keys"))


@pytest.fixture
def settings(settings: Settings, case_platform_keys: Path) -> Settings:
    """The usual test settings, with the cached platform keys in place before the app starts."""
    install_platform_keys(case_platform_keys, settings.platform_key_dir)
    return settings
