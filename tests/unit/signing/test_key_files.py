"""Workers of one server start together on a fresh data dir: they must all end up with the one key on disk."""

from __future__ import annotations

import multiprocessing
import stat
from multiprocessing.synchronize import Barrier
from pathlib import Path
from queue import Queue

import pytest
from cryptography.hazmat.primitives import hashes

from signing.ca import load_or_create_ca
from signing.key_files import Created, load_or_create
from supervision.ledger.keys import KEY_FILE, load_or_create_ledger_key

STARTERS = 6


def _start_ca(directory: Path, barrier: Barrier, out: Queue[bytes]) -> None:
    barrier.wait()
    out.put(load_or_create_ca(directory, "Race CA").certificate.fingerprint(hashes.SHA256()))


def test_processes_starting_together_share_one_ca(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(STARTERS), context.Queue()
    starters = [context.Process(target=_start_ca, args=(tmp_path / "ca", barrier, out)) for _ in range(STARTERS)]
    for starter in starters:
        starter.start()
    for starter in starters:
        starter.join(60)
        assert starter.exitcode == 0
    seen = {out.get(timeout=5) for _ in starters}
    on_disk = load_or_create_ca(tmp_path / "ca", "Race CA").certificate.fingerprint(hashes.SHA256())
    assert seen == {on_disk}


def test_key_files_are_private_and_a_second_start_loads_them(tmp_path: Path) -> None:
    first = load_or_create_ledger_key(tmp_path, "sunbid.test/ledger")
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert load_or_create_ledger_key(tmp_path, "sunbid.test/ledger").vkey == first.vkey
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


def test_an_incomplete_set_is_made_again_and_a_wrong_set_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.key").write_bytes(b"left by a crash")
    made = load_or_create(
        tmp_path, ["a.key", "a.pem"], lambda: "loaded", lambda: Created("new", {"a.key": b"k"}, {"a.pem": b"c"})
    )
    assert made == "new"
    assert stat.S_IMODE((tmp_path / "a.key").stat().st_mode) == 0o600
    assert (tmp_path / "a.key").read_bytes() == b"k"
    assert stat.S_IMODE((tmp_path / "a.pem").stat().st_mode) == 0o644
    assert load_or_create(tmp_path, ["a.key", "a.pem"], lambda: "loaded", lambda: Created("new", {})) == "loaded"
    with pytest.raises(ValueError, match="are not"):
        load_or_create(tmp_path / "other", ["b.key"], lambda: "loaded", lambda: Created("new", {"c.key": b"k"}))
