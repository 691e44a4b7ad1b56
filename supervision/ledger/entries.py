"""Ledger entry bytes (RFC 8785 JSON) and the offline check of sealed-period slots against their reveals.

Pure: no database, no web. `audit verify` imports this module, so it must never import anything that connects.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signing import jcs

SLOT_DOMAIN = b"sunbid/slot/v1\n"
COMMITMENT_DOMAIN = b"sunbid/commitment/v1\n"
_KIND_MARKERS = (b'"kind":"slot"', b'"kind":"reveal"')


def event_entry(index: int, record: dict[str, Any]) -> bytes:
    """A journal event as a ledger entry: its public facts plus its own index (so reordering is explicit)."""
    return jcs.dumps({"index": index, "kind": "event", **record})


def slot_entry(index: int, tender_id: str, slot: int, batch: bytes) -> bytes:
    """One fixed-rate blinded entry of an open tender; the same shape whether it commits to 0 or 100 acts."""
    return jcs.dumps({"index": index, "kind": "slot", "tender": tender_id, "slot": slot, "batch": batch.hex()})


def reveal_entry(index: int, tender_id: str, slots: list[dict[str, Any]]) -> bytes:
    """The opening of a tender's sealed stream: every slot's salt and the salted records it committed to."""
    return jcs.dumps({"index": index, "kind": "reveal", "tender": tender_id, "slots": slots})


def commitment_of(salt: bytes, record: bytes) -> bytes:
    """Same function as core.confidential.commitment_hash (kept here so verification needs no core import)."""
    return hashlib.sha256(COMMITMENT_DOMAIN + salt + record).digest()


def batch_of(salt: bytes, commitments: list[bytes]) -> bytes:
    """A slot's blinded value: the slot salt keeps an empty slot indistinguishable from a full one."""
    return hashlib.sha256(SLOT_DOMAIN + salt + b"".join(sorted(commitments))).digest()


@dataclass(frozen=True)
class LocatedCommitment:
    """Where a receipt's commitment is: the sealed slot entry that bound it, and the reveal that opened it."""

    tender: str
    slot: int
    slot_entry: int
    reveal_line: int


@dataclass
class RevealReport:
    """Result of checking slots against reveals; `problems` empty means every revealed slot recomputes."""

    slots: int = 0
    revealed_slots: int = 0
    reveals: int = 0
    commitments: int = 0
    problems: list[str] = field(default_factory=list)
    located: LocatedCommitment | None = None
    """The commitment asked for, once found in a slot that recomputes from its reveal."""
    revealed_tenders: dict[str, int] = field(default_factory=dict)
    """Each revealed tender and the line of its reveal."""

    def lines(self) -> list[str]:
        """Summary lines for the CLI."""
        out = [
            (
                f"sealed slots: {self.slots}, revealed: {self.revealed_slots} by {self.reveals} reveal entries "
                f"({self.commitments} commitments recomputed)"
            )
        ]
        if self.slots > self.revealed_slots and not self.problems:
            out.append(f"{self.slots - self.revealed_slots} slots belong to tenders still in their sealed period")
        out.extend(f"FAILED: {p}" for p in self.problems)
        return out


def _candidate_lines(path: Path) -> list[tuple[int, bytes]]:
    """Lines that may be slot or reveal entries, found by a byte scan (parsing every entry would be slow)."""
    data = path.read_bytes()
    starts: set[int] = set()
    for marker in _KIND_MARKERS:
        at = data.find(marker)
        while at >= 0:
            starts.add(data.rfind(b"\n", 0, at) + 1)
            at = data.find(marker, at + 1)
    found = []
    for start in sorted(starts):
        end = data.find(b"\n", start)
        line_no = data.count(b"\n", 0, start) + 1
        found.append((line_no, data[start : end if end >= 0 else len(data)]))
    return found


def check_reveals(entries: Path, locate: bytes | None = None) -> RevealReport:
    """Every slot named in a reveal must recompute from the revealed salts and records, at the index it names; with
    `locate` (a receipt's ledger commitment), also where that commitment was sealed and revealed."""
    report = RevealReport()
    slots: dict[tuple[str, int], tuple[int, str]] = {}
    for line_no, raw in _candidate_lines(entries):
        try:
            entry = json.loads(raw)
        except ValueError:
            report.problems.append(f"line {line_no} is not JSON")
            continue
        if entry.get("index") != line_no - 1:
            report.problems.append(f"line {line_no} states index {entry.get('index')}")
        if entry.get("kind") == "slot":
            report.slots += 1
            slots[(entry["tender"], entry["slot"])] = (entry["index"], entry["batch"])
        elif entry.get("kind") == "reveal":
            report.reveals += 1
            _check_one_reveal(entry, line_no, slots, report, locate)
    return report


def _check_one_reveal(
    entry: dict[str, Any],
    line_no: int,
    slots: dict[tuple[str, int], tuple[int, str]],
    report: RevealReport,
    locate: bytes | None,
) -> None:
    tender = entry["tender"]
    report.revealed_tenders[tender] = line_no
    named = {s["slot"] for s in entry["slots"]}
    missing = sorted(k for t, k in slots if t == tender and k not in named)
    if missing:
        report.problems.append(f"reveal on line {line_no} omits slots {missing[:5]} of tender {tender}")
    for revealed in entry["slots"]:
        key = (tender, revealed["slot"])
        if key not in slots:
            report.problems.append(f"reveal on line {line_no} names slot {revealed['slot']} absent from the log")
            continue
        index, batch = slots[key]
        commitments = []
        for item in revealed["commitments"]:
            commitments.append(commitment_of(bytes.fromhex(item["salt"]), jcs.dumps(item["record"])))
            report.commitments += 1
        if revealed["index"] != index or batch_of(bytes.fromhex(revealed["salt"]), commitments).hex() != batch:
            report.problems.append(
                f"slot {revealed['slot']} of tender {tender} (entry {index}) does not recompute from the reveal "
                f"on line {line_no}"
            )
        else:
            report.revealed_slots += 1
            if locate is not None and locate in commitments:
                report.located = LocatedCommitment(tender, revealed["slot"], index, line_no)
