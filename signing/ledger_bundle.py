"""Offline audit bundle of the supervision ledger: written by ``sunbid audit export``, checked by ``audit verify``.

A bundle is a directory of four files (format version 1):

- ``entries.jsonl``: one ledger entry per line, in log order.  The leaf data of entry i is exactly the bytes of
  line i+1 without its trailing ``\\n``; every line, including the last, ends in ``\\n``.  Entries are RFC 8785
  canonical JSON, which never contains a raw newline.
- ``checkpoints.txt``: C2SP tlog-checkpoint signed notes in non-decreasing size order, separated by a line
  consisting of ``---`` alone (no note may contain such a line).
- ``vkey.txt``: the log's verifier key, ``<name>+<hex key ID>+<base64(0x01 || Ed25519 public key)>``.
- ``manifest.json``: ``{"format": "sunbid-ledger-bundle", "version": 1, "origin": ..., "entries": N,
  "checkpoints": M}``.

Verification reads entries.jsonl once, in large blocks, and appends each leaf hash to a compact range; at every
checkpoint size the range's root must equal the signed root.  Matching roots at consecutive checkpoints prove
the log only appended in between, so no consistency proofs need to be shipped.  Canonical JSON is checked
lazily by default: parsing 10^6 entries would cost more than hashing them, and bytes whose root matches a signed
checkpoint are exactly what the log committed to, so only the interval whose root fails is rescanned to name a
malformed line.  ``check_canonical=True`` checks every line.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from hashlib import sha256
from pathlib import Path
from typing import Any

from signing.checkpoint import Checkpoint, CheckpointInvalid, VerifierKey, parse_checkpoint, parse_vkey
from signing.ledger_stream import LedgerPass, LineReader, first_non_canonical
from signing.merkle import verify_inclusion

FORMAT = "sunbid-ledger-bundle"
VERSION = 1
ENTRIES_FILE = "entries.jsonl"
CHECKPOINTS_FILE = "checkpoints.txt"
VKEY_FILE = "vkey.txt"
MANIFEST_FILE = "manifest.json"
SEPARATOR = "---"


class ProblemKind(StrEnum):
    """Stable machine-readable codes for what is wrong with a bundle."""

    MISSING_FILE = "missing_file"
    BAD_MANIFEST = "bad_manifest"
    BAD_VKEY = "bad_vkey"
    UNTRUSTED_VKEY = "untrusted_vkey"
    NO_CHECKPOINTS = "no_checkpoints"
    MALFORMED_CHECKPOINT = "malformed_checkpoint"
    BAD_SIGNATURE = "bad_signature"
    WRONG_ORIGIN = "wrong_origin"
    SIZES_DECREASE = "sizes_decrease"
    ROOT_MISMATCH = "root_mismatch"
    NON_CANONICAL_ENTRY = "non_canonical_entry"
    TRUNCATED = "truncated"
    ENTRY_COUNT_MISMATCH = "entry_count_mismatch"
    RECEIPT_NOT_FOUND = "receipt_not_found"
    RECEIPT_NOT_COVERED = "receipt_not_covered"


@dataclass(frozen=True)
class BundleProblem:
    """The first thing found wrong; checkpoint numbers and lines are 1-based, intervals are (size_a, size_b]."""

    kind: ProblemKind
    message: str
    checkpoint: int | None = None
    interval: tuple[int, int] | None = None
    line: int | None = None

    def __str__(self) -> str:
        return self.message


class BundleInvalid(Exception):
    """Raised by VerifyReport.raise_for_problem for callers that prefer exceptions to reports."""

    def __init__(self, problem: BundleProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True)
class ReceiptInclusion:
    """An inclusion proof for a receipt's entry, checked against the latest checkpoint root."""

    index: int
    leaf_hash: bytes
    tree_size: int
    root: bytes
    proof: tuple[bytes, ...]


