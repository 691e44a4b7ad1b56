"""C2SP checkpoints and note signatures, including the golang.org/x/mod/sumdb/note reference vector."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signing.checkpoint import (
    CheckpointInvalid,
    format_vkey,
    key_id,
    make_checkpoint_body,
    parse_checkpoint,
    parse_vkey,
    sign_note,
    verify_note,
)
from signing.merkle import leaf_hash

GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SEED = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ORIGIN = "sunbid.example/ledger"
ROOT = leaf_hash(b"root")


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_go_reference_vector() -> None:
    private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(GO_SEED)[1:])
    assert format_vkey("PeterNeumann", private.public_key()) == GO_VKEY
    verifier = parse_vkey(GO_VKEY)
    assert verifier.name == "PeterNeumann"
    assert verifier.key_id.hex() == "c74f20a3"
    assert sign_note(GO_TEXT, "PeterNeumann", private) == GO_TEXT + "\n" + GO_SIG


def test_round_trip_with_extensions(key: Ed25519PrivateKey) -> None:
    body = make_checkpoint_body(ORIGIN, 42, ROOT, ["time 1700000000"])
    assert body == f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\ntime 1700000000\n"
    note = sign_note(body, ORIGIN, key)
    checkpoint = verify_note(note, ORIGIN, key.public_key())
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == (ORIGIN, 42, ROOT)
    assert checkpoint.extensions == ("time 1700000000",)
    assert checkpoint.signatures[0].key_id == key_id(ORIGIN, key.public_key())
    assert parse_vkey(format_vkey(ORIGIN, key.public_key())).verify(note) == checkpoint


def test_other_signers_lines_are_ignored(key: Ed25519PrivateKey) -> None:
    body = make_checkpoint_body(ORIGIN, 1, ROOT)
    witness = sign_note(body, "witness.example", Ed25519PrivateKey.generate())
    note = sign_note(body, ORIGIN, key) + witness.rsplit("\n\n", 1)[1]
    assert len(parse_checkpoint(note).signatures) == 2
    assert verify_note(note, ORIGIN, key.public_key()).size == 1
    with pytest.raises(CheckpointInvalid, match=r"no signature by witness\.example"):
        verify_note(note, "witness.example", key.public_key())


def test_wrong_key_and_edits_are_rejected(key: Ed25519PrivateKey) -> None:
    note = sign_note(make_checkpoint_body(ORIGIN, 7, ROOT), ORIGIN, key)
    with pytest.raises(CheckpointInvalid, match="no signature"):
        verify_note(note, ORIGIN, Ed25519PrivateKey.generate().public_key())
    with pytest.raises(CheckpointInvalid, match="does not verify"):
        verify_note(note.replace("\n7\n", "\n8\n"), ORIGIN, key.public_key())
    other_root = base64.b64encode(leaf_hash(b"other")).decode()
    edited = note.replace(base64.b64encode(ROOT).decode(), other_root)
    with pytest.raises(CheckpointInvalid, match="does not verify"):
        verify_note(edited, ORIGIN, key.public_key())


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("o\n1\nAAAA\n\n— k AAAAAAAA\n", "32-byte"),
        ("o\n01\n" + base64.b64encode(ROOT).decode() + "\n\n— k AAAAAAAA\n", "canonical decimal"),
        ("o\n-1\n" + base64.b64encode(ROOT).decode() + "\n\n— k AAAAAAAA\n", "canonical decimal"),
        ("o\n1\n" + base64.b64encode(ROOT).decode() + "\n— k AAAAAAAA\n", "no empty line"),
        ("o\n1\n" + base64.b64encode(ROOT).decode() + "\n\n", "no signature lines"),
        ("o\n1\n" + base64.b64encode(ROOT).decode() + "\n\n- k AAAAAAAA\n", "em dash"),
        ("o\n1\n" + base64.b64encode(ROOT).decode() + "\n\n— k AAAAAAAA", "newline"),
        ("o\n1\n!!!!\n\n— k AAAAAAAA\n", "base64"),
        ("o\n1\n\n— k AAAAAAAA\n", "origin, size and root"),
    ],
)
def test_malformed_notes(note: str, message: str) -> None:
    with pytest.raises(CheckpointInvalid, match=message):
        parse_checkpoint(note)


def test_vkey_checks(key: Ed25519PrivateKey) -> None:
    vkey = format_vkey(ORIGIN, key.public_key())
    name, id_hex, material = vkey.split("+", 2)
    with pytest.raises(CheckpointInvalid, match="does not match"):
        parse_vkey(f"{name}+{'0' * 8}+{material}")
    with pytest.raises(CheckpointInvalid, match="does not match"):
        parse_vkey(f"other+{id_hex}+{material}")
    with pytest.raises(CheckpointInvalid, match="malformed"):
        parse_vkey(f"{name}+{id_hex}")
    with pytest.raises(ValueError, match="key name"):
        format_vkey("has space", key.public_key())
    with pytest.raises(ValueError, match="32-byte"):
        make_checkpoint_body(ORIGIN, 1, b"short")
