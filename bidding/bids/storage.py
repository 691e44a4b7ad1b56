"""Where bid ciphertext lives: a blob store of its own, so every blob in it must belong to a committed bid.

The upload path batches the request's chunks into WRITE_BATCH writes done in a worker thread (hashing in the same
call, since hashlib releases the GIL on large buffers), with one batch in flight while the next is received:
memory stays at about three batches whatever the upload size. The temp file is fsynced, renamed into place and the
directories fsynced (a pass shared by concurrent publishes) before any database row names it; the orphan sweep
removes what a crash left behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bidding.bids.rules import HEAD_LIMIT, head_verdict
from core.blobs import BlobStore
from core.errors import TooLarge

WRITE_BATCH = 1024 * 1024
IO_THREADS = 32
"""Concurrent blocking file operations per process: mostly fsyncs, which the file system batches into one journal
commit when many wait at once, so more of them in flight means fewer commits per bid (the default executor has
min(32, cores + 4) threads shared with everything else)."""
T = TypeVar("T")
TMP_SUFFIX = ".part"


@dataclass(frozen=True)
class StagedUpload:
    """A fully written and fsynced temp file, not yet named by its hash."""

    tmp: Path
    sha256: str
    size: int


def _write_all(fd: int, data: bytes, digest: hashlib._Hash) -> None:
    digest.update(data)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _close_opened(opening: asyncio.Future[int]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        os.close(opening.result())


def _finish(fd: int, rest: list[bytes], digest: hashlib._Hash) -> None:
    """The last bytes, fsync and close, in one trip to an I/O thread (file calls can block on a busy directory)."""
    if rest:
        _write_all(fd, b"".join(rest), digest)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise TooLarge(f"the upload exceeds {max_bytes} bytes")


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dirs(directories: list[Path]) -> None:
    for directory in directories:
        _fsync_dir(directory)


class DirectorySyncer:
    """Group fsync for directories: a caller whose renames are done waits for the next pass, which fsyncs every
    directory asked for since the last one. On a journaling file system the first fsync of a pass commits all those
    renames at once, so a burst of publishes costs a few journal commits instead of three per blob."""

    def __init__(self, run: Callable[..., Awaitable[None]]) -> None:
        self._run = run
        self._directories: set[Path] = set()
        self._waiters: list[asyncio.Future[None]] = []
        self._pass: asyncio.Task[None] | None = None

    async def sync(self, directories: Iterable[Path]) -> None:
        """Return once a pass that started after this call has fsynced the directories."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._directories.update(directories)
        self._waiters.append(done)
        if self._pass is None or self._pass.done():
            self._pass = asyncio.create_task(self._passes())
        await asyncio.shield(done)

    async def _passes(self) -> None:
        while self._waiters:
            directories, waiters = sorted(self._directories), self._waiters
            self._directories, self._waiters = set(), []
            try:
                await self._run(_fsync_dirs, directories)
            except Exception as exc:
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_exception(exc)
            else:
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)


