"""The fast canonical JSON path gives exactly rfc8785's bytes, and its errors, for any JSON value."""

from __future__ import annotations

import enum
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from signing import jcs

scalars = st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.text() | st.floats(allow_nan=False)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


class _Text(str):
    """A str subclass: exact types only take the fast path, subclasses go to rfc8785."""


class _Count(enum.IntEnum):
    TWO = 2


class _Kind(enum.StrEnum):
    BID = "bid"


class _Object(dict[str, Any]):
    """A dict subclass."""


def _same_as_rfc8785(value: Any) -> None:
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        with pytest.raises(rfc8785.CanonicalizationError):
            jcs.dumps(value)
        return
    assert jcs.dumps(value) == expected


@settings(max_examples=400, deadline=None)
@given(values)
def test_same_bytes_or_same_refusal_as_rfc8785(value: Any) -> None:
    _same_as_rfc8785(value)


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": '中文\u2028\x7f\x1f\n\t"\\/', "c": [None, True, False, -(2**53) + 1]},
        {"\U0001f600": 1, "\ufb33": 2},
        {"lone": "\ud800"},
        {"big": 2**53},
        {"f": 1.5e-7},
        {"s": _Text("subclass"), "i": _Count.TWO, "e": _Kind.BID, "t": True},
        _Object({"z": [1, "x"], "a": None}),
    ],
)
def test_edge_cases(value: Any) -> None:
    _same_as_rfc8785(value)


def test_a_cyclic_value_is_refused_instead_of_looping() -> None:
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    with pytest.raises((RecursionError, ValueError, rfc8785.CanonicalizationError)):
        jcs.dumps({"loop": cyclic})


@pytest.mark.parametrize(
    "text",
    [b"[NaN]", b'{"a": Infinity}', b'"\xff"', b'{"a": 1', b"[" * 5000 + b"]" * 5000, b"1e999"],
)
def test_the_strict_parser_refuses_what_is_not_json(text: bytes) -> None:
    with pytest.raises((ValueError, RecursionError)):
        jcs.loads(text)


signed_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)
"""What Sunbid's statements hold: no floats (a float such as 2.0**53 is written as an integer JCS then refuses)."""


@settings(max_examples=200, deadline=None)
@given(signed_values)
def test_the_parser_reads_back_what_the_canonical_form_writes(value: Any) -> None:
    try:
        canonical = jcs.dumps(value)
    except rfc8785.CanonicalizationError:
        return
    assert jcs.dumps(jcs.loads(canonical)) == canonical
