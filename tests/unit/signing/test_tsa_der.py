"""The hand-written DER pieces of local time-stamp tokens encode exactly what asn1crypto encodes."""

from __future__ import annotations

import datetime as dt

import pytest
from asn1crypto import cms, core
from hypothesis import given
from hypothesis import strategies as st
from pyhanko.sign import general

from signing.tsa import der_generalized_time, der_integer, der_message_digest, der_signing_time

TIMES = st.datetimes(
    min_value=dt.datetime(1990, 1, 1),  # noqa: DTZ001 (hypothesis takes naive bounds; timezones= makes them UTC)
    max_value=dt.datetime(2049, 12, 31),  # noqa: DTZ001 (as above)
    timezones=st.just(dt.UTC),
)


@given(st.integers(min_value=0, max_value=2**160))
def test_integers(value: int) -> None:
    assert der_integer(value) == core.Integer(value).dump()


def test_negative_integers_are_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        der_integer(-1)


@given(TIMES)
def test_generalized_time(when: dt.datetime) -> None:
    assert der_generalized_time(when) == core.GeneralizedTime(when).dump()


@given(TIMES)
def test_signing_time_attribute(when: dt.datetime) -> None:
    expected = general.simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(when)})).dump()  # type: ignore[no-untyped-call]
    assert der_signing_time(when) == expected


@given(st.binary(min_size=32, max_size=64))
def test_message_digest_attribute(digest: bytes) -> None:
    assert der_message_digest(digest) == general.simple_cms_attribute("message_digest", digest).dump()  # type: ignore[no-untyped-call]


def test_a_time_in_another_zone_is_encoded_in_utc() -> None:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    when = dt.datetime(2026, 11, 23, 16, 0, 0, 120000, tzinfo=shanghai)
    assert der_generalized_time(when) == core.GeneralizedTime(when.astimezone(dt.UTC)).dump()
    assert der_generalized_time(when).endswith(b"20261123080000.12Z")
