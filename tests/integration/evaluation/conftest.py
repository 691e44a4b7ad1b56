"""Evaluation tests share the session's platform keys; the chained tests serve the real app over real websockets."""

from __future__ import annotations

from tests.support.fixtures import base, platform_keys, settings

__all__ = ["base", "platform_keys", "settings"]
