"""Case tests that submit real bids reuse one set of platform keys across the session."""

from tests.support.fixtures import platform_keys, settings

__all__ = ["platform_keys", "settings"]
