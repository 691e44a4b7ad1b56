"""RFC 9162 Merkle tree hashing, inclusion and consistency proofs, and an O(log n) compact range.

Hashes are raw 32-byte SHA-256 digests: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right),
and the empty tree's root is SHA-256("").  The tree over n leaves splits at the largest power of two below n
(RFC 9162 section 2.1.1), which is the same tree a compact range folds from right to left.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from hashlib import sha256

HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """The RFC 9162 leaf hash of one entry's bytes."""
    return sha256(b"\x00" + entry).digest()


def leaf_hashes(entries: Iterable[bytes]) -> list[bytes]:
    """Leaf hashes of many entries, in one comprehension because this is the verifier's hot path."""
    return [sha256(b"\x00" + e).digest() for e in entries]


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 9162 interior node hash."""
    return sha256(b"\x01" + left + right).digest()


def _perfect_root(hashes: Sequence[bytes]) -> bytes:
    """Root of a power-of-two run of hashes, reduced level by level so each level is one comprehension."""
    level = list(hashes)
    while len(level) > 1:
        pairs = iter(level)
        level = [sha256(b"\x01" + a + b).digest() for a, b in zip(pairs, pairs, strict=False)]
    return level[0]


def _largest_power_of_two_below(n: int) -> int:
    """The split point k of RFC 9162: the largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class CompactRange:
    """The roots of the perfect subtrees covering leaves [0, size), largest first: enough to append and to root.

    Invariant: ``nodes[i]`` is the root of a perfect subtree whose height is the i-th highest set bit of size.
    """

    __slots__ = ("nodes", "size")

    def __init__(self) -> None:
        self.size = 0
        self.nodes: list[bytes] = []

    def _push(self, node: bytes, height: int) -> None:
        """Add a perfect subtree of 2**height leaves; size must be a multiple of 2**height."""
        nodes = self.nodes
        carry = self.size >> height
        while carry & 1:
            node = sha256(b"\x01" + nodes.pop() + node).digest()
            carry >>= 1
        nodes.append(node)
        self.size += 1 << height

    def append(self, leaf: bytes) -> None:
        """Append one leaf hash."""
        self._push(leaf, 0)

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Append many leaf hashes, hashing the largest aligned perfect subtrees in bulk."""
        start, count = 0, len(leaves)
        while start < count:
            size = self.size
            room = count - start
            limit = min(size & -size, room) if size else room
            width = 1 << (limit.bit_length() - 1)
            if width == 1:
                self._push(leaves[start], 0)
            else:
                self._push(_perfect_root(leaves[start : start + width]), width.bit_length() - 1)
            start += width

    def root(self) -> bytes:
        """The RFC 9162 tree head of the leaves appended so far."""
        nodes = self.nodes
        if not nodes:
            return EMPTY_ROOT
        head = nodes[-1]
        for node in reversed(nodes[:-1]):
            head = sha256(b"\x01" + node + head).digest()
        return head

    def copy(self) -> CompactRange:
        """An independent range at the same size, so callers can fork a stream."""
        other = CompactRange()
        other.size = self.size
        other.nodes = list(self.nodes)
        return other


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of a list of leaf hashes."""
    compact = CompactRange()
    compact.extend(leaf_hashes)
    return compact.root()


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]) of RFC 9162 section 2.1.3.1, bottom-up."""
    if not 0 <= index < len(leaf_hashes):
        raise ValueError(f"leaf index {index} is outside a tree of size {len(leaf_hashes)}")
    proof: list[bytes] = []
    lo, hi = 0, len(leaf_hashes)
    while hi - lo > 1:
        split = lo + _largest_power_of_two_below(hi - lo)
        if index < split:
            proof.append(root(leaf_hashes[split:hi]))
            hi = split
        else:
            proof.append(root(leaf_hashes[lo:split]))
            lo = split
    proof.reverse()
    return proof


def consistency_proof(m: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 section 2.1.4.1; empty when m is 0 or n."""
    n = len(leaf_hashes)
    if not 0 <= m <= n:
        raise ValueError(f"old size {m} is outside 0..{n}")
    if m in (0, n):
        return []
    proof: list[bytes] = []
    lo, hi, complete = 0, n, True
    while m != hi:
        split = _largest_power_of_two_below(hi - lo)
        if m - lo <= split:
            proof.append(root(leaf_hashes[lo + split : hi]))
            hi = lo + split
        else:
            proof.append(root(leaf_hashes[lo : lo + split]))
            lo += split
            complete = False
    if not complete:
        proof.append(root(leaf_hashes[lo:hi]))
    proof.reverse()
    return proof


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2: does ``proof`` place ``leaf_hash`` at ``index`` under ``root``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(m: int, n: int, root_m: bytes, root_n: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2: is the tree of size n with ``root_n`` an append-only extension of size m?"""
    if not 0 <= m <= n:
        return False
    if m == n:
        return not proof and root_m == root_n
    if m == 0:
        return not proof and root_m == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if m & (m - 1) == 0:
        path.insert(0, root_m)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = sha256(b"\x01" + c + fr).digest()
            sr = sha256(b"\x01" + c + sr).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = sha256(b"\x01" + sr + c).digest()
        fn >>= 1
        sn >>= 1
    return fr == root_m and sr == root_n and sn == 0
