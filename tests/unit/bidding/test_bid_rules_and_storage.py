"""Rules 21 and 22 as pure functions, the statement parser, and the streaming store (no database)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bidding.bids import storage
from bidding.bids.errors import BidNotEncrypted, BidSubmissionClosed, StatementRefused
from bidding.bids.rules import check_open, head_verdict, parse_submission
from bidding.bids.storage import WRITE_BATCH, BidBlobs, StagedUpload
from core.blobs import fsync_directory
from core.errors import TooLarge
from signing.envelope import generate_identity, seal_stream
from signing.sealed_bid import submission_payload

DEADLINE = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)


def _sealed(size: int) -> bytes:
    out = io.BytesIO()
    seal_stream(io.BytesIO(os.urandom(size)), out, [generate_identity().recipient])
    return out.getvalue()


async def _chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_deadline_is_a_hard_cutoff() -> None:
    check_open(DEADLINE - timedelta(microseconds=1), DEADLINE, "published")
    for now in (DEADLINE, DEADLINE + timedelta(seconds=1)):
        with pytest.raises(BidSubmissionClosed, match="rule 22"):
            check_open(now, DEADLINE, "published")
    with pytest.raises(BidSubmissionClosed):
        check_open(DEADLINE - timedelta(days=1), DEADLINE, "suspended")


def test_only_age_files_pass_rule_21() -> None:
    sealed = _sealed(10)
    assert head_verdict(sealed[:200], complete=False) is True
    assert head_verdict(sealed[:5], complete=False) is None
    for head in (b"%PDF-1.7", b"PK\x03\x04", b"-----BEGIN AGE ENCRYPTED FILE-----"):
        with pytest.raises(BidNotEncrypted, match="rule 21"):
            head_verdict(head, complete=False)
    with pytest.raises(BidNotEncrypted):
        head_verdict(b"", complete=True)


def test_submission_statements_are_parsed_strictly() -> None:
    payload = submission_payload(
        tender="3f1c4f0e-0000-4000-8000-000000000001",
        lot=1,
        bidder="3f1c4f0e-0000-4000-8000-000000000002",
        sha256="a" * 64,
        size=10,
        recipient=generate_identity().recipient,
        version=1,
        escrow=b"{}",
    )
    assert parse_submission(payload).size == 10
    for bad in ({"size": 0}, {"sha256": "A" * 64}, {"recipient": "age1nope"}, {"extra": 1}, {"version": True}):
        with pytest.raises(StatementRefused):
            parse_submission({**payload, **bad})
    assert parse_submission({**payload, "lot": 2**31 - 1, "version": 2**31 - 1}).lot == 2**31 - 1
    for field in ("lot", "version"):
        with pytest.raises(StatementRefused, match=f"'{field}' must be at most 2147483647"):
            parse_submission({**payload, field: 2**31})


async def test_store_streams_hashes_and_publishes(tmp_path: Path) -> None:
    blobs = BidBlobs(tmp_path / "bids")
    data = _sealed(3 * WRITE_BATCH + 12345)
    staged = await blobs.stage(_chunks(data), len(data))
    assert staged.sha256 == hashlib.sha256(data).hexdigest()
    assert await blobs.publish(staged)
    assert blobs.path_of(staged.sha256).read_bytes() == data
    assert not list(blobs.tmp_dir.iterdir())


async def test_store_refuses_plaintext_on_the_first_chunk_without_reading_on(tmp_path: Path) -> None:
    blobs = BidBlobs(tmp_path / "bids")
    read = []

    async def body() -> AsyncIterator[bytes]:
        for i in range(100):
            read.append(i)
            yield b"%PDF-1.7 plain" + b"\0" * 65536

    with pytest.raises(BidNotEncrypted):
        await blobs.stage(body(), 10**9)
    assert len(read) == 1
    assert not list(blobs.tmp_dir.iterdir())


async def test_store_enforces_the_size_cap(tmp_path: Path) -> None:
    blobs = BidBlobs(tmp_path / "bids")
    data = _sealed(200_000)
    with pytest.raises(TooLarge):
        await blobs.stage(_chunks(data), len(data) - 1)
    assert not list(blobs.tmp_dir.iterdir())


class Stall:
    """Holds an upload's thread work until released, and tells when that work has run to its end."""

    def __init__(self) -> None:
        self.entered, self.release, self.finished = threading.Event(), threading.Event(), threading.Event()

    async def cancel_while_stalled(self, task: asyncio.Future[StagedUpload], cancels: int = 1) -> None:
        """Cancel the upload while its thread work is stuck (again while it cleans up, when asked), let the
        cancellations land, then let the thread go on."""
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, self.entered.wait, 10)
        for _ in range(cancels):
            task.cancel()
            for _ in range(5):
                await asyncio.sleep(0.01)
        self.release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await loop.run_in_executor(None, self.finished.wait, 10)