@dataclass
class VerifyReport:
    """What verify_bundle established; ``problem`` is None exactly when the bundle verifies."""

    directory: str
    origin: str = ""
    vkey: str = ""
    pinned: bool = False
    entries: int = 0
    checkpoints: int = 0
    verified_size: int = 0
    verified_root: bytes | None = None
    receipt: ReceiptInclusion | None = None
    problem: BundleProblem | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def exit_code(self) -> int:
        return 0 if self.problem is None else 1

    @property
    def uncovered(self) -> int:
        """Entries after the latest checkpoint: present but not yet signed, which is not an error."""
        return max(self.entries - self.verified_size, 0) if self.ok else 0

    def raise_for_problem(self) -> None:
        if self.problem is not None:
            raise BundleInvalid(self.problem)

    def summary(self) -> str:
        """Human-readable lines for the CLI."""
        head = f"OK: ledger bundle {self.directory} verifies" if self.ok else f"FAILED: {self.problem}"
        lines = [head, f"origin: {self.origin or '?'}"]
        if self.vkey:
            lines.append(f"key: {self.vkey} ({'pinned' if self.pinned else 'taken from the bundle, not pinned'})")
        lines.append(f"entries: {self.entries}, checkpoints: {self.checkpoints}")
        if self.verified_root is not None:
            root = base64.b64encode(self.verified_root).decode()
            lines.append(f"verified through size {self.verified_size}, root {root}")
        if self.uncovered:
            lines.append(f"{self.uncovered} entries after the latest checkpoint are not yet covered by a signature")
        if self.receipt is not None:
            r = self.receipt
            lines.append(f"receipt: entry {r.index} (line {r.index + 1}) is included in the tree of size {r.tree_size}")
        lines.extend(self.notes)
        return "\n".join(lines)


