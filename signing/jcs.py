"""RFC 8785 (JCS) canonical JSON, fast for the values Sunbid signs, exact for every value.

rfc8785 serializes in pure Python; a bid submission canonicalizes several statements, which showed in profiles.
For values made only of objects with ASCII keys, arrays, strings, booleans, null and integers within +-2^53, the
standard library's sorted, compact, non-ASCII-preserving output is byte for byte the JCS form (same escapes, and
ASCII keys sort the same by code point as by UTF-16 unit), so those take `json.dumps`; anything else (floats,
non-ASCII keys, lone surrogates, huge integers) goes to rfc8785, which also raises its errors.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

SAFE_INTEGER = 2**53 - 1


def _plain(value: Any) -> bool:
    if value is None or isinstance(value, str | bool):
        return True
    if isinstance(value, int):
        return -SAFE_INTEGER <= value <= SAFE_INTEGER
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return False


def dumps(value: Any) -> bytes:
    """The JCS bytes of value (rfc8785.CanonicalizationError for what JCS cannot represent)."""
    if _plain(value):
        try:
            return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        except UnicodeEncodeError:
            pass
    return rfc8785.dumps(value)
