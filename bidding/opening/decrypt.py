"""Bulk decryption in worker processes (pyrage holds the GIL): open a sealed bid, check its package, keep it.

The plaintext package is written next to the sealed blobs under `opened/<bid id>.tar`, renamed into place only
after every age chunk authenticated and every listed file matched its SHA-256 and size.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import multiprocessing
import os
import tarfile
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signing.envelope import EnvelopeError, WrongIdentity, open_stream
from signing.sealed_bid import MANIFEST_NAME, PACKAGE_FORMAT, OpeningSheet

READ_CHUNK = 1024 * 1024


class DecryptFailed(Exception):
    """The bid does not open or its package does not check; `wrong_key` separates a key problem from a bad bid."""

    def __init__(self, reason: str, wrong_key: bool = False) -> None:
        super().__init__(reason, wrong_key)
        self.reason = reason
        self.wrong_key = wrong_key


@dataclass(frozen=True)
class Opened:
    """An opened bid's manifest and where its checked package now lies."""

    manifest: dict[str, Any]
    package: str


def _check_package(path: Path) -> dict[str, Any]:
    """The manifest, after every listed file matched its hash and size and nothing unlisted rode along."""
    manifest: dict[str, Any] | None = None
    seen: dict[str, tuple[str, int]] = {}
    with tarfile.open(path, mode="r|") as tar:
        for member in tar:
            data = tar.extractfile(member) if member.isfile() else None
            if data is None:
                raise DecryptFailed(f"the package holds a non-file member {member.name!r}")
            if member.name == MANIFEST_NAME and manifest is None:
                manifest = json.loads(data.read())
                continue
            name = member.name.removeprefix("files/")
            if member.name != f"files/{name}" or "/" in name or name in seen:
                raise DecryptFailed(f"the package holds {member.name!r} outside files/ or twice")
            digest, size = hashlib.sha256(), 0
            while chunk := data.read(READ_CHUNK):
                digest.update(chunk)
                size += len(chunk)
            seen[name] = (digest.hexdigest(), size)
    if not isinstance(manifest, dict) or manifest.get("format") != PACKAGE_FORMAT:
        raise DecryptFailed(f"the package has no {PACKAGE_FORMAT} manifest")
    listed = {f["name"]: (f["sha256"], f["size"]) for f in manifest.get("files", [])}
    if listed != seen:
        raise DecryptFailed("the package's files do not match its manifest (names, SHA-256 or sizes differ)")
    try:
        OpeningSheet.from_manifest(manifest)
    except (ValueError, TypeError) as exc:
        raise DecryptFailed(f"the opening sheet cannot be read out: {exc}") from None
    return manifest


def open_sealed(ciphertext: str, identity: str, out: str) -> Opened:
    """Worker-process entry: decrypt ciphertext with identity into out (atomically) and check the package."""
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with Path(ciphertext).open("rb") as src, temp.open("wb") as dst:
            open_stream(src, dst, identity)
            dst.flush()
            os.fsync(dst.fileno())
        manifest = _check_package(temp)
    except WrongIdentity as exc:
        temp.unlink(missing_ok=True)
        raise DecryptFailed(str(exc), wrong_key=True) from None
    except (EnvelopeError, OSError, tarfile.TarError, ValueError, KeyError, TypeError) as exc:
        temp.unlink(missing_ok=True)
        raise DecryptFailed(f"the bid does not open: {exc}") from None
    except DecryptFailed:
        temp.unlink(missing_ok=True)
        raise
    temp.replace(target)
    return Opened(manifest, str(target))


class Decryptor:
    """A process pool for decryption, shared by the process; the pool starts on first use."""

    def __init__(self, workers: int | None = None) -> None:
        self._workers = workers or max(1, min(4, os.cpu_count() or 1))
        self._pool: Executor | None = None

    def _executor(self) -> Executor:
        if self._pool is None:
            # Not fork: a forked worker inherits the server's open sockets, so a websocket the server has closed
            # stays open in the worker and its client waits out its whole close timeout.
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers, mp_context=multiprocessing.get_context("forkserver")
            )
        return self._pool

    async def open(self, ciphertext: Path, identity: str, out: Path) -> Opened:
        """Decrypt in a worker process; raises DecryptFailed."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor(), open_sealed, str(ciphertext), identity, str(out))

    def shutdown(self) -> None:
        """Stop the worker processes (at app shutdown)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
