"""RFC 8785 (JCS) canonical JSON, fast for the values Sunbid signs, exact for every value; and the strict parser
for the signed JSON a bid submission carries.

rfc8785 serializes in pure Python; a bid submission canonicalizes several statements, which showed in profiles.
For values made only of objects with ASCII keys, arrays, strings, booleans, null and integers within +-2^53,
msgspec's key-sorted compact output is byte for byte the JCS form (UTF-8, the same escapes, and ASCII keys sort the
same by code point as by UTF-16 unit), so those take it (about a tenth of `json.dumps`'s time, which a
`test_jcs` property test holds to rfc8785's bytes); anything else (floats, non-ASCII keys, lone surrogates, huge
integers) goes to rfc8785, which also raises its errors.
"""

from __future__ import annotations

from typing import Any

import msgspec
import rfc8785

SAFE_INTEGER = 2**53 - 1
NODE_BUDGET = 1_000_000
"""Values looked at before the fast path gives up: a cyclic value goes to rfc8785, which raises, instead of looping."""
_ENCODER = msgspec.json.Encoder(order="sorted")
_DECODER = msgspec.json.Decoder()


def _plain(value: Any) -> bool:
    """True when value holds only JSON types json.dumps writes exactly as JCS does (a loop, not recursion: this runs
    for every statement, receipt and journal event, several times per submitted bid)."""
    stack = [value]
    pop, push, extend = stack.pop, stack.append, stack.extend
    budget = NODE_BUDGET
    while stack:
        budget -= 1
        if budget < 0:
            return False
        item = pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -SAFE_INTEGER <= item <= SAFE_INTEGER:
                continue
            return False
        if kind is dict:
            for key, member in item.items():
                if type(key) is not str or not key.isascii():
                    return False
                member_kind = type(member)
                if member_kind is not str and member_kind is not bool and member is not None:
                    push(member)
            continue
        if kind is list:
            extend(item)
            continue
        return False
    return True


def dumps(value: Any) -> bytes:
    """The JCS bytes of value (rfc8785.CanonicalizationError for what JCS cannot represent)."""
    if _plain(value):
        try:
            return _ENCODER.encode(value)
        except UnicodeEncodeError:
            pass
    return rfc8785.dumps(value)


def loads(data: str | bytes) -> Any:
    """Strict JSON: UTF-8 only, no NaN or Infinity, no lone surrogates (ValueError), RecursionError when nested too
    deeply; a tenth of `json.loads`'s time on a statement, whose certificate PEM is full of escapes."""
    return _DECODER.decode(data)
