"""Sealed bid envelopes in the age v1 format (X25519 recipients), streamed through pyrage so no file is held whole.

pyrage copies through 8 KiB buffers and holds the GIL while it runs: call these from worker processes for bulk work.
A failed open may already have written the plaintext of earlier chunks to `dst`; `open_file` writes to a temporary
file and only renames it into place once every chunk has authenticated.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pyrage
from pyrage import x25519

AGE_MAGIC = b"age-encryption.org/v1\n"
HEADER_PROBE_BYTES = 64 * 1024
_STANZA_LINE = re.compile(rb"-> [\x21-\x7e]+(?: [\x21-\x7e]+)*\n")
_BODY_LINE = re.compile(rb"[A-Za-z0-9+/]{0,64}\n")
_MAC_LINE = re.compile(rb"--- [A-Za-z0-9+/]{43}\n")
_NO_MATCH = "No matching keys found"


class EnvelopeError(Exception):
    """Base class for envelope failures."""


class NotAnAgeFile(EnvelopeError):
    """The bytes do not start with an age v1 binary header."""


class WrongIdentity(EnvelopeError):
    """None of the header's recipient stanzas opens with the given identity."""


class CorruptEnvelope(EnvelopeError):
    """The header or a payload chunk fails to parse or authenticate (truncated or tampered)."""


class InvalidKey(EnvelopeError, ValueError):
    """A recipient or identity string is not a valid age X25519 key."""


@dataclass(frozen=True)
class AgeIdentity:
    """An X25519 age identity; the secret never appears in repr."""

    secret: str = field(repr=False)
    recipient: str


def generate_identity() -> AgeIdentity:
    """A fresh X25519 identity from the OS random source."""
    identity = x25519.Identity.generate()
    return AgeIdentity(secret=str(identity), recipient=str(identity.to_public()))


def _parse_identity(identity: str) -> x25519.Identity:
    try:
        return x25519.Identity.from_str(identity.strip())
    except pyrage.IdentityError as exc:
        raise InvalidKey("not an age X25519 identity (AGE-SECRET-KEY-1...)") from exc


def _parse_recipient(recipient: str) -> x25519.Recipient:
    try:
        return x25519.Recipient.from_str(recipient.strip())
    except pyrage.RecipientError as exc:
        raise InvalidKey(f"not an age X25519 recipient: {recipient[:80]!r}") from exc


def check_recipient(recipient: str) -> None:
    """Refuse what only looks like an age recipient (a bad checksum or key): sealing to it would fail later."""
    _parse_recipient(recipient)


def recipient_of(identity: str) -> str:
    """The public recipient (age1...) that seals to this identity."""
    return str(_parse_identity(identity).to_public())


def is_valid_recipient(recipient: str) -> bool:
    """True when the string parses as an age X25519 recipient."""
    try:
        _parse_recipient(recipient)
    except InvalidKey:
        return False
    return True


def _checked_count(written: int | None) -> int:
    if not written:
        raise OSError("the destination accepted no bytes")
    return written


class _Guard:
    """File-like proxy that keeps the first I/O error, since pyrage drops errors raised while flushing on drop."""

    def __init__(self, inner: BinaryIO, keep_head: int = 0) -> None:
        self._inner = inner
        self._keep_head = keep_head
        self.head = b""
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> bytes:
        try:
            data = self._inner.read(size)
        except BaseException as exc:
            self.error = self.error or exc
            raise
        if len(self.head) < self._keep_head:
            self.head += data[: self._keep_head - len(self.head)]
        return data

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        try:
            while view:
                view = view[_checked_count(self._inner.write(view)) :]
        except BaseException as exc:
            self.error = self.error or exc
            raise
        return len(data)

    def flush(self) -> None:
        try:
            self._inner.flush()
        except BaseException as exc:
            self.error = self.error or exc
            raise


def _reraise(*guards: _Guard) -> None:
    for guard in guards:
        if guard.error is not None:
            raise guard.error


def seal_stream(src: BinaryIO, dst: BinaryIO, recipients: Sequence[str]) -> None:
    """Encrypt src to dst for every recipient; any one of their identities opens the result."""
    if not recipients:
        raise InvalidKey("an envelope needs at least one recipient")
    parsed = [_parse_recipient(r) for r in recipients]
    reader, writer = _Guard(src), _Guard(dst)
    try:
        pyrage.encrypt_io(reader, writer, parsed)
    except (pyrage.EncryptError, OSError):
        _reraise(reader, writer)
        raise
    _reraise(reader, writer)
    writer.flush()


