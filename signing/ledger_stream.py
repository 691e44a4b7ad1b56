"""The single streaming pass over a ledger bundle's entries.jsonl, kept apart from the bundle format.

Lines are read in large blocks and hashed in one comprehension per block; the compact range is extended in
bulk between checkpoint sizes, which keeps per-entry Python work to one SHA-256 call.  When a receipt is
given, the same pass collects its inclusion proof: the left siblings are the compact range at the receipt's
index, the right siblings are roots of the aligned subtrees after it, so memory stays O(log n).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path
from typing import Any

import rfc8785

from signing import jcs
from signing.checkpoint import Checkpoint
from signing.merkle import CompactRange

BLOCK_SIZE = 1 << 24


def canonical_problem(line: bytes) -> str | None:
    """Why ``line`` is not RFC 8785 canonical JSON, or None if it is."""
    try:
        value = json.loads(line, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        return f"is not valid JSON ({exc})"
    try:
        canonical = jcs.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        return f"cannot be canonicalized ({exc})"
    return None if canonical == line else "is valid JSON but not in RFC 8785 canonical form"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class LineReader:
    """Complete lines of a file in large blocks; ``partial`` holds any bytes after the last newline."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = b""

    def __iter__(self) -> Iterator[list[bytes]]:
        carry = b""
        with self.path.open("rb", buffering=0) as f:
            while block := f.read(BLOCK_SIZE):
                if carry:
                    block = carry + block
                cut = block.rfind(b"\n")
                if cut < 0:
                    carry = block
                    continue
                carry = block[cut + 1 :]
                yield block[:cut].split(b"\n")
        self.partial = carry


class LedgerPass:
    """The single streaming pass: leaf hashes into a compact range, checked at every checkpoint size."""

    def __init__(self, checkpoints: list[Checkpoint], target: bytes | None, check_canonical: bool) -> None:
        self.compact = CompactRange()
        self.checkpoints = checkpoints
        self.next = 0
        self.target = target
        self.check_canonical = check_canonical
        self.tree_size = checkpoints[-1].size
        self.receipt_index: int | None = None
        self.left: list[bytes] | None = None
        self.ranges: list[tuple[int, int, int]] = []
        self.range_roots: dict[int, bytes] = {}
        self.range_acc = CompactRange()
        self.bad_line: tuple[int, str] | None = None

    def settle(self) -> bool:
        """Compare the root with every checkpoint at the current size; False at the first mismatch."""
        cps, size = self.checkpoints, self.compact.size
        while self.next < len(cps) and cps[self.next].size == size:
            if cps[self.next].root != self.compact.root():
                return False
            self.next += 1
        return True

    def feed(self, lines: list[bytes]) -> bool:
        """Consume the next block of lines; False as soon as a checkpoint root or a line is wrong."""
        base = self.compact.size
        if self.check_canonical:
            for offset, line in enumerate(lines):
                if (reason := canonical_problem(line)) is not None:
                    self.bad_line = (base + offset + 1, reason)
                    return False
        hashes = [sha256(b"\x00" + e).digest() for e in lines]
        end = base + len(hashes)
        if self.target is not None and self.receipt_index is None and self.target in hashes:
            self.receipt_index = base + hashes.index(self.target)
            self._plan_ranges(self.receipt_index)
        pos = base
        while True:
            if pos == self.receipt_index and self.left is None:
                self.left = list(self.compact.nodes)
            if not self.settle():
                return False
            if pos == end:
                break
            stop = end
            if self.next < len(self.checkpoints):
                stop = min(stop, self.checkpoints[self.next].size)
            if self.receipt_index is not None and self.left is None:
                stop = min(stop, self.receipt_index)
            self.compact.extend(hashes[pos - base : stop - base])
            pos = stop
        if self.ranges:
            self._feed_ranges(base, hashes)
        return True

    def _plan_ranges(self, k: int) -> None:
        """The subtrees right of leaf k whose roots complete its inclusion proof, as (height, start, stop)."""
        for h in range(self.tree_size.bit_length()):
            start = ((k >> h) + 1) << h
            if not (k >> h) & 1 and start < self.tree_size:
                self.ranges.append((h, start, min(start + (1 << h), self.tree_size)))

    def _feed_ranges(self, base: int, hashes: list[bytes]) -> None:
        """Fold the block's leaves into the receipt's pending right-sibling subtrees, completing them in order."""
        end = base + len(hashes)
        while self.ranges:
            h, start, stop = self.ranges[0]
            lo, hi = max(start, base), min(stop, end)
            if lo >= hi:
                return
            self.range_acc.extend(hashes[lo - base : hi - base])
            if self.range_acc.size < stop - start:
                return
            self.range_roots[h] = self.range_acc.root()
            self.range_acc = CompactRange()
            self.ranges.pop(0)

    def inclusion_proof(self) -> list[bytes]:
        """The receipt's RFC 9162 path in the latest checkpoint's tree, bottom-up."""
        k, left = self.receipt_index, self.left
        if k is None or left is None:
            raise RuntimeError("no receipt entry was found in the stream")
        heights = [h for h in range(k.bit_length() - 1, -1, -1) if (k >> h) & 1]
        left_roots = dict(zip(heights, left, strict=True))
        proof = []
        for h in range(self.tree_size.bit_length()):
            node = left_roots.get(h) if (k >> h) & 1 else self.range_roots.get(h)
            if node is not None:
                proof.append(node)
        return proof


def first_non_canonical(path: Path, first: int, stop: int) -> tuple[int, str] | None:
    """The first (line number, reason) among entries [first, stop) that is not canonical JSON."""
    base = 0
    for lines in LineReader(path):
        for offset in range(max(first - base, 0), min(stop - base, len(lines))):
            if (reason := canonical_problem(lines[offset])) is not None:
                return base + offset + 1, reason
        base += len(lines)
        if base >= stop:
            break
    return None
