"""The bidders' side of the upload benchmarks: bid packages sealed before timing, a raw HTTP/1.1 client that is not
itself the bottleneck, and the check that every accepted upload is durable."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import json
import os
import socket
import tarfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _platform import BenchBidder, BenchPlatform

# --- the bidders' side: sealing, statements, requests ----------------------------------------------------------------


def package_head(platform: BenchPlatform, bidder: BenchBidder, lot: int, payload_size: int) -> bytes:
    """The start of a bid package (tar: manifest, then the header of files/payload.bin); the payload follows."""
    from signing.sealed_bid import OpeningSheet

    manifest = {
        "format": "sunbid-bid-package/v1",
        "tender": platform.tender_id,
        "lot": lot,
        "bidder": bidder.organization_id,
        "opening_sheet": OpeningSheet("11800000.00", 365, "合格").as_json(),
        "files": [{"name": "payload.bin", "size": payload_size, "sha256": "0" * 64}],
    }
    body = json.dumps(manifest, ensure_ascii=False, sort_keys=True).encode()
    head = tarfile.TarInfo("manifest.json")
    head.size = len(body)
    payload = tarfile.TarInfo("files/payload.bin")
    payload.size = payload_size
    pad = b"\0" * ((-len(body)) % tarfile.BLOCKSIZE)
    return b"".join(
        (_tar_header(head), body, pad, _tar_header(payload)),
    )


def _tar_header(info: tarfile.TarInfo) -> bytes:
    info.mode = 0o644
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


class _PackageReader:
    """package head + payload (a repeated random block) + tar padding, read as one stream: nothing held whole."""

    def __init__(self, head: bytes, payload_size: int, block: bytes) -> None:
        pad = (-payload_size) % tarfile.BLOCKSIZE + 2 * tarfile.BLOCKSIZE
        self._parts: list[tuple[bytes, int]] = [(head, len(head)), (block, payload_size), (b"\0" * pad, pad)]
        self._offset = 0

    def read(self, size: int = -1) -> bytes:
        size = 1 << 20 if size is None or size < 0 else size
        while self._parts:
            data, remaining = self._parts[0]
            if remaining == 0:
                self._parts.pop(0)
                self._offset = 0
                continue
            take = min(size, remaining, len(data) - self._offset)
            chunk = data[self._offset : self._offset + take]
            self._offset = (self._offset + take) % len(data)
            self._parts[0] = (data, remaining - take)
            return chunk
        return b""


@dataclass(frozen=True)
class PreparedBid:
    """One upload ready to send: the HTTP head and where the body is (bytes, or a file), and what must come back."""

    head: bytes
    body: bytes | None
    body_path: Path | None
    sha256: str
    size: int
    bidder: str


def seal_bid(
    platform: BenchPlatform, bidder: BenchBidder, lot: int, payload_size: int, out: Any, block: bytes
) -> tuple[str, int, bytes]:
    """Seal a bid package to the bidder and a fresh escrow identity; returns (sha256, size, escrow bundle)."""
    from signing.envelope import generate_identity
    from signing.sealed_bid import escrow_bundle, seal_package

    escrow = generate_identity()
    reader = _PackageReader(package_head(platform, bidder, lot, payload_size), payload_size, block)
    sha256, size = seal_package(reader, out, [bidder.identity.recipient, escrow.recipient])  # type: ignore[arg-type]
    return sha256, size, escrow_bundle(escrow, platform.custodians, platform.quorum)


def request_head(
    platform: BenchPlatform, bidder: BenchBidder, lot: int, sha256: str, size: int, escrow: bytes, version: int = 1
) -> bytes:
    """The HTTP/1.1 request head of POST /api/bids: bearer token, signed statement, escrow shares, length."""
    from signing.sealed_bid import submission_payload
    from signing.statements import sign_statement

    payload = submission_payload(
        tender=platform.tender_id,
        lot=lot,
        bidder=bidder.organization_id,
        sha256=sha256,
        size=size,
        recipient=bidder.identity.recipient,
        version=version,
        escrow=escrow,
    )
    statement = sign_statement(payload, bidder.key, bidder.certificate).to_json().encode()
    lines = [
        "POST /api/bids HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Bearer {bidder.token}",
        "Content-Type: application/octet-stream",
        f"Content-Length: {size}",
        f"Sunbid-Statement: {base64.b64encode(statement).decode()}",
        f"Sunbid-Escrow: {base64.b64encode(escrow).decode()}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def prepare_bids(platform: BenchPlatform, lot: int, payload_size: int) -> list[PreparedBid]:
    """One sealed bid per bidder, in memory (client work, done before timing)."""
    block = os.urandom(1 << 20)
    bids = []
    for bidder in platform.bidders:
        out = io.BytesIO()
        sha256, size, escrow = seal_bid(platform, bidder, lot, payload_size, out, block)
        head = request_head(platform, bidder, lot, sha256, size, escrow)
        bids.append(PreparedBid(head, out.getvalue(), None, sha256, size, bidder.username))
    return bids


# --- the raw HTTP/1.1 client -----------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One upload as the client saw it."""

    status: int | None
    body: bytes
    seconds: float
    error: str | None = None


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length is not None else await reader.read()
    return status, body


