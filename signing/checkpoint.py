"""C2SP tlog-checkpoint signed notes with Ed25519 signatures, and golang.org/x/mod/sumdb/note verifier keys.

A checkpoint body is ``origin\\nsize\\nbase64(root)\\n`` plus optional extension lines; the note is the body, an
empty line, and one ``— <name> <base64(key ID || signature)>`` line per signer.  The Ed25519 key ID is the first
four bytes of SHA-256(name || 0x0A || 0x01 || public key), so a verifier can skip lines from keys it does not know.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519_ALG = 0x01
SIGNATURE_PREFIX = "\u2014 "
_RAW = serialization.Encoding.Raw
_RAW_PUB = serialization.PublicFormat.Raw


class CheckpointInvalid(ValueError):
    """A note is malformed, or lacks a valid signature by the expected key."""


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: the signer's name, its 4-byte key ID and the raw signature bytes."""

    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class Checkpoint:
    """A parsed checkpoint; ``body`` is the exact signed text, kept so signatures can be rechecked."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...]
    signatures: tuple[NoteSignature, ...]
    body: str


def _valid_name(name: str) -> bool:
    """Key names are non-empty and free of whitespace and '+', so vkeys and signature lines split cleanly."""
    return bool(name) and not any(c.isspace() or c == "+" for c in name)


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(_RAW, _RAW_PUB)


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte note key ID of an Ed25519 key under ``name``."""
    material = name.encode() + b"\n" + bytes([ED25519_ALG]) + _raw_public(public_key)
    return hashlib.sha256(material).digest()[:4]


def make_checkpoint_body(origin: str, size: int, root: bytes, extensions: Iterable[str] = ()) -> str:
    """The signed text of a checkpoint; refuses values that would make the note ambiguous."""
    if not origin or "\n" in origin:
        raise ValueError("checkpoint origin must be a non-empty single line")
    if size < 0:
        raise ValueError("checkpoint size must be non-negative")
    if len(root) != 32:
        raise ValueError("checkpoint root must be a 32-byte hash")
    lines = [origin, str(size), base64.b64encode(root).decode()]
    for extension in extensions:
        if not extension or "\n" in extension:
            raise ValueError("checkpoint extension lines must be non-empty single lines")
        lines.append(extension)
    return "\n".join(lines) + "\n"


def sign_note(body: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """A complete signed note: the body, an empty line, and this key's signature line."""
    if not _valid_name(name):
        raise ValueError(f"invalid key name {name!r}")
    if not body.endswith("\n") or "\n\n" in body:
        raise ValueError("note body must end in a newline and contain no empty line")
    signature = private_key.sign(body.encode())
    encoded = base64.b64encode(key_id(name, private_key.public_key()) + signature).decode()
    return f"{body}\n{SIGNATURE_PREFIX}{name} {encoded}\n"


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CheckpointInvalid(f"{what} is not valid base64") from exc


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise CheckpointInvalid(f"signature line does not start with an em dash: {line!r}")
    parts = line[len(SIGNATURE_PREFIX) :].split(" ")
    if len(parts) != 2 or not _valid_name(parts[0]):
        raise CheckpointInvalid(f"malformed signature line: {line!r}")
    blob = _b64(parts[1], "signature")
    if len(blob) < 5:
        raise CheckpointInvalid(f"signature by {parts[0]} is too short")
    return NoteSignature(parts[0], blob[:4], blob[4:])


def parse_checkpoint(note: str) -> Checkpoint:
    """Split a note into its checkpoint fields and signature lines, without checking any signature."""
    if not note.endswith("\n"):
        raise CheckpointInvalid("note does not end with a newline")
    body, sep, sig_text = note.rpartition("\n\n")
    if not sep:
        raise CheckpointInvalid("note has no empty line between body and signatures")
    if not sig_text:
        raise CheckpointInvalid("note has no signature lines")
    body += "\n"
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise CheckpointInvalid("note contains control characters")
    signatures = tuple(_parse_signature_line(line) for line in sig_text[:-1].split("\n"))
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointInvalid("checkpoint body needs origin, size and root lines")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise CheckpointInvalid("checkpoint origin is empty")
    if not size_text.isascii() or not size_text.isdigit() or (size_text != "0" and size_text[0] == "0"):
        raise CheckpointInvalid(f"checkpoint size {size_text!r} is not a canonical decimal number")
    root = _b64(root_text, "checkpoint root")
    if len(root) != 32:
        raise CheckpointInvalid("checkpoint root is not a 32-byte hash")
    if any(not line for line in extensions):
        raise CheckpointInvalid("checkpoint body contains an empty extension line")
    return Checkpoint(origin, int(size_text), root, tuple(extensions), signatures, body)


@dataclass(frozen=True)
class VerifierKey:
    """A named Ed25519 public key, as written in a vkey string."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    def __str__(self) -> str:
        return format_vkey(self.name, self.public_key)

    def verify(self, note: str) -> Checkpoint:
        """The parsed checkpoint if this key signed it; raises CheckpointInvalid otherwise."""
        checkpoint = parse_checkpoint(note)
        body = checkpoint.body.encode()
        for sig in checkpoint.signatures:
            if sig.name != self.name or sig.key_id != self.key_id:
                continue
            try:
                self.public_key.verify(sig.signature, body)
            except InvalidSignature:
                raise CheckpointInvalid(f"signature by {self.name} does not verify") from None
            return checkpoint
        raise CheckpointInvalid(f"note has no signature by {self.name}+{self.key_id.hex()}")


def format_vkey(name: str, public_key: Ed25519PublicKey) -> str:
    """``<name>+<hex8 key ID>+<base64(0x01 || public key)>``, as golang.org/x/mod/sumdb/note writes it."""
    if not _valid_name(name):
        raise ValueError(f"invalid key name {name!r}")
    material = base64.b64encode(bytes([ED25519_ALG]) + _raw_public(public_key)).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{material}"


def parse_vkey(vkey: str) -> VerifierKey:
    """Parse a vkey string and check that its key ID matches its key."""
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3 or not _valid_name(parts[0]) or len(parts[1]) != 8:
        raise CheckpointInvalid(f"malformed verifier key {vkey!r}")
    name, id_hex, material_text = parts
    material = _b64(material_text, "verifier key")
    if len(material) != 33 or material[0] != ED25519_ALG:
        raise CheckpointInvalid("verifier key is not an Ed25519 key")
    public_key = Ed25519PublicKey.from_public_bytes(material[1:])
    expected = key_id(name, public_key)
    if id_hex.lower() != expected.hex():
        raise CheckpointInvalid(f"verifier key ID {id_hex} does not match its key ({expected.hex()})")
    return VerifierKey(name, expected, public_key)


def verify_note(note: str, name: str, public_key: Ed25519PublicKey) -> Checkpoint:
    """The checkpoint in ``note`` if ``name``'s key signed it; raises CheckpointInvalid otherwise."""
    return VerifierKey(name, key_id(name, public_key), public_key).verify(note)
