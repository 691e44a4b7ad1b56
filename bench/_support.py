"""Shared pieces of the upload benchmarks: an embedded database with many certified bidders, sealed bids built
before timing, the platform and a minimal ASGI baseline served by the same uvicorn, a raw HTTP/1.1 client, RSS.

Top-level imports are the standard library only, so `uvicorn --app-dir bench _support:app` (the baseline) starts
as light as an app can; the platform modules are imported inside the functions that need them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "bench"
BASELINE_DIR_ENV = "BENCH_BASELINE_DIR"
CA_NAME = "Sunbid Development CA"
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 1)))
"""Server processes for the platform and the baseline alike: production runs one per core (`serve --workers`)."""


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only name=value lines."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- the baseline: the physically necessary work of an upload, nothing else ---------------------------------------


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Minimal ASGI app: POST streams the body to a file beside the blob store, SHA-256s it, fsyncs it, answers 201.

    GET answers 200 (readiness probe). Writes and hashing happen inline per chunk; only fsync leaves the loop.
    """
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if scope["method"] != "POST":
        await _answer(send, 200, b'{"status":"ok"}')
        return
    directory = Path(os.environ[BASELINE_DIR_ENV])
    fd = os.open(directory / f"{uuid.uuid4().hex}.part", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    digest, size = hashlib.sha256(), 0
    try:
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if body:
                digest.update(body)
                size += len(body)
                view = memoryview(body)
                while view:
                    view = view[os.write(fd, view) :]
        await asyncio.to_thread(os.fsync, fd)
    finally:
        os.close(fd)
    await _answer(send, 201, json.dumps({"sha256": digest.hexdigest(), "size": size}).encode())


async def _answer(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# --- servers -------------------------------------------------------------------------------------------------------


class Server:
    """A server subprocess on 127.0.0.1:port, ready once GET probe answers 200."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], *, port: int, probe: str, log: Path) -> None:
        self.name, self.command, self.env, self.port, self.probe, self.log = name, command, env, port, probe, log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The server's process id (with one worker uvicorn serves in it; with more, they are its children)."""
        if self.process is None:
            raise RuntimeError(f"{self.name} is not running")
        return self.process.pid

    def start(self, timeout: float = 120.0) -> Server:
        """Start and wait for the probe."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                if http_get(self.port, self.probe) == 200:
                    return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout}s: {self.log.read_text()[-3000:]}")

    def stop(self, *, kill: bool = False) -> None:
        """Graceful stop (SIGTERM), or SIGKILL to the whole process group (server and workers) as a crash would."""
        if self.process is None or self.process.poll() is not None:
            return
        if kill:
            os.killpg(self.process.pid, signal.SIGKILL)
        else:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def http_get(port: int, path: str) -> int:
    """Status of a plain GET (readiness probe)."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = sock.recv(64)
    return int(data.split(b" ", 2)[1])


def platform_server(database_url: str, data_dir: Path, port: int, *, workers: int = WORKERS) -> Server:
    """`python -m sunbid serve` as in production (development mode for the demo clock, log level WARNING)."""
    env = {
        **os.environ,
        "SUNBID_MODE": "development",
        "SUNBID_DATABASE_URL": database_url,
        "SUNBID_DATA_DIR": str(data_dir),
        "SUNBID_PORT": str(port),
        "SUNBID_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "sunbid", "serve", "--workers", str(workers)]
    return Server("platform", command, env, port=port, probe="/health", log=data_dir / "platform-server.log")


def baseline_server(directory: Path, port: int, *, workers: int = WORKERS) -> Server:
    """The minimal app on uvicorn with the flags `sunbid serve` passes (one worker, no access log, no log config)."""
    directory.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, BASELINE_DIR_ENV: str(directory)}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(BENCH_DIR),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--ws",
        "websockets-sansio",
        "--workers",
        str(workers),
        "_support:app",
    ]
    return Server("baseline", command, env, port=port, probe="/", log=directory.parent / "baseline-server.log")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found.extend(int(c) for c in (task / "children").read_text().split())
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (the workers of `serve --workers N`)."""
    total = 0.0
    for each in (pid, *_children(pid)):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def settle(pid: int, idle_fraction: float = 0.05, limit: float = 15.0) -> None:
    """Wait until the process is (nearly) idle, so background work of a previous round does not spill over."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(0.5)
        if cpu_seconds(pid) - before < 0.5 * idle_fraction:
            return


# --- the platform's data: database, keys, custodians, bidders -------------------------------------------------------


@dataclass
class BenchBidder:
    """A bidder organization with one user, its bearer token, its certified key and its per-tender age identity."""

    username: str
    organization_id: str
    token: str
    key: Any  # ec.EllipticCurvePrivateKey
    certificate: Any  # x509.Certificate
    identity: Any  # signing.envelope.AgeIdentity


@dataclass
class BenchPlatform:
    """What the benchmark needs to know about the prepared platform."""

    root: Path
    pgdata: Path
    data_dir: Path
    url: str
    tender_id: str = ""
    quorum: int = 0
    custodians: list[Any] = field(default_factory=list)  # signing.sealed_bid.Custodian
    bidders: list[BenchBidder] = field(default_factory=list)

    @property
    def bid_blobs(self) -> Path:
        """Where the platform keeps bid ciphertext."""
        return self.data_dir / "blobs" / "bids"

    @property
    def baseline_dir(self) -> Path:
        """The baseline's files, beside the blob store (same file system)."""
        return self.data_dir / "blobs" / "baseline"

    def trust_roots(self) -> list[Any]:
        """The platform CA certificate."""
        from cryptography import x509

        return [x509.load_pem_x509_certificate((self.data_dir / "platform" / "ca" / "ca.pem").read_bytes())]


@contextlib.contextmanager
def embedded_platform(prefix: str) -> Iterator[BenchPlatform]:
    """A temp dir with a started, migrated embedded PostgreSQL and platform keys; everything removed afterwards."""
    from core.database import ensure_database_exists, migrate
    from core.embedded import asyncpg_url, start_embedded, stop_embedded

    root = Path(tempfile.mkdtemp(prefix=prefix, dir=os.environ.get("BENCH_TMP")))
    pgdata, data_dir = root / "pgdata", root / "data"
    data_dir.mkdir()
    try:
        log(f"embedded PostgreSQL in {pgdata}")
        url = asyncpg_url(start_embedded(pgdata), "bench")
        asyncio.run(ensure_database_exists(url))
        migrate(url)
        yield BenchPlatform(root, pgdata, data_dir, url)
    finally:
        stop_embedded(pgdata)
        shutil.rmtree(root, ignore_errors=True)


def _make_platform_keys(data_dir: Path) -> Any:
    from signing.ca import load_or_create_ca
    from signing.receipts import load_or_create_receipt_signer
    from signing.tsa import load_or_create_tsa

    keys = data_dir / "platform"
    ca = load_or_create_ca(keys / "ca", CA_NAME)
    load_or_create_tsa(keys / "tsa", ca)
    load_or_create_receipt_signer(keys / "receipts", ca)
    return ca


def populate(platform: BenchPlatform, bidders: int) -> None:
    """Demo seed (its published tender), custodian recipients, and `bidders` bidder organizations with one user each.

    Parties go in through core.identity.services and certificates through trading.parties.services.certify_key with
    the platform CA; bearer tokens are stored as a sign-in stores them (hash only). The bidders' keys stay here.
    Passwords are hashed with a cheap argon2 setting: nobody signs in with them (the tokens are made directly).
    """
    os.environ["SUNBID_DATA_DIR"] = str(platform.data_dir)
    os.environ["SUNBID_MODE"] = "development"
    from core.settings import get_settings

    get_settings.cache_clear()
    ca = _make_platform_keys(platform.data_dir)
    asyncio.run(_populate(platform, ca, bidders))


async def _populate(platform: BenchPlatform, ca: Any, count: int) -> None:
    from argon2 import PasswordHasher
    from cryptography.hazmat.primitives.asymmetric import ec
    from sqlalchemy import select

    import core.identity.services as identity
    from core.database import set_clock_mode
    from core.db import create_engine, db_now, session_factory
    from core.identity.models import AuthToken, User
    from core.identity.roles import PRIMARY_ROLE, OrgType
    from core.identity.usci import make_credit_code
    from core.settings import Mode
    from signing.ca import make_csr
    from signing.envelope import generate_identity
    from signing.sealed_bid import Custodian
    from sunbid.seed import seed_demo
    from trading.parties.services import certify_key, register_age_recipient
    from trading.tenders.models import Tender

    identity._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    await set_clock_mode(platform.url, Mode.DEVELOPMENT)
    engine = create_engine(platform.url, pool_size=1, max_overflow=0)
    factory = session_factory(engine)
    try:
        async with factory() as session, session.begin():
            await seed_demo(session)
        async with factory() as session, session.begin():
            for username in ("agency", "regulator", "notary"):
                user = (await session.scalars(select(User).where(User.username == username))).one()
                await register_age_recipient(
                    session, identity.principal_of(user), generate_identity().recipient, "custodian"
                )
            tender = (await session.scalars(select(Tender).where(Tender.status == "published"))).one()
            platform.tender_id, platform.quorum = str(tender.id), tender.escrow_quorum
            from bidding.bids.views import escrow_recipients

            platform.custodians = [
                Custodian(str(c.organization_id), c.recipient) for c in await escrow_recipients(session, tender)
            ]
        log(f"creating {count} bidders")
        async with factory() as session, session.begin():
            now = await db_now(session)
            for i in range(count):
                username = f"benchbidder{i:04d}"
                org = await identity.create_organization(
                    session,
                    name=f"基准投标人{i:04d}有限公司",
                    credit_code=make_credit_code(f"91330100MA1{i:06d}"),
                    org_type=OrgType.BIDDER,
                    region="330100",
                )
                user = await identity.create_user(
                    session,
                    organization_id=org.id,
                    username=username,
                    display_name=f"投标人 {i:04d}",
                    password=secrets.token_urlsafe(12),
                    roles=[PRIMARY_ROLE[OrgType.BIDDER]],
                )
                await session.refresh(user, ["organization"])
                key = ec.generate_private_key(ec.SECP256R1())
                issued = await certify_key(session, ca, identity.principal_of(user), make_csr(key, username))
                token = secrets.token_urlsafe(32)
                session.add(
                    AuthToken(
                        token_sha256=hashlib.sha256(token.encode()).digest(),
                        user_id=user.id,
                        expires_at=now + timedelta(days=1),
                    )
                )
                from cryptography import x509

                platform.bidders.append(
                    BenchBidder(
                        username,
                        str(org.id),
                        token,
                        key,
                        x509.load_pem_x509_certificate(issued.certificate_pem.encode()),
                        generate_identity(),
                    )
                )
    finally:
        await engine.dispose()


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


# --- memory ---------------------------------------------------------------------------------------------------------


def vm_kib(pid: int, field_name: str) -> int:
    """A /proc/<pid>/status field in KiB (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise KeyError(field_name)


class RssSampler:
    """Polls VmRSS of a process in a thread; `peak` is the highest value seen since start()."""

    def __init__(self, pid: int, interval: float = 0.005) -> None:
        self.pid, self.interval = pid, interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, vm_kib(self.pid, "VmRSS"))
            time.sleep(self.interval)

    def __enter__(self) -> RssSampler:
        self.peak = vm_kib(self.pid, "VmRSS")
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, vm_kib(self.pid, "VmRSS"))
