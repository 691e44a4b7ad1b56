"""Offline audit bundles: a good bundle verifies, and every kind of tampering is named precisely."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from unittest import mock

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from signing import ledger_stream
from signing.checkpoint import format_vkey, make_checkpoint_body, sign_note
from signing.ledger_bundle import (
    CHECKPOINTS_FILE,
    ENTRIES_FILE,
    MANIFEST_FILE,
    SEPARATOR,
    VKEY_FILE,
    BundleInvalid,
    ProblemKind,
    verify_bundle,
    write_bundle,
)
from signing.merkle import inclusion_proof, leaf_hash, root

ORIGIN = "sunbid.example/ledger"
KEY = Ed25519PrivateKey.generate()
VKEY = format_vkey(ORIGIN, KEY.public_key())
SIZES = (10, 50, 128, 180)


def entry(i: int) -> bytes:
    return rfc8785.dumps({"seq": i, "kind": "bid.commitment", "digest": f"{i * 7919:064x}", "note": "标段"})


ENTRIES = [entry(i) for i in range(200)]


def checkpoints(entries: Sequence[bytes], sizes: Sequence[int], key: Ed25519PrivateKey = KEY) -> list[str]:
    hashes = [leaf_hash(e) for e in entries]
    return [sign_note(make_checkpoint_body(ORIGIN, s, root(hashes[:s])), ORIGIN, key) for s in sizes]


def make(directory: Path, entries: Sequence[bytes] = ENTRIES, sizes: Sequence[int] = SIZES) -> Path:
    write_bundle(directory, entries, checkpoints(entries, sizes), VKEY, ORIGIN)
    return directory


def rewrite_entries(directory: Path, entries: Sequence[bytes]) -> None:
    (directory / ENTRIES_FILE).write_bytes(b"".join(e + b"\n" for e in entries))


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return make(tmp_path / "bundle")


def test_good_bundle_verifies(bundle: Path) -> None:
    report = verify_bundle(bundle, trusted_vkey=VKEY)
    assert report.ok, report.summary()
    assert report.exit_code == 0
    assert (report.entries, report.checkpoints, report.verified_size, report.uncovered) == (200, 4, 180, 20)
    assert report.pinned
    assert report.summary().startswith("OK")
    assert "20 entries after the latest checkpoint" in report.summary()
    report.raise_for_problem()


@pytest.mark.parametrize("index", [0, 1, 9, 10, 63, 64, 127, 128, 150, 179])
def test_receipt_inclusion(bundle: Path, index: int) -> None:
    report = verify_bundle(bundle, receipt_leaf=ENTRIES[index])
    assert report.ok, report.summary()
    assert report.receipt is not None
    assert (report.receipt.index, report.receipt.tree_size) == (index, 180)
    hashes = [leaf_hash(e) for e in ENTRIES[:180]]
    assert list(report.receipt.proof) == inclusion_proof(index, hashes)
    assert verify_bundle(bundle, receipt_leaf_hash=leaf_hash(ENTRIES[index])).receipt == report.receipt


def test_receipt_inclusion_across_small_blocks(bundle: Path) -> None:
    with mock.patch.object(ledger_stream, "BLOCK_SIZE", 97):
        report = verify_bundle(bundle, receipt_leaf=ENTRIES[77])
    assert report.ok
    assert report.receipt is not None
    assert list(report.receipt.proof) == inclusion_proof(77, [leaf_hash(e) for e in ENTRIES[:180]])


def test_receipt_not_found_or_not_covered(bundle: Path) -> None:
    missing = verify_bundle(bundle, receipt_leaf=entry(1000))
    assert missing.problem is not None
    assert missing.problem.kind == ProblemKind.RECEIPT_NOT_FOUND
    late = verify_bundle(bundle, receipt_leaf=ENTRIES[190])
    assert late.problem is not None
    assert late.problem.kind == ProblemKind.RECEIPT_NOT_COVERED
    assert late.problem.line == 191
    assert late.exit_code == 1


def expect(bundle: Path, kind: ProblemKind, **where: object) -> str:
    report = verify_bundle(bundle)
    assert report.problem is not None, "tampering went unnoticed"
    assert report.problem.kind == kind, report.problem.message
    for name, value in where.items():
        assert getattr(report.problem, name) == value, report.problem.message
    with pytest.raises(BundleInvalid):
        report.raise_for_problem()
    assert report.summary().startswith("FAILED")
    assert report.exit_code == 1
    return report.problem.message


def test_edited_entry_byte(bundle: Path) -> None:
    edited = list(ENTRIES)
    edited[60] = edited[60].replace(b'"seq":60', b'"seq":61')
    rewrite_entries(bundle, edited)
    message = expect(bundle, ProblemKind.ROOT_MISMATCH, checkpoint=3, interval=(50, 128), line=None)
    assert "(50, 128]" in message


def test_edited_entry_not_canonical_names_line(bundle: Path) -> None:
    edited = list(ENTRIES)
    edited[60] = edited[60].replace(b":", b": ", 1)
    rewrite_entries(bundle, edited)
    message = expect(bundle, ProblemKind.NON_CANONICAL_ENTRY, checkpoint=3, interval=(50, 128), line=61)
    assert "line 61" in message


def test_invalid_json_names_line(bundle: Path) -> None:
    edited = list(ENTRIES)
    edited[3] = b"{not json"
    rewrite_entries(bundle, edited)
    expect(bundle, ProblemKind.NON_CANONICAL_ENTRY, interval=(0, 10), line=4)


@pytest.mark.parametrize(
    ("change", "checkpoint", "interval"),
    [
        (lambda es: es[:30] + es[31:], 2, (10, 50)),
        (lambda es: [*es[:5], entry(999), *es[5:]], 1, (0, 10)),
        (lambda es: [*es[:100], es[101], es[100], *es[102:]], 3, (50, 128)),
        (lambda es: [*es[:20], es[150], *es[21:150], es[20], *es[151:]], 2, (10, 50)),
        (lambda es: [*es[:179], entry(999), *es[180:]], 4, (128, 180)),
    ],
    ids=["delete", "insert", "swap-adjacent", "swap-far", "replace-last-covered"],
)
def test_structural_tampering(
    bundle: Path, change: Callable[[list[bytes]], list[bytes]], checkpoint: int, interval: tuple[int, int]
) -> None:
    rewrite_entries(bundle, change(list(ENTRIES)))
    expect(bundle, ProblemKind.ROOT_MISMATCH, checkpoint=checkpoint, interval=interval)


def test_forged_checkpoint_signature(bundle: Path) -> None:
    notes = checkpoints(ENTRIES, SIZES)
    notes[1] = checkpoints(ENTRIES, [SIZES[1]], key=Ed25519PrivateKey.generate())[0]
    (bundle / CHECKPOINTS_FILE).write_text(f"{SEPARATOR}\n".join(notes))
    message = expect(bundle, ProblemKind.BAD_SIGNATURE, checkpoint=2)
    assert "checkpoint #2" in message


def test_edited_checkpoint_root(bundle: Path) -> None:
    notes = checkpoints(ENTRIES, SIZES)
    honest = checkpoints(ENTRIES, [129])[0].split("\n")[2]
    lines = notes[2].split("\n")
    lines[2] = honest
    notes[2] = "\n".join(lines)
    (bundle / CHECKPOINTS_FILE).write_text(f"{SEPARATOR}\n".join(notes))
    expect(bundle, ProblemKind.BAD_SIGNATURE, checkpoint=3)


def test_log_signing_a_wrong_root_is_caught_by_entries(tmp_path: Path) -> None:
    good = checkpoints(ENTRIES, SIZES)
    lying = checkpoints([*ENTRIES[:49], entry(999)], [50])[0]
    write_bundle(tmp_path, ENTRIES, [good[0], lying, *good[2:]], VKEY, ORIGIN)
    expect(tmp_path, ProblemKind.ROOT_MISMATCH, checkpoint=2, interval=(10, 50))


def test_truncated_entries(bundle: Path) -> None:
    rewrite_entries(bundle, ENTRIES[:150])
    expect(bundle, ProblemKind.TRUNCATED, checkpoint=4)


def test_truncated_mid_line(bundle: Path) -> None:
    data = (bundle / ENTRIES_FILE).read_bytes()
    (bundle / ENTRIES_FILE).write_bytes(data[:-5])
    expect(bundle, ProblemKind.TRUNCATED, line=200)


def test_uncovered_tail_removed_is_a_count_mismatch(bundle: Path) -> None:
    rewrite_entries(bundle, ENTRIES[:190])
    expect(bundle, ProblemKind.ENTRY_COUNT_MISMATCH)


def test_checkpoints_out_of_order(tmp_path: Path) -> None:
    write_bundle(tmp_path, ENTRIES, checkpoints(ENTRIES, [50, 10]), VKEY, ORIGIN)
    expect(tmp_path, ProblemKind.SIZES_DECREASE, checkpoint=2)


def test_untrusted_key(bundle: Path) -> None:
    other = format_vkey(ORIGIN, Ed25519PrivateKey.generate().public_key())
    report = verify_bundle(bundle, trusted_vkey=other)
    assert report.problem is not None
    assert report.problem.kind == ProblemKind.UNTRUSTED_VKEY


def test_missing_file_and_bad_manifest(bundle: Path) -> None:
    manifest = json.loads((bundle / MANIFEST_FILE).read_text())
    (bundle / MANIFEST_FILE).write_text(json.dumps({**manifest, "version": 9}))
    expect(bundle, ProblemKind.BAD_MANIFEST)
    (bundle / VKEY_FILE).unlink()
    expect(bundle, ProblemKind.MISSING_FILE)


def test_empty_and_zero_size_checkpoints(tmp_path: Path) -> None:
    report = verify_bundle(make(tmp_path, entries=[], sizes=[0, 0]))
    assert report.ok, report.summary()
    assert report.verified_size == 0
    (tmp_path / CHECKPOINTS_FILE).write_text("")
    expect(tmp_path, ProblemKind.NO_CHECKPOINTS)


def test_strict_json_checks_uncovered_entries(tmp_path: Path) -> None:
    entries = [*ENTRIES[:180], b'{"b":1,"a":2}']
    make(tmp_path, entries=entries)
    assert verify_bundle(tmp_path).ok
    report = verify_bundle(tmp_path, check_canonical=True)
    assert report.problem is not None
    assert report.problem.kind == ProblemKind.NON_CANONICAL_ENTRY
    assert report.problem.line == 181


def test_writer_refuses_ambiguous_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="newline"):
        write_bundle(tmp_path, [b"{}\n"], [], VKEY, ORIGIN)
    with pytest.raises(ValueError, match="separator"):
        write_bundle(tmp_path, [], ["a\n---\nb\n"], VKEY, ORIGIN)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), count=st.integers(min_value=1, max_value=90), block=st.integers(min_value=1, max_value=300))
def test_random_mutation_is_detected_in_its_interval(data: st.DataObject, count: int, block: int) -> None:
    entries = ENTRIES[:count]
    sizes = sorted(data.draw(st.lists(st.integers(min_value=1, max_value=count), min_size=1, max_size=5)))
    victim = data.draw(st.integers(min_value=0, max_value=sizes[-1] - 1))
    replacement = data.draw(st.binary(min_size=1, max_size=12).filter(lambda b: b"\n" not in b))
    with tempfile.TemporaryDirectory() as tmp, mock.patch.object(ledger_stream, "BLOCK_SIZE", block):
        directory = make(Path(tmp), entries, sizes)
        assert verify_bundle(directory, receipt_leaf=entries[victim]).ok
        tampered = list(entries)
        tampered[victim] = replacement
        rewrite_entries(directory, tampered)
        report = verify_bundle(directory)
    after = next(i for i, s in enumerate(sizes) if s > victim)
    assert report.problem is not None
    assert report.problem.kind in {ProblemKind.ROOT_MISMATCH, ProblemKind.NON_CANONICAL_ENTRY}
    assert report.problem.interval == (sizes[after - 1] if after else 0, sizes[after])
    if report.problem.kind == ProblemKind.NON_CANONICAL_ENTRY:
        assert report.problem.line == victim + 1
