"""RFC 9162 Merkle tree: reference vectors and properties against a direct transcription of the RFC."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signing.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

VECTORS: dict[str, Any] = json.loads((Path(__file__).parents[2] / "fixtures" / "merkle-vectors.json").read_text())
LEAVES = [leaf_hash(bytes.fromhex(h)) for h in VECTORS["leaves_hex"]]


def rfc_root(hashes: list[bytes]) -> bytes:
    """MTH exactly as RFC 9162 section 2.1.1 defines it."""
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return node_hash(rfc_root(hashes[:k]), rfc_root(hashes[k:]))


def test_empty_root() -> None:
    assert root([]).hex() == VECTORS["empty_root"]
    assert CompactRange().root() == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_reference_trees(size: int) -> None:
    assert root(LEAVES[:size]).hex() == VECTORS["roots"][str(size)]


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=lambda c: f"{c['index']}-in-{c['size']}")
def test_reference_inclusion_proofs(case: dict[str, Any]) -> None:
    index, size = case["index"], case["size"]
    proof = inclusion_proof(index, LEAVES[:size])
    assert [p.hex() for p in proof] == case["path"]
    tree_root = bytes.fromhex(VECTORS["roots"][str(size)])
    assert verify_inclusion(LEAVES[index], index, size, proof, tree_root)
    assert not verify_inclusion(LEAVES[index], index, size, proof, root(LEAVES[: size - 1]))
    assert not verify_inclusion(leaf_hash(b"other"), index, size, proof, tree_root)


@pytest.mark.parametrize("case", VECTORS["consistency"], ids=lambda c: f"{c['first']}-to-{c['second']}")
def test_reference_consistency_proofs(case: dict[str, Any]) -> None:
    m, n = case["first"], case["second"]
    proof = consistency_proof(m, LEAVES[:n])
    assert [p.hex() for p in proof] == case["proof"]
    root_m, root_n = bytes.fromhex(VECTORS["roots"][str(m)]), bytes.fromhex(VECTORS["roots"][str(n)])
    assert verify_consistency(m, n, root_m, root_n, proof)
    if m != n:
        assert not verify_consistency(m, n, root_n, root_m, proof)
        assert not verify_consistency(m, n, root_m, root_n, proof[:-1])


def test_proof_arguments_out_of_range() -> None:
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(3, LEAVES[:3])
    with pytest.raises(ValueError, match="outside"):
        consistency_proof(4, LEAVES[:3])
    assert not verify_inclusion(LEAVES[0], 5, 5, [], EMPTY_ROOT)
    assert not verify_consistency(5, 4, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 3, EMPTY_ROOT, root(LEAVES[:3]), [])


hash_lists = st.lists(st.binary(min_size=0, max_size=6).map(leaf_hash), min_size=0, max_size=70)


@settings(max_examples=60, deadline=None)
@given(hashes=hash_lists, cuts=st.lists(st.integers(min_value=0, max_value=70), max_size=6))
def test_compact_range_matches_batch_root_at_every_prefix(hashes: list[bytes], cuts: list[int]) -> None:
    one_by_one = CompactRange()
    for i, h in enumerate(hashes):
        one_by_one.append(h)
        assert one_by_one.root() == rfc_root(hashes[: i + 1])
    bulk, start = CompactRange(), 0
    for cut in [*sorted(c for c in cuts if c <= len(hashes)), len(hashes)]:
        bulk.extend(hashes[start:cut])
        start = max(start, cut)
        assert bulk.root() == rfc_root(hashes[:start])
    assert bulk.size == len(hashes)
    assert len(bulk.nodes) == bin(len(hashes)).count("1")
    assert root(hashes) == rfc_root(hashes)


@settings(max_examples=40, deadline=None)
@given(hashes=hash_lists.filter(bool))
def test_every_inclusion_and_consistency_proof_verifies(hashes: list[bytes]) -> None:
    n, tree_root = len(hashes), rfc_root(hashes)
    for index in range(n):
        assert verify_inclusion(hashes[index], index, n, inclusion_proof(index, hashes), tree_root)
    for m in range(n + 1):
        assert verify_consistency(m, n, rfc_root(hashes[:m]), tree_root, consistency_proof(m, hashes))


@settings(max_examples=60, deadline=None)
@given(hashes=hash_lists.filter(lambda h: len(h) > 1), data=st.data())
def test_mutated_proofs_are_rejected(hashes: list[bytes], data: st.DataObject) -> None:
    n, tree_root = len(hashes), rfc_root(hashes)
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    path = inclusion_proof(index, hashes)
    at = data.draw(st.integers(min_value=0, max_value=len(path) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=255))
    forged = list(path)
    forged[at] = bytes(b ^ (1 << (bit % 8)) if i == bit // 8 else b for i, b in enumerate(forged[at]))
    assert not verify_inclusion(hashes[index], index, n, forged, tree_root)
    other = (index + 1) % n
    assert hashes[other] == hashes[index] or not verify_inclusion(hashes[other], index, n, path, tree_root)
    m = data.draw(st.integers(min_value=1, max_value=n - 1))
    proof = consistency_proof(m, hashes)
    bad_old = leaf_hash(b"not the old root")
    assert not verify_consistency(m, n, bad_old, tree_root, proof)
    forged = list(proof)
    forged[0] = bytes(32)
    assert not verify_consistency(m, n, rfc_root(hashes[:m]), tree_root, forged)
