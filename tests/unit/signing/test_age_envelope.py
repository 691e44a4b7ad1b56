"""age envelopes: round trips, error classes, header probing, and bounded memory while streaming."""

from __future__ import annotations

import io
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from signing.envelope import (
    AGE_MAGIC,
    CorruptEnvelope,
    InvalidKey,
    NotAnAgeFile,
    WrongIdentity,
    generate_identity,
    header_recipient_count,
    is_age_file,
    is_valid_recipient,
    open_file,
    open_stream,
    recipient_of,
    seal_file,
    seal_stream,
)

PLAIN = "投标文件 bid package ".encode() * 20_000


def _seal(data: bytes, recipients: list[str]) -> bytes:
    out = io.BytesIO()
    seal_stream(io.BytesIO(data), out, recipients)
    return out.getvalue()


def _open(data: bytes, identity: str) -> bytes:
    out = io.BytesIO()
    open_stream(io.BytesIO(data), out, identity)
    return out.getvalue()


def test_every_recipient_opens_a_multi_recipient_envelope() -> None:
    alice, bob = generate_identity(), generate_identity()
    sealed = _seal(PLAIN, [alice.recipient, bob.recipient])
    assert _open(sealed, alice.secret) == PLAIN
    assert _open(sealed, bob.secret) == PLAIN
    assert PLAIN[:64] not in sealed


def test_identity_secret_is_hidden_from_repr() -> None:
    identity = generate_identity()
    assert identity.secret.startswith("AGE-SECRET-KEY-1")
    assert identity.recipient.startswith("age1")
    assert identity.secret not in repr(identity)
    assert recipient_of(identity.secret) == identity.recipient


def test_empty_plaintext_round_trips() -> None:
    identity = generate_identity()
    assert _open(_seal(b"", [identity.recipient]), identity.secret) == b""


def test_wrong_identity_is_reported_as_such() -> None:
    sealed = _seal(PLAIN, [generate_identity().recipient])
    with pytest.raises(WrongIdentity):
        _open(sealed, generate_identity().secret)


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 a zip file", b"%PDF-1.7\n" + b"x" * 1000])
def test_non_age_input_is_refused(data: bytes) -> None:
    with pytest.raises(NotAnAgeFile):
        _open(data, generate_identity().secret)


def test_truncated_or_tampered_envelopes_are_corrupt() -> None:
    identity = generate_identity()
    sealed = _seal(PLAIN, [identity.recipient])
    flipped = bytearray(sealed)
    flipped[-500] ^= 1
    for bad in (sealed[:-100], bytes(flipped), sealed[:40]):
        with pytest.raises(CorruptEnvelope):
            _open(bad, identity.secret)


def test_invalid_keys_are_refused() -> None:
    with pytest.raises(InvalidKey):
        recipient_of("AGE-SECRET-KEY-1NOTAKEY")
    with pytest.raises(InvalidKey):
        _seal(b"x", ["age1notarecipient"])
    with pytest.raises(InvalidKey):
        _seal(b"x", [])
    assert is_valid_recipient(generate_identity().recipient)
    assert not is_valid_recipient("ssh-ed25519 AAAA")


def test_destination_write_errors_are_not_swallowed() -> None:
    class DiskFull(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: object) -> int:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        seal_stream(io.BytesIO(PLAIN), DiskFull(), [generate_identity().recipient])  # type: ignore[arg-type]


def test_files_round_trip_atomically(tmp_path: Path) -> None:
    identity = generate_identity()
    src, sealed, opened = tmp_path / "bid.zip", tmp_path / "bid.age", tmp_path / "bid.out"
    src.write_bytes(PLAIN)
    seal_file(src, sealed, [identity.recipient])
    assert stat.S_IMODE(sealed.stat().st_mode) == 0o600
    open_file(sealed, opened, identity.secret)
    assert opened.read_bytes() == PLAIN
    sealed.write_bytes(sealed.read_bytes()[:-10])
    target = tmp_path / "never.out"
    with pytest.raises(CorruptEnvelope):
        open_file(sealed, target, identity.secret)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bid.age", "bid.out", "bid.zip"]


def test_is_age_file_checks_magic_and_first_stanza() -> None:
    sealed = _seal(b"x", [generate_identity().recipient])
    assert is_age_file(sealed)
    assert is_age_file(sealed[:120])
    assert is_age_file(AGE_MAGIC + b"-> X25519 abc\n")
    assert not is_age_file(AGE_MAGIC)
    assert not is_age_file(AGE_MAGIC + b"-> X25519 abc")
    assert not is_age_file(AGE_MAGIC + b"->  X25519\n")
    assert not is_age_file(AGE_MAGIC + b"--- " + b"A" * 43 + b"\n")
    assert not is_age_file(b"age-encryption.org/v2\n-> X25519 abc\n")
    assert not is_age_file(b"-----BEGIN AGE ENCRYPTED FILE-----\n")
    assert not is_age_file(b"%PDF-1.7")


def test_header_recipient_count_ignores_grease() -> None:
    recipients = [generate_identity().recipient for _ in range(3)]
    sealed = _seal(PLAIN, recipients)
    assert header_recipient_count(sealed[:4096]) == 3
    with pytest.raises(NotAnAgeFile):
        header_recipient_count(sealed[:100])


def test_sealing_and_opening_200_mib_stays_in_bounded_memory(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import hashlib, io, resource, sys
        from signing.envelope import generate_identity, open_stream, seal_stream

        SIZE, BLOCK = 200 * 1024 * 1024, bytes(range(256)) * 256

        class Source(io.RawIOBase):
            def __init__(self):
                self.left, self.digest = SIZE, hashlib.sha256()
            def readable(self):
                return True
            def read(self, n=-1):
                n = min(self.left, len(BLOCK) if n is None or n < 0 else min(n, len(BLOCK)))
                self.left -= n
                self.digest.update(BLOCK[:n])
                return BLOCK[:n]

        class Sink(io.RawIOBase):
            def __init__(self):
                self.size, self.digest = 0, hashlib.sha256()
            def writable(self):
                return True
            def write(self, data):
                self.size += len(data)
                self.digest.update(data)
                return len(data)

        identity = generate_identity()
        path = sys.argv[1]
        with open(path, "wb") as warm:
            seal_stream(io.BytesIO(b"warm up" * 1000), warm, [identity.recipient])
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        source = Source()
        with open(path, "wb") as dst:
            seal_stream(source, dst, [identity.recipient])
        sink = Sink()
        with open(path, "rb") as src:
            open_stream(src, sink, identity.secret)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert sink.size == SIZE and sink.digest.digest() == source.digest.digest()
        print(after - before)
        """
    )
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "big.age")],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    growth_kib = int(done.stdout.strip())
    assert growth_kib < 32 * 1024, f"peak RSS grew by {growth_kib} KiB while streaming 200 MiB"