@pytest.mark.parametrize("cancels", [1, 2])
async def test_an_upload_cancelled_while_it_is_published_leaves_no_blob(tmp_path: Path, cancels: int) -> None:
    """A cancelled await does not stop the thread: a blob renamed into place just before must still be removed."""
    stall = Stall()

    class SlowPublish(BidBlobs):
        def _place(self, tmp: Path, sha256: str) -> bool:
            try:
                created = super()._place(tmp, sha256)
                stall.entered.set()
                stall.release.wait(10)
                return created
            finally:
                stall.finished.set()

    blobs = SlowPublish(tmp_path / "bids")
    data = _sealed(200_000)
    sha256 = hashlib.sha256(data).hexdigest()
    staging = asyncio.ensure_future(blobs.stage(_chunks(data), len(data), publish_as=sha256))
    await stall.cancel_while_stalled(staging, cancels)
    assert not blobs.path_of(sha256).exists()
    assert not list(blobs.tmp_dir.iterdir())


async def test_an_upload_cancelled_during_a_batch_write_closes_its_file_only_after_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing the fd under a writing thread would send its bytes to whatever file reuses the number."""
    stall = Stall()
    failures: list[OSError] = []
    write_all = storage._write_all

    def slow_write(fd: int, data: bytes, digest: hashlib._Hash) -> None:
        if threading.current_thread() is threading.main_thread():
            write_all(fd, data, digest)
            return
        try:
            stall.entered.set()
            stall.release.wait(10)
            write_all(fd, data, digest)
        except OSError as error:
            failures.append(error)
            raise
        finally:
            stall.finished.set()

    monkeypatch.setattr(storage, "_write_all", slow_write)
    blobs = BidBlobs(tmp_path / "bids")
    data = _sealed(storage.INLINE_BYTES + 3 * WRITE_BATCH)
    await stall.cancel_while_stalled(asyncio.ensure_future(blobs.stage(_chunks(data), len(data))))
    assert failures == []
    assert not list(blobs.tmp_dir.iterdir())


def test_sweep_removes_only_old_leftovers(tmp_path: Path) -> None:
    blobs = BidBlobs(tmp_path / "bids")
    blobs.tmp_dir.mkdir(parents=True)
    (blobs.tmp_dir / "old.part").write_bytes(b"x")
    orphan = blobs.path_of("ab" * 32)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"y")
    cutoff = time.time() + 1
    assert blobs.sweep_temp(cutoff) == 1
    assert set(blobs.blobs_older_than(cutoff)) == {"ab" * 32}
    assert blobs.blobs_older_than(cutoff - 3600) == {}


@pytest.mark.parametrize("size", [200_000, storage.INLINE_BYTES + 3 * WRITE_BATCH + 12_345])
async def test_an_upload_says_its_digest_before_its_fsync_ends(tmp_path: Path, size: int) -> None:
    """`received` gets the SHA-256 of every byte while the fsync and the publication still wait, so the caller can
    prepare the commit meanwhile; the blob itself appears only when the staging ends."""
    stall = Stall()

    class SlowDisk(BidBlobs):
        def _complete(self, *args: object) -> bool | None:
            stall.entered.set()
            stall.release.wait(10)
            try:
                return super()._complete(*args)  # type: ignore[arg-type]
            finally:
                stall.finished.set()

    blobs = SlowDisk(tmp_path / "bids")
    data = _sealed(size)
    sha256 = hashlib.sha256(data).hexdigest()
    received: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    staging = asyncio.ensure_future(blobs.stage(_chunks(data), len(data), publish_as=sha256, received=received))
    assert await asyncio.get_running_loop().run_in_executor(None, stall.entered.wait, 10)
    assert await asyncio.wait_for(received, 10) == sha256
    assert not staging.done()
    assert not blobs.path_of(sha256).exists()
    stall.release.set()
    staged = await staging
    assert (staged.sha256, staged.size, staged.created) == (sha256, len(data), True)
    assert hashlib.sha256(blobs.path_of(sha256).read_bytes()).hexdigest() == sha256


async def test_a_directory_is_fsynced_until_its_entry_is_known_durable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A blob in new directories fsyncs its directory and each parent up to the root; a later blob beside it fsyncs
    only its own directory, since the directories' entries are already durable."""
    synced: list[Path] = []

    def counted(directory: Path) -> None:
        synced.append(directory)
        fsync_directory(directory)

    monkeypatch.setattr(storage, "fsync_directory", counted)
    blobs = BidBlobs(tmp_path / "bids")
    first = _sealed(1000)
    sha = hashlib.sha256(first).hexdigest()
    await blobs.stage(_chunks(first), len(first), publish_as=sha)
    target = blobs.path_of(sha)
    assert synced == [target.parent, target.parent.parent, blobs.root]
    synced.clear()
    blobs._durable_dirs.discard(target.parent)  # as after a restart: the directory's entry is fsynced again
    sibling = blobs.path_of(sha[:4] + "0" * 60)
    sibling.parent.mkdir(parents=True, exist_ok=True)
    (blobs.tmp_dir / "x.part").write_bytes(b"x")
    blobs._place(blobs.tmp_dir / "x.part", sibling.name)
    assert synced == [target.parent, target.parent.parent]
    synced.clear()
    (blobs.tmp_dir / "y.part").write_bytes(b"y")
    blobs._place(blobs.tmp_dir / "y.part", sha[:4] + "1" * 60)
    assert synced == [target.parent]
