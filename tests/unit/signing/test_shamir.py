"""Shamir k-of-n sharing: reconstruction from any quorum, secrecy below it, and refusal of bad shares."""

from __future__ import annotations

import io
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signing import shamir
from signing.envelope import generate_identity, open_stream, seal_stream
from signing.shamir import (
    DuplicateShare,
    InvalidParameters,
    MalformedShare,
    MixedShares,
    ReconstructionFailed,
    Share,
    TooFewShares,
    combine,
    combine_age_identity,
    split,
    split_age_identity,
)


def _slow_mul(a: int, b: int) -> int:
    product = 0
    while b:
        if b & 1:
            product ^= a
        a = (a << 1) ^ (0x11B if a & 0x80 else 0)
        b >>= 1
    return product


def test_field_tables_match_carryless_multiplication() -> None:
    for a in range(256):
        for b in range(0, 256, 7):
            assert shamir._mul(a, b) == _slow_mul(a, b)
        if a:
            assert shamir._mul(shamir._div(1, a), a) == 1


def test_every_quorum_of_3_of_5_rebuilds_the_secret() -> None:
    secret = b"escrow identity \x00\xff bytes"
    shares = split(secret, 3, 5)
    assert [s.index for s in shares] == [1, 2, 3, 4, 5]
    for size in (3, 4, 5):
        for subset in itertools.permutations(shares, size):
            assert combine(subset) == secret


@settings(max_examples=60, deadline=None)
@given(
    secret=st.binary(min_size=1, max_size=48),
    n=st.integers(min_value=1, max_value=12),
    data=st.data(),
)
def test_any_k_encoded_shares_rebuild(secret: bytes, n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(min_value=1, max_value=n))
    encoded = [s.encode() for s in split(secret, k, n)]
    chosen = data.draw(st.permutations(encoded))[: data.draw(st.integers(min_value=k, max_value=n))]
    assert combine(chosen) == secret


@settings(max_examples=40, deadline=None)
@given(secret=st.binary(min_size=1, max_size=32), other=st.binary(min_size=1, max_size=32), k=st.integers(2, 6))
def test_fewer_than_k_shares_are_consistent_with_any_secret(secret: bytes, other: bytes, k: int) -> None:
    """k-1 real shares plus a suitably chosen k-th share rebuild an arbitrary other secret."""
    other = (other * 32)[: len(secret)]
    shares = split(secret, k, k)
    known = [(s.index, s.value) for s in shares[: k - 1]]
    forged_value = other + shamir._tag(other)
    points = [*known, (0, forged_value)]
    last = Share(k, k, shares[0].split_id, shamir._interpolate(points, at=k))
    assert combine([*shares[: k - 1], last]) == other


def test_k_minus_one_shares_do_not_rebuild() -> None:
    secret = bytes(range(32))
    shares = split(secret, 4, 6)
    with pytest.raises(TooFewShares):
        combine(shares[:3])
    assert shamir._interpolate([(s.index, s.value) for s in shares[:3]])[:32] != secret


def test_text_form_round_trips_and_checksum_catches_typos() -> None:
    share = split(b"secret", 2, 3)[1]
    text = share.encode()
    assert text.startswith("sunbid-share-v1:2:2:")
    assert Share.decode(text) == share
    body = text.split(":")[3]
    typo = text.replace(body, body[:5] + ("A" if body[5] != "A" else "B") + body[6:])
    with pytest.raises(MalformedShare, match="checksum"):
        Share.decode(typo)
    for bad in ("", "sunbid-share-v2:2:2:AAAA:00000000", "sunbid-share-v1:2:2:AAAA"):
        with pytest.raises(MalformedShare):
            Share.decode(bad)


def test_an_altered_share_with_a_recomputed_checksum_fails_reconstruction() -> None:
    shares = split(b"the escrow key", 2, 3)
    value = bytearray(shares[0].value)
    value[0] ^= 0x5A
    altered = Share(2, 1, shares[0].split_id, bytes(value))
    with pytest.raises(ReconstructionFailed):
        combine([altered.encode(), shares[1].encode()])
    with pytest.raises(ReconstructionFailed):
        combine([shares[1], shares[2], altered])


def test_shares_of_different_splits_are_refused() -> None:
    first, second = split(b"same secret", 2, 3), split(b"same secret", 2, 3)
    with pytest.raises(MixedShares):
        combine([first[0], second[1]])


def test_duplicate_indexes_are_refused() -> None:
    shares = split(b"secret", 2, 3)
    with pytest.raises(DuplicateShare):
        combine([shares[0], shares[0].encode()])


@pytest.mark.parametrize(("k", "n"), [(0, 3), (4, 3), (2, 256), (-1, 2)])
def test_bad_parameters_are_refused(k: int, n: int) -> None:
    with pytest.raises(InvalidParameters):
        split(b"secret", k, n)


def test_empty_secret_and_no_shares_are_refused() -> None:
    with pytest.raises(InvalidParameters):
        split(b"", 1, 1)
    with pytest.raises(TooFewShares):
        combine([])


def test_255_shares_are_supported() -> None:
    shares = split(b"k", 200, 255)
    assert combine(shares[55:]) == b"k"


def test_escrow_identity_split_rebuilds_a_working_key() -> None:
    escrow = generate_identity()
    sealed = io.BytesIO()
    seal_stream(io.BytesIO(b"bid package"), sealed, [escrow.recipient])
    shares = split_age_identity(escrow.secret, 2, 3)
    assert all(escrow.secret not in s for s in shares)
    rebuilt = combine_age_identity([shares[2], shares[0]])
    assert rebuilt == escrow.secret
    out = io.BytesIO()
    open_stream(io.BytesIO(sealed.getvalue()), out, rebuilt)
    assert out.getvalue() == b"bid package"


def test_only_age_identities_are_split_as_identities() -> None:
    with pytest.raises(InvalidParameters):
        split_age_identity("not a key", 2, 3)
    with pytest.raises(ReconstructionFailed):
        combine_age_identity(split(b"plain secret", 1, 2))