def open_stream(src: BinaryIO, dst: BinaryIO, identity: str) -> None:
    """Decrypt src to dst; on CorruptEnvelope dst may hold a prefix of the plaintext, which must be discarded."""
    parsed = _parse_identity(identity)
    reader, writer = _Guard(src, keep_head=len(AGE_MAGIC)), _Guard(dst)
    try:
        pyrage.decrypt_io(reader, writer, [parsed])
    except pyrage.DecryptError as exc:
        _reraise(reader)
        if not _looks_like_age(reader.head):
            raise NotAnAgeFile("the input is not an age v1 file") from exc
        if str(exc) == _NO_MATCH:
            raise WrongIdentity("the identity does not match any recipient of this envelope") from exc
        raise CorruptEnvelope(f"the age header is invalid: {exc}") from exc
    except OSError as exc:
        _reraise(reader, writer)
        raise CorruptEnvelope("a payload chunk failed to authenticate (truncated or tampered)") from exc
    _reraise(reader, writer)
    writer.flush()


def _looks_like_age(head: bytes) -> bool:
    armored = b"-----BEGIN AGE ENCRYPTED FILE-----"
    if not head:
        return False
    return AGE_MAGIC.startswith(head) or head.startswith(AGE_MAGIC) or armored.startswith(head[: len(armored)])


@contextlib.contextmanager
def _atomic_output(path_out: Path) -> Iterator[BinaryIO]:
    tmp = path_out.with_name(f".{path_out.name}.{os.getpid()}.partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path_out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def seal_file(path_in: str | os.PathLike[str], path_out: str | os.PathLike[str], recipients: Sequence[str]) -> None:
    """Seal a file; path_out appears only once the whole envelope is written (mode 0600)."""
    with Path(path_in).open("rb") as src, _atomic_output(Path(path_out)) as dst:
        seal_stream(src, dst, recipients)


def open_file(path_in: str | os.PathLike[str], path_out: str | os.PathLike[str], identity: str) -> None:
    """Open a file; path_out appears only if every chunk authenticates, so no unverified plaintext is left."""
    with Path(path_in).open("rb") as src, _atomic_output(Path(path_out)) as dst:
        open_stream(src, dst, identity)


def _header_stanzas(head: bytes, *, need_mac: bool) -> list[bytes]:
    """Stanza types of a binary age header found in head; stops at the first stanza unless need_mac."""
    if not head.startswith(AGE_MAGIC):
        raise NotAnAgeFile("missing the age-encryption.org/v1 header line")
    pos, types = len(AGE_MAGIC), list[bytes]()
    while True:
        end = head.find(b"\n", pos)
        if end < 0:
            raise NotAnAgeFile("the age header is incomplete")
        line = head[pos : end + 1]
        if line.startswith(b"---"):
            if not types or not _MAC_LINE.fullmatch(line):
                raise NotAnAgeFile("the age header has no recipient stanza or a malformed MAC line")
            return types
        if not _STANZA_LINE.fullmatch(line):
            raise NotAnAgeFile("malformed age stanza line")
        types.append(line[3:].split(b" ", 1)[0].rstrip(b"\n"))
        if not need_mac:
            return types
        pos = end + 1
        while True:
            end = head.find(b"\n", pos)
            if end < 0:
                raise NotAnAgeFile("the age header is incomplete")
            body = head[pos : end + 1]
            if not _BODY_LINE.fullmatch(body):
                raise NotAnAgeFile("malformed age stanza body")
            pos = end + 1
            if len(body) < 65:
                break


def is_age_file(head: bytes) -> bool:
    """True when head starts with the age v1 binary header and a well-formed first stanza line (rule 21)."""
    try:
        _header_stanzas(head, need_mac=False)
    except NotAnAgeFile:
        return False
    return True


def header_recipient_count(head: bytes) -> int:
    """Number of X25519 stanzas in a header fully contained in head (grease stanzas are not counted)."""
    return sum(1 for t in _header_stanzas(head, need_mac=True) if t == b"X25519")