async def _upload(port: int, bid: PreparedBid, go: asyncio.Event) -> Outcome:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    await go.wait()
    start = time.perf_counter()
    try:
        writer.write(bid.head)
        writer.write(memoryview(bid.body or b""))
        status, body = await _read_response(reader)
        return Outcome(status, body, time.perf_counter() - start)
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        return Outcome(None, b"", time.perf_counter() - start, repr(exc))
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _upload_all(port: int, bids: Sequence[PreparedBid]) -> tuple[list[Outcome], float]:
    go = asyncio.Event()
    tasks = [asyncio.ensure_future(_upload(port, bid, go)) for bid in bids]
    await asyncio.sleep(0.5)  # every connection is open before the clock starts
    start = time.perf_counter()
    go.set()
    outcomes = await asyncio.gather(*tasks)
    return list(outcomes), time.perf_counter() - start


def upload_concurrently(port: int, bids: Sequence[PreparedBid]) -> tuple[list[Outcome], float]:
    """Every bid on its own connection, all at once; (outcomes in bid order, wall seconds from first byte to last)."""
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        runner = asyncio.Runner()
    with runner:
        return runner.run(_upload_all(port, bids))


def upload_file(port: int, bid: PreparedBid) -> Outcome:
    """One upload whose body is sent with sendfile(2) from its file; blocking (run the sampler in a thread)."""
    if bid.body_path is None:
        raise ValueError("upload_file sends a bid prepared in a file")
    with socket.create_connection(("127.0.0.1", port)) as sock, bid.body_path.open("rb") as body:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        start = time.perf_counter()
        error = None
        try:
            sock.sendall(bid.head)
            sock.sendfile(body)
        except OSError as exc:
            error = repr(exc)
        data = b""
        with contextlib.suppress(OSError):
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                ),
                None,
            )
            while length is not None and len(rest) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                rest += chunk
            data = data[: len(head) + 4] + rest
        seconds = time.perf_counter() - start
    if not data:
        return Outcome(None, b"", seconds, error or "no response")
    head, _, rest = data.partition(b"\r\n\r\n")
    return Outcome(int(head.split(b" ", 2)[1]), rest, seconds, error)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


# --- checks ---------------------------------------------------------------------------------------------------------


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def count_lost(platform: BenchPlatform, accepted: Sequence[tuple[PreparedBid, bytes]]) -> int:
    """Accepted uploads without a committed bid, with a receipt that does not verify, or whose blob differs."""
    return asyncio.run(_count_lost(platform, accepted))


async def _count_lost(platform: BenchPlatform, accepted: Sequence[tuple[PreparedBid, bytes]]) -> int:
    from bidding.bids.models import Bid
    from bidding.bids.storage import BidBlobs
    from core.db import create_engine, session_factory
    from signing.receipts import ReceiptInvalid, verify_receipt_async

    blobs = BidBlobs(platform.bid_blobs)
    roots = platform.trust_roots()
    engine = create_engine(platform.url, pool_size=1, max_overflow=0)
    lost = 0
    try:
        async with session_factory(engine)() as session:
            for bid, body in accepted:
                answer = json.loads(body)
                row = await session.get(Bid, uuid.UUID(answer["bid"]["id"]))
                ok = row is not None and row.receipt == answer["receipt"] and row.ciphertext_sha256 == bid.sha256
                try:
                    verified = await verify_receipt_async(answer["receipt"].encode(), roots)
                    ok = ok and verified.payload["sha256"] == bid.sha256 and verified.payload["size"] == bid.size
                except ReceiptInvalid:
                    ok = False
                path = blobs.path_of(bid.sha256)
                ok = ok and path.is_file() and path.stat().st_size == bid.size
                ok = ok and await asyncio.to_thread(_file_sha256, path) == bid.sha256
                lost += not ok
    finally:
        await engine.dispose()
    return lost