class BidBlobs:
    """Content-addressed ciphertext under root/ab/cd/<sha256> (the core BlobStore layout), temp files in root/tmp."""

    def __init__(self, root: Path, io_threads: int = IO_THREADS) -> None:
        self.root = root
        self.tmp_dir = root / "tmp"
        self.store = BlobStore(root)
        self._io = ThreadPoolExecutor(io_threads, thread_name_prefix="bid-io")
        self._tmp_ready = False
        self._directories = DirectorySyncer(self._run)

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        """Blocking file work on the blob store's own threads (fsyncs wait on the disk, not on the CPU)."""
        return await asyncio.get_running_loop().run_in_executor(self._io, function, *args)

    def path_of(self, sha256: str) -> Path:
        """The blob's path (refuses anything but a hex SHA-256)."""
        return self.store.path_of(sha256)

    def read(self, sha256: str) -> AsyncIterator[bytes]:
        """The blob's bytes in chunks."""
        return self.store.read_stream(sha256)

    async def _open(self, tmp: Path) -> int:
        """Create the temp file on an I/O thread; a caller cancelled meanwhile still gets the descriptor closed."""
        opening = asyncio.ensure_future(self._run(os.open, tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        try:
            return await asyncio.shield(opening)
        except asyncio.CancelledError:
            opening.add_done_callback(_close_opened)
            raise

    async def stage(self, chunks: AsyncIterable[bytes], max_bytes: int) -> StagedUpload:
        """Stream to a temp file, refusing non-age data on its first bytes (rule 21) and anything over max_bytes."""
        if not self._tmp_ready:
            await self._run(lambda: self.tmp_dir.mkdir(parents=True, exist_ok=True))
            self._tmp_ready = True
        tmp = self.tmp_dir / f"{uuid.uuid4().hex}{TMP_SUFFIX}"
        fd = await self._open(tmp)
        digest = hashlib.sha256()
        size, head, head_ok = 0, b"", False
        batch: list[bytes] = []
        batched = 0
        pending: asyncio.Future[None] | None = None
        finishing = False
        try:
            async for chunk in chunks:
                size += len(chunk)
                _check_size(size, max_bytes)
                if not head_ok and chunk:
                    head = (head + chunk)[:HEAD_LIMIT]
                    head_ok = head_verdict(head, complete=False) is True
                batch.append(chunk)
                batched += len(chunk)
                if batched >= WRITE_BATCH:
                    if pending is not None:
                        await pending
                    data = b"".join(batch)
                    batch, batched = [], 0
                    pending = asyncio.ensure_future(self._run(_write_all, fd, data, digest))
            if not head_ok:
                head_verdict(head, complete=True)
            if pending is not None:
                await pending
                pending = None
            finishing = True
            await self._run(_finish, fd, batch, digest)
        except BaseException:
            if pending is not None:
                await asyncio.gather(pending, return_exceptions=True)
            if not finishing:
                os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        return StagedUpload(tmp, digest.hexdigest(), size)

    def _place(self, staged: StagedUpload) -> tuple[bool, tuple[Path, ...]]:
        target = self.path_of(staged.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        created = not target.exists()
        if created:
            staged.tmp.replace(target)
        else:
            staged.tmp.unlink(missing_ok=True)
        return created, (target.parent, target.parent.parent, self.root)

    async def publish(self, staged: StagedUpload) -> bool:
        """Rename into place and make the directory entries durable (a fsync pass shared with concurrent
        publishes); True when this call created the blob."""
        created, directories = await self._run(self._place, staged)
        await self._directories.sync(directories)
        return created

    async def discard(self, staged: StagedUpload) -> None:
        """Drop a staged upload that will not be committed."""
        await self._run(staged.tmp.unlink, True)

    async def remove(self, sha256: str) -> None:
        """Delete a blob no committed bid names."""
        await self._run(self.path_of(sha256).unlink, True)

    def _candidates(self, cutoff: float) -> Iterator[tuple[str, Path]]:
        if not self.root.is_dir():
            return
        for first in self.root.iterdir():
            if len(first.name) != 2 or not first.is_dir():
                continue
            for second in first.iterdir():
                for blob in second.iterdir():
                    if blob.stat().st_mtime < cutoff:
                        yield blob.name, blob

    def sweep_temp(self, cutoff: float) -> int:
        """Delete temp files last written before cutoff (unix time): uploads that never finished."""
        removed = 0
        if self.tmp_dir.is_dir():
            for tmp in self.tmp_dir.iterdir():
                if tmp.name.endswith(TMP_SUFFIX) and tmp.stat().st_mtime < cutoff:
                    tmp.unlink(missing_ok=True)
                    removed += 1
        return removed

    def blobs_older_than(self, cutoff: float) -> dict[str, Path]:
        """Published blobs last written before cutoff, by SHA-256 (candidates for the orphan sweep)."""
        return dict(self._candidates(cutoff))


SERVE_STARTED_ENV = "SUNBID_SERVE_STARTED"
PROCESS_STARTED = float(os.environ.get(SERVE_STARTED_ENV) or time.time())
"""Nothing this server wrote is older than this, so a startup sweep with this cutoff spares live uploads; with
`serve --workers N` the parent's start time (a worker that starts late must not sweep its siblings' uploads)."""
