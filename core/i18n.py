"""User-interface language: Chinese (zh-CN) by default, English on request."""

from __future__ import annotations

from typing import Any

from litestar import Request

SUPPORTED = ("zh-CN", "en")


def pick_language(request: Request[Any, Any, Any]) -> str:
    """?lang= wins, then the lang cookie, then zh-CN; English only when asked for explicitly."""
    for candidate in (request.query_params.get("lang"), request.cookies.get("lang")):
        if candidate in SUPPORTED:
            return candidate
    return "zh-CN"


class Translator:
    """Looks up UI strings by key in the page's language."""

    def __init__(self, catalog: dict[str, dict[str, str]], lang: str) -> None:
        self._catalog = catalog
        self.lang = lang

    def __call__(self, key: str) -> str:
        entry = self._catalog.get(key)
        if entry is None:
            return key
        return entry.get(self.lang) or entry["zh-CN"]
