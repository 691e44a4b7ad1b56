"""Platform key files created exactly once, whole, however many processes start together on a fresh data dir.

`sunbid serve --workers N` starts N processes at once: each used to find no CA and make its own, so a worker could
keep in memory a CA (or receipt key) that another worker's files then replaced, or read a key file still empty.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

T = TypeVar("T")
LOCK_FILE = ".create.lock"


def private_pem(key: PrivateKeyTypes) -> bytes:
    """Unencrypted PKCS#8 PEM: the file's 0600 mode and the key directory's place are its protection."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@contextmanager
def _creation_lock(directory: Path) -> Iterator[None]:
    """An exclusive flock on the directory's lock file, released when the process ends even if it crashes."""
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_whole(path: Path, data: bytes, mode: int) -> None:
    """Temp file, fsync, rename: a reader sees the whole file or none."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)  # a crash's leftover would keep its own mode
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)  # exactly this mode, whatever the umask
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)


@dataclass(frozen=True)
class Created(Generic[T]):
    """A new key (and certificate) with the file contents that store it."""

    value: T
    private: Mapping[str, bytes]
    """Written first, mode 0600, so a complete set of files is never missing its key."""
    public: Mapping[str, bytes] = field(default_factory=dict)


def load_or_create(directory: Path, names: Sequence[str], load: Callable[[], T], create: Callable[[], Created[T]]) -> T:
    """`load()` when every named file exists; else, under a lock, `create()` once and write its files whole (and
    `load()` if another process made them while this one waited)."""
    if all((directory / name).exists() for name in names):
        return load()
    if not directory.is_dir():
        directory.mkdir(parents=True, exist_ok=True)
        _fsync_directory(directory.parent)
    with _creation_lock(directory):
        if all((directory / name).exists() for name in names):
            return load()
        made = create()
        if set(made.private) | set(made.public) != set(names):
            raise ValueError(f"created files {sorted([*made.private, *made.public])} are not {sorted(names)}")
        for name in names:  # a partial set's leftovers must not pair with the new key on a lock-free load
            (directory / name).unlink(missing_ok=True)
        for name, data in made.private.items():
            _write_whole(directory / name, data, 0o600)
        for name, data in made.public.items():
            _write_whole(directory / name, data, 0o644)
        _fsync_directory(directory)
        return made.value


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