def write_bundle(
    directory: str | os.PathLike[str], entries: Iterable[bytes], checkpoints: Sequence[str], vkey: str, origin: str
) -> int:
    """Write a bundle and return its entry count; refuses data the format could not represent unambiguously."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for note in checkpoints:
        if not note.endswith("\n") or SEPARATOR in note.split("\n"):
            raise ValueError("checkpoint notes must end in a newline and contain no separator line")
    parse_vkey(vkey)
    count = 0
    with (out / ENTRIES_FILE).open("wb") as f:
        for entry in entries:
            if b"\n" in entry:
                raise ValueError(f"entry {count} contains a newline")
            f.write(entry + b"\n")
            count += 1
    (out / CHECKPOINTS_FILE).write_text(f"{SEPARATOR}\n".join(checkpoints), encoding="utf-8")
    (out / VKEY_FILE).write_text(vkey.strip() + "\n", encoding="utf-8")
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "origin": origin,
        "entries": count,
        "checkpoints": len(checkpoints),
    }
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return count


def split_checkpoints(text: str) -> list[tuple[int, str]]:
    """The notes of checkpoints.txt with the line each starts on; only "\n" ends a line, as in notes."""
    if not text:
        return []
    notes: list[tuple[int, str]] = []
    current: list[str] = []
    start = 1
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if line == SEPARATOR:
            notes.append((start, "".join(current)))
            current, start = [], number + 1
        else:
            current.append(line if number == len(lines) else line + "\n")
    notes.append((start, "".join(current)))
    return notes


def _fail(kind: ProblemKind, message: str, **where: Any) -> BundleInvalid:
    return BundleInvalid(BundleProblem(kind, message, **where))


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise _fail(ProblemKind.BAD_MANIFEST, f"{MANIFEST_FILE} is unreadable: {exc}") from None
    shape = {"format": str, "version": int, "origin": str, "entries": int, "checkpoints": int}
    if not isinstance(manifest, dict) or any(not isinstance(manifest.get(k), t) for k, t in shape.items()):
        raise _fail(ProblemKind.BAD_MANIFEST, f"{MANIFEST_FILE} lacks one of {', '.join(shape)}")
    if manifest["format"] != FORMAT or manifest["version"] != VERSION:
        raise _fail(ProblemKind.BAD_MANIFEST, f"not a {FORMAT} version {VERSION} bundle")
    return manifest


def _verifier(bundle_vkey: str, trusted_vkey: str | None, report: VerifyReport) -> VerifierKey:
    try:
        key = parse_vkey(bundle_vkey)
        trusted = parse_vkey(trusted_vkey) if trusted_vkey is not None else None
    except CheckpointInvalid as exc:
        raise _fail(ProblemKind.BAD_VKEY, f"verifier key: {exc}") from None
    report.vkey, report.pinned = str(trusted or key), trusted is not None
    if trusted is not None and str(trusted) != str(key):
        raise _fail(ProblemKind.UNTRUSTED_VKEY, f"{VKEY_FILE} holds {key}, not the trusted key {trusted}")
    return trusted or key


def _checkpoints(text: str, key: VerifierKey, origin: str) -> list[Checkpoint]:
    """Every note, parsed and signature-checked, in non-decreasing size order."""
    result: list[Checkpoint] = []
    for number, (line, note) in enumerate(split_checkpoints(text), start=1):
        where = f"checkpoint #{number} ({CHECKPOINTS_FILE} line {line})"
        try:
            checkpoint = parse_checkpoint(note)
        except CheckpointInvalid as exc:
            raise _fail(ProblemKind.MALFORMED_CHECKPOINT, f"{where} is malformed: {exc}", checkpoint=number) from None
        try:
            key.verify(note)
        except CheckpointInvalid as exc:
            message = f"{where} is forged or was edited after signing: {exc}"
            raise _fail(ProblemKind.BAD_SIGNATURE, message, checkpoint=number) from None
        if checkpoint.origin != origin:
            message = f"{where} is for log {checkpoint.origin!r}, not {origin!r}"
            raise _fail(ProblemKind.WRONG_ORIGIN, message, checkpoint=number)
        if result and checkpoint.size < result[-1].size:
            message = f"{where} has size {checkpoint.size}, smaller than the previous {result[-1].size}"
            raise _fail(ProblemKind.SIZES_DECREASE, message, checkpoint=number)
        result.append(checkpoint)
    if not result:
        raise _fail(ProblemKind.NO_CHECKPOINTS, f"{CHECKPOINTS_FILE} holds no checkpoint")
    return result


def _interval_of(checkpoints: list[Checkpoint], index: int) -> tuple[int, int, int]:
    """(size_a, size_b, checkpoint number) of the first checkpoint interval containing entry ``index``."""
    previous = 0
    for number, checkpoint in enumerate(checkpoints, start=1):
        if index < checkpoint.size:
            return previous, checkpoint.size, number
        previous = checkpoint.size
    return previous, previous, len(checkpoints)


def _mismatch(path: Path, stream: LedgerPass, report: VerifyReport) -> BundleInvalid:
    """Name the smallest checkpoint interval at fault, and the bad line when one is not canonical JSON."""
    cps = stream.checkpoints
    if stream.bad_line is not None:
        line, reason = stream.bad_line
        a, b, number = _interval_of(cps, line - 1)
        message = f"{ENTRIES_FILE} line {line} {reason}"
        return _fail(ProblemKind.NON_CANONICAL_ENTRY, message, checkpoint=number, interval=(a, b), line=line)
    index = stream.next
    a, b = (cps[index - 1].size if index else 0), cps[index].size
    where = f"checkpoint #{index + 1} (size {b})"
    if index:
        report.verified_size, report.verified_root = a, cps[index - 1].root
    if a == b:
        message = f"{where} signs a different root than checkpoint #{index} of the same size: the log equivocated"
        return _fail(ProblemKind.ROOT_MISMATCH, message, checkpoint=index + 1, interval=(a, b))
    bad = first_non_canonical(path, a, b)
    if bad is not None:
        message = f"{ENTRIES_FILE} line {bad[0]} {bad[1]}; {where} does not match entries ({a}, {b}]"
        return _fail(ProblemKind.NON_CANONICAL_ENTRY, message, checkpoint=index + 1, interval=(a, b), line=bad[0])
    message = (
        f"entries do not match the root of {where}: the first changed, inserted, deleted or reordered entry is "
        f"in interval ({a}, {b}], {ENTRIES_FILE} lines {a + 1}-{b}"
    )
    return _fail(ProblemKind.ROOT_MISMATCH, message, checkpoint=index + 1, interval=(a, b))


def verify_bundle(
    directory: str | os.PathLike[str],
    *,
    receipt_leaf: bytes | None = None,
    receipt_leaf_hash: bytes | None = None,
    trusted_vkey: str | None = None,
    check_canonical: bool = False,
) -> VerifyReport:
    """Check a bundle from its files alone; the report's ``problem`` names the first thing wrong, if any.

    ``receipt_leaf`` is a receipt's entry bytes (or ``receipt_leaf_hash`` its RFC 9162 leaf hash): its inclusion
    in the latest checkpoint is then proven.  ``trusted_vkey`` pins the log key instead of trusting vkey.txt.
    """
    path = Path(directory)
    report = VerifyReport(str(path))
    target = receipt_leaf_hash if receipt_leaf is None else sha256(b"\x00" + receipt_leaf).digest()
    try:
        manifest, checkpoints = _load(path, report, trusted_vkey)
        stream = _stream(path / ENTRIES_FILE, LedgerPass(checkpoints, target, check_canonical), report)
        if stream.compact.size != manifest["entries"]:
            message = f"{MANIFEST_FILE} lists {manifest['entries']} entries, {ENTRIES_FILE} has {stream.compact.size}"
            raise _fail(ProblemKind.ENTRY_COUNT_MISMATCH, message)
        if target is not None:
            report.receipt = _receipt(stream, target, checkpoints[-1])
    except BundleInvalid as exc:
        report.problem = exc.problem
    return report


def _load(path: Path, report: VerifyReport, trusted_vkey: str | None) -> tuple[dict[str, Any], list[Checkpoint]]:
    """The manifest and the signature-checked checkpoints: everything but the entries."""
    for name in (MANIFEST_FILE, VKEY_FILE, CHECKPOINTS_FILE, ENTRIES_FILE):
        if not (path / name).is_file():
            raise _fail(ProblemKind.MISSING_FILE, f"{path / name} is missing")
    manifest = _read_manifest(path / MANIFEST_FILE)
    report.origin, report.entries = manifest["origin"], manifest["entries"]
    key = _verifier((path / VKEY_FILE).read_text(encoding="utf-8"), trusted_vkey, report)
    try:
        text = (path / CHECKPOINTS_FILE).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _fail(ProblemKind.MALFORMED_CHECKPOINT, f"{CHECKPOINTS_FILE} is not UTF-8") from None
    checkpoints = _checkpoints(text, key, manifest["origin"])
    report.checkpoints = len(checkpoints)
    if manifest["checkpoints"] != len(checkpoints):
        message = (
            f"{MANIFEST_FILE} lists {manifest['checkpoints']} checkpoints, {CHECKPOINTS_FILE} has {len(checkpoints)}"
        )
        raise _fail(ProblemKind.BAD_MANIFEST, message)
    return manifest, checkpoints


def _stream(entries: Path, stream: LedgerPass, report: VerifyReport) -> LedgerPass:
    """One pass over the entries; every checkpoint must match and cover no more entries than exist."""
    reader = LineReader(entries)
    for lines in reader:
        if not stream.feed(lines):
            raise _mismatch(entries, stream, report)
    if not stream.settle():
        raise _mismatch(entries, stream, report)
    count, checkpoints = stream.compact.size, stream.checkpoints
    report.entries = count
    if stream.next:
        report.verified_size, report.verified_root = (
            checkpoints[stream.next - 1].size,
            checkpoints[stream.next - 1].root,
        )
    if reader.partial:
        message = f"{ENTRIES_FILE} is truncated: line {count + 1} has no final newline"
        raise _fail(ProblemKind.TRUNCATED, message, line=count + 1)
    if stream.next < len(checkpoints):
        size = checkpoints[stream.next].size
        message = f"{ENTRIES_FILE} is truncated: it has {count} entries, checkpoint #{stream.next + 1} covers {size}"
        raise _fail(ProblemKind.TRUNCATED, message, checkpoint=stream.next + 1)
    return stream


def _receipt(stream: LedgerPass, target: bytes, latest: Checkpoint) -> ReceiptInclusion:
    """The receipt's inclusion proof, recomputed and checked against the latest signed root."""
    k = stream.receipt_index
    if k is None:
        raise _fail(ProblemKind.RECEIPT_NOT_FOUND, f"the receipt's entry is not in {ENTRIES_FILE}")
    if k >= latest.size:
        message = f"the receipt's entry is line {k + 1}, after the latest checkpoint (size {latest.size})"
        raise _fail(ProblemKind.RECEIPT_NOT_COVERED, message, line=k + 1)
    proof = stream.inclusion_proof()
    if not verify_inclusion(target, k, latest.size, proof, latest.root):
        raise RuntimeError("inclusion proof from verified entries does not verify")
    return ReceiptInclusion(k, target, latest.size, latest.root, tuple(proof))
