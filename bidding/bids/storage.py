"""Where bid ciphertext lives: a blob store of its own, so every blob in it must belong to a committed bid.

The upload path creates its temp file and hashes and writes its first INLINE_BYTES on the event loop as the bytes
arrive (what the minimal app in bench/ does: a thread trip costs more than these calls); beyond that it
batches the request's chunks into WRITE_BATCH writes done in a worker thread (hashing in the same call, since
hashlib releases the GIL on large buffers), with one batch in flight while the next is received: memory stays at
about three batches whatever the upload size. The temp file is fsynced, renamed into place and
the directories fsynced (on the I/O threads, where concurrent fsyncs share the file system's journal commits)
before any database row names it; the orphan sweep removes what a crash left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bidding.bids.rules import HEAD_LIMIT, head_verdict
from core.blobs import BlobStore, fsync_directory
from core.errors import TooLarge

WRITE_BATCH = 1024 * 1024
INLINE_BYTES = 4 * 1024 * 1024
"""An upload's first bytes up to this size are hashed and written on the event loop as they arrive, as the minimal
app in bench/ does: a write into the page cache takes microseconds and a trip to a thread costs more. Past it the
rest goes to the I/O threads in WRITE_BATCH batches, so a disk that throttles writers cannot stall the loop."""
IO_THREADS = 32
"""Concurrent blocking file operations per process: mostly fsyncs, which the file system batches into one journal
commit when many wait at once, so more of them in flight means fewer commits per bid (the default executor has
min(32, cores + 4) threads shared with everything else)."""
T = TypeVar("T")
logger = logging.getLogger(__name__)
TMP_SUFFIX = ".part"


@dataclass(frozen=True)
class StagedUpload:
    """A fully written and fsynced upload: still a temp file, or already published under its hash."""

    tmp: Path
    sha256: str
    size: int
    created: bool | None = None
    """None while the upload is a temp file; once published, whether this upload created the blob."""


def _write_all(fd: int, data: bytes, digest: hashlib._Hash) -> None:
    digest.update(data)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _finish(fd: int, rest: list[bytes], digest: hashlib._Hash) -> None:
    """The last bytes, fsync and close, in one trip to an I/O thread (file calls can block on a busy directory)."""
    try:
        if rest:
            _write_all(fd, b"".join(rest), digest)
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise TooLarge(f"the upload exceeds {max_bytes} bytes")


async def _to_the_end(cleanup: Coroutine[Any, Any, None]) -> None:
    """Run a cleanup to its end even when the caller is cancelled again meanwhile (a client that disconnects while
    its refused upload is being undone): the thread work it waits for cannot be cancelled, only abandoned."""
    task = asyncio.ensure_future(cleanup)
    while not task.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait({task})
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.warning("an abandoned upload's cleanup failed; the orphan sweep removes what it left", exc_info=error)


class BidBlobs:
    """Content-addressed ciphertext under root/ab/cd/<sha256> (the core BlobStore layout), temp files in root/tmp."""

    def __init__(self, root: Path, io_threads: int = IO_THREADS) -> None:
        self.root = root
        self.tmp_dir = root / "tmp"
        self.store = BlobStore(root)
        self._io = ThreadPoolExecutor(io_threads, thread_name_prefix="bid-io")
        self._tmp_ready = False
        self._durable_dirs: set[Path] = set()

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        """Blocking file work on the blob store's own threads (fsyncs wait on the disk, not on the CPU)."""
        return await asyncio.get_running_loop().run_in_executor(self._io, function, *args)

    def path_of(self, sha256: str) -> Path:
        """The blob's path (refuses anything but a hex SHA-256)."""
        return self.store.path_of(sha256)

    def read(self, sha256: str) -> AsyncIterator[bytes]:
        """The blob's bytes in chunks."""
        return self.store.read_stream(sha256)

    async def stage(
        self,
        chunks: AsyncIterable[bytes],
        max_bytes: int,
        publish_as: str | None = None,
        received: asyncio.Future[str] | None = None,
    ) -> StagedUpload:
        """Stream to a temp file, refusing non-age data on its first bytes (rule 21) and anything over max_bytes.

        When the bytes hash to `publish_as` the upload is also published, in the same trip to an I/O thread as its
        fsync; otherwise it stays a temp file for the caller to publish or discard. `received` gets the SHA-256 as
        soon as every byte is written and hashed, before the fsync, so the caller can prepare what follows while
        the disk catches up (it must still await the staging before anything names the blob).
        """
        if not self._tmp_ready:
            await self._run(lambda: self.tmp_dir.mkdir(parents=True, exist_ok=True))
            self._tmp_ready = True
        tmp = self.tmp_dir / f"{uuid.uuid4().hex}{TMP_SUFFIX}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        digest = hashlib.sha256()
        size, head, head_ok = 0, b"", False
        batch: list[bytes] = []
        batched = 0
        pending: asyncio.Future[None] | None = None
        completing: asyncio.Future[bool | None] | None = None
        try:
            async for chunk in chunks:
                size += len(chunk)
                _check_size(size, max_bytes)
                if not head_ok and chunk:
                    head = (head + chunk)[:HEAD_LIMIT]
                    head_ok = head_verdict(head, complete=False) is True
                if size <= INLINE_BYTES:
                    _write_all(fd, chunk, digest)
                    continue
                batch.append(chunk)
                batched += len(chunk)
                if batched >= WRITE_BATCH:
                    if pending is not None:
                        await asyncio.shield(pending)
                    data = b"".join(batch)
                    batch, batched = [], 0
                    pending = asyncio.ensure_future(self._run(_write_all, fd, data, digest))
            if not head_ok:
                head_verdict(head, complete=True)
            if received is not None and batch:
                if pending is not None:
                    await asyncio.shield(pending)
                data, batch = b"".join(batch), []
                pending = asyncio.ensure_future(self._run(_write_all, fd, data, digest))
            if pending is not None:
                await asyncio.shield(pending)
                pending = None
            if received is not None and not received.done():
                received.set_result(digest.hexdigest())
            completing = asyncio.ensure_future(self._run(self._complete, fd, batch, digest, tmp, publish_as))
            created = await asyncio.shield(completing)
        except BaseException:
            await _to_the_end(self._undo_stage(fd, tmp, pending, completing, publish_as))
            raise
        return StagedUpload(tmp, digest.hexdigest(), size, created)

    async def _undo_stage(
        self,
        fd: int,
        tmp: Path,
        pending: asyncio.Future[None] | None,
        completing: asyncio.Future[bool | None] | None,
        publish_as: str | None,
    ) -> None:
        """Wait for the upload's thread work to end (a cancelled await does not stop a thread: it could still write
        to the fd after it is closed, or publish the blob after the temp file is removed), then remove what it made."""
        if pending is not None:
            await asyncio.gather(pending, return_exceptions=True)
        if completing is None:
            os.close(fd)
        elif (await asyncio.gather(completing, return_exceptions=True))[0] is True and publish_as is not None:
            await self.remove(publish_as)
        await self._run(tmp.unlink, True)

    def _complete(
        self, fd: int, rest: list[bytes], digest: hashlib._Hash, tmp: Path, publish_as: str | None
    ) -> bool | None:
        _finish(fd, rest, digest)
        if publish_as is None or digest.hexdigest() != publish_as:
            return None
        return self._place(tmp, publish_as)

    def _place(self, tmp: Path, sha256: str) -> bool:
        """Rename into place and fsync the blob's directory, and each parent whose entry for the next level down is
        not known to be durable yet (another thread may have just created it, and that entry must be durable before
        this blob's receipt goes out)."""
        target = self.path_of(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        created = not target.exists()
        if created:
            tmp.replace(target)
        else:
            tmp.unlink(missing_ok=True)
        self._sync_entries(target.parent)  # also for a blob already there: its placer may not have synced it yet
        return created

    def _sync_entries(self, directory: Path) -> None:
        """fsync the directory, then its ancestors up to the root while a child's own entry may not be durable: a
        directory joins `_durable_dirs` only once its parent and every level above were fsynced after it existed,
        and directories are never removed, so later blobs under it skip those fsyncs."""
        fsync_directory(directory)
        synced: list[Path] = []
        child = directory
        while child != self.root and child not in self._durable_dirs:
            fsync_directory(child.parent)
            synced.append(child)
            child = child.parent
        self._durable_dirs.update(synced)  # only now: a level is durable once every level above it is

    async def publish(self, staged: StagedUpload) -> bool:
        """Rename into place and make the directory entries durable, in one trip to an I/O thread (concurrent
        publishes on other threads share the file system's journal commits); True when this upload created the
        blob (also when `stage` already published it)."""
        if staged.created is not None:
            return staged.created
        return await self._run(self._place, staged.tmp, staged.sha256)

    async def discard(self, staged: StagedUpload) -> None:
        """Drop an upload that will not be committed (the blob too, if this upload published and created it)."""
        if staged.created:
            await self.remove(staged.sha256)
        elif staged.created is None:
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
