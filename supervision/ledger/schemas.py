"""API shapes of the ledger; hashes are standard base64, as in checkpoint notes."""

from __future__ import annotations

from core.schemas import Out


class EntryOut(Out):
    """One leaf: `entry` is the exact leaf data (UTF-8 JSON); hash `entry.encode()` to check `leaf_hash`."""

    index: int
    entry: str
    leaf_hash: str


class EntriesOut(Out):
    """A page of entries and the ledger size when it was read."""

    size: int
    entries: list[EntryOut]


class InclusionProofOut(Out):
    """RFC 9162 inclusion proof of leaf `index` in the tree of `size` entries."""

    index: int
    size: int
    leaf_hash: str
    proof: list[str]


class ConsistencyProofOut(Out):
    """RFC 9162 consistency proof from the tree of `first` entries to the tree of `second`."""

    first: int
    second: int
    proof: list[str]


class CheckpointOut(Out):
    """A signed checkpoint: its size, root and the C2SP note text."""

    size: int
    root: str
    note: str
