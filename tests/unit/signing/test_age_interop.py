"""Interoperability with the reference `age` command line tool (Debian package `age`) in both directions."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from signing.envelope import generate_identity, open_file, seal_file

PLAIN = "开标一览表 opening sheet\n".encode() * 5000


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` not found: install the Debian package `age` (apt-get install age)")
    return path


def _keygen(tmp_path: Path) -> tuple[Path, str]:
    key_file = tmp_path / "cli-key.txt"
    subprocess.run([_tool("age-keygen"), "-o", str(key_file)], check=True, capture_output=True)
    public = next(
        line.split(": ", 1)[1] for line in key_file.read_text().splitlines() if line.startswith("# public key: ")
    )
    return key_file, public


def test_cli_sealed_envelope_opens_with_both_identities(tmp_path: Path) -> None:
    ours = generate_identity()
    key_file, cli_recipient = _keygen(tmp_path)
    src, sealed = tmp_path / "bid.bin", tmp_path / "bid.age"
    src.write_bytes(PLAIN)
    subprocess.run(
        [_tool("age"), "-r", ours.recipient, "-r", cli_recipient, "-o", str(sealed), str(src)],
        check=True,
        capture_output=True,
    )
    open_file(sealed, tmp_path / "ours.out", ours.secret)
    assert (tmp_path / "ours.out").read_bytes() == PLAIN
    cli_secret = next(line for line in key_file.read_text().splitlines() if line.startswith("AGE-SECRET-KEY-1"))
    open_file(sealed, tmp_path / "theirs.out", cli_secret)
    assert (tmp_path / "theirs.out").read_bytes() == PLAIN


def test_our_envelope_opens_with_the_cli(tmp_path: Path) -> None:
    ours = generate_identity()
    key_file, cli_recipient = _keygen(tmp_path)
    our_key_file = tmp_path / "our-key.txt"
    our_key_file.write_text(ours.secret + "\n")
    src, sealed = tmp_path / "bid.bin", tmp_path / "bid.age"
    src.write_bytes(PLAIN)
    seal_file(src, sealed, [ours.recipient, cli_recipient])
    for identity_file in (key_file, our_key_file):
        done = subprocess.run(
            [_tool("age"), "-d", "-i", str(identity_file), str(sealed)], check=True, capture_output=True
        )
        assert done.stdout == PLAIN
