"""Stored-node arithmetic for the RFC 9162 tree: appends that emit perfect-subtree nodes, proofs from O(log n) nodes.

A node (level, index) is the root of the perfect subtree over leaves [index * 2**level, (index + 1) * 2**level);
level 0 nodes are leaf hashes. Every range an RFC 9162 proof needs starts at a multiple of a power of two at least
as large as the range, so it is a short right-leaning fold of stored perfect nodes.
"""

from __future__ import annotations

from collections.abc import Mapping

from signing.merkle import CompactRange, node_hash

NodeKey = tuple[int, int]


def append_leaf(compact: CompactRange, leaf: bytes, created: list[tuple[int, int, bytes]]) -> None:
    """Append a leaf hash to the compact range, adding every completed perfect node (level >= 1) to `created`."""
    node, level, index = leaf, 0, compact.size
    while index & 1:
        node = node_hash(compact.nodes.pop(), node)
        level += 1
        index >>= 1
        created.append((level, index, node))
    compact.nodes.append(node)
    compact.size += 1


def compact_from(size: int, packed: bytes) -> CompactRange:
    """Rebuild a compact range from its stored size and concatenated node hashes."""
    if len(packed) != 32 * size.bit_count():
        raise ValueError(f"compact range of size {size} needs {size.bit_count()} nodes, got {len(packed) // 32}")
    compact = CompactRange()
    compact.size = size
    compact.nodes = [packed[i : i + 32] for i in range(0, len(packed), 32)]
    return compact


def _split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[NodeKey]:
    """The perfect nodes whose right fold is MTH(D[start:end]), largest first."""
    keys: list[NodeKey] = []
    position = start
    for level in range((end - start).bit_length() - 1, -1, -1):
        if (end - start) >> level & 1:
            if position % (1 << level):
                raise ValueError(f"range [{start}, {end}) is not aligned for level {level}")
            keys.append((level, position >> level))
            position += 1 << level
    return keys


def fold(keys: list[NodeKey], nodes: Mapping[NodeKey, bytes]) -> bytes:
    """MTH of a range from its perfect nodes (fetched into `nodes`)."""
    head = nodes[keys[-1]]
    for key in reversed(keys[:-1]):
        head = node_hash(nodes[key], head)
    return head


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose roots form PATH(index, D[size]), in proof order (RFC 9162 2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = _split(end - start)
        if m < k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m = start + k, m - k
    return ranges[::-1]


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The ranges whose roots form PROOF(first, D[second]) (RFC 9162 2.1.4.1)."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    ranges: list[tuple[int, int]] = []
    start, end, m, complete = 0, second, first, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                ranges.append((start, end))
            break
        k = _split(n)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m, complete = start + k, m - k, False
    return ranges[::-1]
