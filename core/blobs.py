"""Content-addressed blob store on the filesystem: a blob's name is its SHA-256, written durably before it is named."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from core.errors import NotFound, TooLarge

CHUNK = 64 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class StoredBlob:
    """What was stored: its hash (the name) and its size."""

    sha256: str
    size: int


class BlobStore:
    """Blobs under root/ab/cd/<sha256>; a blob exists under its name only once fully written and fsynced."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        """Where a blob lives; refuses anything that is not a hex SHA-256 (no path tricks)."""
        if not _SHA256.match(sha256):
            raise NotFound(f"no blob {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        """True when the blob is stored."""
        return self.path_of(sha256).is_file()

    async def put_stream(self, chunks: AsyncIterable[bytes], max_bytes: int | None = None) -> StoredBlob:
        """Stream to a temp file hashing as it goes, fsync, then rename to the hash path (atomic, durable)."""
        tmp_dir = self.root / "tmp"
        await asyncio.to_thread(tmp_dir.mkdir, parents=True, exist_ok=True)
        tmp = tmp_dir / f"{uuid.uuid4().hex}.part"
        digest = hashlib.sha256()
        size = 0
        handle = await asyncio.to_thread(tmp.open, "wb")
        try:
            async for chunk in chunks:
                size += len(chunk)
                _check_size(size, max_bytes)
                digest.update(chunk)
                await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(_flush_and_sync, handle)
        except BaseException:
            handle.close()
            tmp.unlink(missing_ok=True)
            raise
        handle.close()
        sha256 = digest.hexdigest()
        await asyncio.to_thread(self._publish, tmp, sha256)
        return StoredBlob(sha256=sha256, size=size)

    async def put_bytes(self, data: bytes) -> StoredBlob:
        """Store a small in-memory blob."""

        async def one() -> AsyncIterator[bytes]:
            yield data

        return await self.put_stream(one())

    def _publish(self, tmp: Path, sha256: str) -> None:
        target = self.path_of(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            tmp.unlink(missing_ok=True)
            return
        tmp.replace(target)
        fsync_directory(target.parent)

    async def read_stream(self, sha256: str) -> AsyncIterator[bytes]:
        """The blob's bytes in chunks."""
        path = self.path_of(sha256)
        if not path.is_file():
            raise NotFound(f"no blob {sha256}")
        handle = await asyncio.to_thread(path.open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                yield chunk
        finally:
            handle.close()


def _check_size(size: int, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        raise TooLarge(f"the upload exceeds {max_bytes} bytes")


def _flush_and_sync(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def fsync_directory(directory: Path) -> None:
    """Make a directory's entries (a rename, a new file) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
