"""The bidder's side of a sealed bid: the package (manifest with the opening sheet, then files), its age envelope,
the escrow shares sealed one per custodian, and the statements the bidder signs. No network, no database.

The package is an uncompressed POSIX tar: `manifest.json` first, then `files/<name>`; any tar reader (and the
`age` command line tool for the envelope) can open it, so a bid does not depend on this software to be read.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import re
import reprlib
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from signing import jcs
from signing.envelope import AgeIdentity, generate_identity, is_age_file, open_stream, seal_stream
from signing.shamir import split_age_identity
from signing.statements import canonical_json

PACKAGE_FORMAT = "sunbid-bid-package/v1"
ESCROW_FORMAT = "sunbid-escrow/v1"
SUBMISSION_TYPE = "sunbid.bid-submission/v1"
WITHDRAWAL_TYPE = "sunbid.bid-withdrawal/v1"
WITHDRAWAL_RECEIPT_TYPE = "sunbid.bid-withdrawal-receipt/v1"
MANIFEST_NAME = "manifest.json"
READ_CHUNK = 1024 * 1024

Progress = Callable[[int], None]


_SHORT = reprlib.Repr()
_SHORT.maxstring = 80
_SHORT.maxother = 80


def _short(value: Any) -> str:
    """A value another client sealed, quoted and cut short: it ends up in opening messages and the journal."""
    return _SHORT.repr(value)


_PRICE = re.compile(r"(0|[1-9][0-9]{0,15})(\.[0-9]{1,2})?")
PEEK_LIMIT = 256 * 1024
"""Plaintext decrypted to read a package's manifest (its first tar member) without opening the whole bid."""
PEEK_CEILING = 64 * 1024 * 1024
"""The most plaintext decrypted for a manifest, whatever size the first tar header claims."""


@dataclass(frozen=True)
class OpeningSheet:
    """开标一览表: what is read out at the opening (唱标); checked here, since nobody can read it before then."""

    price: str
    duration_days: int
    quality: str

    def __post_init__(self) -> None:
        """Refuse a sheet the opening could not read out: the price, the days and the commitment are checked."""
        if not _PRICE.fullmatch(self.price) or Decimal(self.price) <= 0:
            raise ValueError(f"price {_short(self.price)} is not a positive amount in yuan with at most 2 decimals")
        if isinstance(self.duration_days, bool) or not isinstance(self.duration_days, int) or self.duration_days < 1:
            raise ValueError(f"duration {_short(self.duration_days)} is not a whole number of days of at least 1")
        if not self.quality.strip():
            raise ValueError("the quality commitment is empty")

    def as_json(self) -> dict[str, Any]:
        """The sheet as it appears in the manifest."""
        return {"price": self.price, "duration_days": self.duration_days, "quality": self.quality}

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> OpeningSheet:
        """The manifest's sheet as sealed by any client; ValueError or TypeError naming what cannot be read out."""
        sheet = manifest.get("opening_sheet")
        if not isinstance(sheet, dict):
            raise TypeError("the manifest has no opening sheet")
        fields = {"price", "duration_days", "quality"}
        if missing := sorted(fields - set(sheet)):
            raise ValueError(f"the opening sheet lacks {', '.join(missing)}")
        if unknown := sorted(set(sheet) - fields):
            raise ValueError(f"the opening sheet has unknown fields {', '.join(map(_short, unknown[:5]))}")
        price, duration, quality = sheet["price"], sheet["duration_days"], sheet["quality"]
        if not isinstance(price, str):
            raise TypeError(f"price {_short(price)} is not a string of yuan such as '11800000.00'")
        if not isinstance(quality, str):
            raise TypeError(f"quality {_short(quality)} is not text")
        return cls(price, duration, quality)


def file_digest(path: Path) -> tuple[str, int]:
    """(SHA-256 hex, size) of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def build_manifest(tender: str, lot: int, bidder: str, sheet: OpeningSheet, files: Sequence[Path]) -> dict[str, Any]:
    """The manifest: which tender and lot, the opening sheet, and each file's name, size and SHA-256."""
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise ValueError("two files share a name; rename one")
    listed = []
    for path in files:
        sha256, size = file_digest(path)
        listed.append({"name": path.name, "sha256": sha256, "size": size})
    return {
        "format": PACKAGE_FORMAT,
        "tender": tender,
        "lot": lot,
        "bidder": bidder,
        "opening_sheet": sheet.as_json(),
        "files": listed,
    }


def write_package(manifest: dict[str, Any], files: Sequence[Path], out: BinaryIO) -> None:
    """Stream the tar package to out, one file at a time, never holding a file in memory."""
    body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(MANIFEST_NAME)
        info.size = len(body)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(body))
        for path in files:
            info = tarfile.TarInfo(f"files/{path.name}")
            info.size = path.stat().st_size
            info.mode = 0o644
            with path.open("rb") as fh:
                tar.addfile(info, fh)


def read_manifest(package: BinaryIO) -> dict[str, Any]:
    """The manifest of an opened package (its first member)."""
    with tarfile.open(fileobj=package, mode="r|") as tar:
        for member in tar:
            if member.name == MANIFEST_NAME:
                extracted = tar.extractfile(member)
                if extracted is None:
                    break
                manifest: dict[str, Any] = json.loads(extracted.read())
                return manifest
    raise ValueError(f"the package has no {MANIFEST_NAME}")


class _EnoughRead(Exception):
    """Raised by the peek sink once it holds enough plaintext; never escapes peek_manifest."""


class _HeadSink:
    """Collects plaintext until the manifest (the first tar member) is whole, then stops the decryption."""

    def __init__(self) -> None:
        self.data = bytearray()
        self._limit = PEEK_LIMIT

    def write(self, data: bytes) -> int:
        sized = len(self.data) >= tarfile.BLOCKSIZE
        self.data += data
        if not sized and len(self.data) >= tarfile.BLOCKSIZE:
            self._limit = max(PEEK_LIMIT, min(_first_member_end(bytes(self.data)), PEEK_CEILING))
        if len(self.data) >= self._limit:
            raise _EnoughRead
        return len(data)

    def flush(self) -> None:
        return None


def _first_member_end(head: bytes) -> int:
    """Where the first member of a tar ends (its header and its padded data), or 0 if the header does not parse."""
    try:
        info = tarfile.TarInfo.frombuf(head[: tarfile.BLOCKSIZE], "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return 0
    return tarfile.BLOCKSIZE + -(-info.size // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE


def peek_manifest(sealed: BinaryIO, identity: str) -> dict[str, Any]:
    """The manifest of a sealed bid, decrypting only its first chunks; WrongIdentity if identity cannot open it."""
    sink = _HeadSink()
    with contextlib.suppress(_EnoughRead):
        open_stream(sealed, sink, identity)  # type: ignore[arg-type]
    return read_manifest(io.BytesIO(bytes(sink.data)))


class _CountingReader:
    """Reports bytes read to a progress callback, so sealing a large package can show a bar."""

    def __init__(self, inner: BinaryIO, progress: Progress | None) -> None:
        self._inner = inner
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self._inner.read(size)
        if self._progress is not None and data:
            self._progress(len(data))
        return data


class _HashingWriter:
    """Hashes and counts what it writes, so the envelope's SHA-256 comes out of the sealing pass itself."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        written = self._inner.write(data)
        return len(data) if written is None else written

    def flush(self) -> None:
        self._inner.flush()


def seal_package(
    package: BinaryIO, out: BinaryIO, recipients: Sequence[str], progress: Progress | None = None
) -> tuple[str, int]:
    """Seal the package to the bidder's per-tender recipient and the escrow recipient; returns (sha256, size)."""
    writer = _HashingWriter(out)
    seal_stream(_CountingReader(package, progress), writer, recipients)  # type: ignore[arg-type]
    return writer.digest.hexdigest(), writer.size


@dataclass(frozen=True)
class Custodian:
    """A tender's escrow custodian as the API lists it."""

    organization_id: str
    recipient: str


def escrow_bundle(escrow: AgeIdentity, custodians: Sequence[Custodian], quorum: int) -> bytes:
    """Canonical JSON: the escrow identity split k-of-n, each share sealed to exactly one custodian."""
    shares = split_age_identity(escrow.secret, quorum, len(custodians))
    sealed = []
    for custodian, share in zip(custodians, shares, strict=True):
        out = io.BytesIO()
        seal_stream(io.BytesIO(share.encode()), out, [custodian.recipient])
        sealed.append(
            {
                "custodian": custodian.organization_id,
                "recipient": custodian.recipient,
                "sealed": base64.b64encode(out.getvalue()).decode(),
            }
        )
    return canonical_json({"format": ESCROW_FORMAT, "quorum": quorum, "shares": sealed})


def parse_escrow_bundle(data: bytes) -> dict[str, Any]:
    """The bundle's JSON, checked for shape: every share is an age file sealed to a named custodian."""
    try:
        bundle = jcs.loads(data)
    except RecursionError as exc:
        raise ValueError("the escrow bundle is nested too deeply") from exc
    if not isinstance(bundle, dict) or bundle.get("format") != ESCROW_FORMAT:
        raise ValueError(f"not a {ESCROW_FORMAT} bundle")
    if canonical_json(bundle) != data:
        raise ValueError("the escrow bundle is not in canonical form")
    shares = bundle.get("shares")
    if not isinstance(shares, list) or not isinstance(bundle.get("quorum"), int):
        raise ValueError("the escrow bundle needs an integer quorum and a list of shares")  # noqa: TRY004
    for share in shares:
        if not isinstance(share, dict) or set(share) != {"custodian", "recipient", "sealed"}:
            raise ValueError("each escrow share names custodian, recipient and sealed")
        if not all(isinstance(share[k], str) for k in share):
            raise ValueError("escrow share fields are strings")
        if not is_age_file(base64.b64decode(share["sealed"], validate=True)):
            raise ValueError("an escrow share is not sealed in an age envelope")
    return bundle


def new_escrow_identity() -> AgeIdentity:
    """A fresh per-bid escrow identity; the caller drops it once the shares are sealed."""
    return generate_identity()


def submission_payload(
    *,
    tender: str,
    lot: int,
    bidder: str,
    sha256: str,
    size: int,
    recipient: str,
    version: int,
    escrow: bytes,
) -> dict[str, Any]:
    """What the bidder signs: this ciphertext, for this tender and lot, as this version, with these shares."""
    return {
        "type": SUBMISSION_TYPE,
        "tender": tender,
        "lot": lot,
        "bidder": bidder,
        "sha256": sha256,
        "size": size,
        "recipient": recipient,
        "version": version,
        "escrow_sha256": hashlib.sha256(escrow).hexdigest(),
    }


def withdrawal_payload(*, bid: str, tender: str, lot: int, bidder: str, version: int) -> dict[str, Any]:
    """What the bidder signs to withdraw one live bid version."""
    return {"type": WITHDRAWAL_TYPE, "bid": bid, "tender": tender, "lot": lot, "bidder": bidder, "version": version}
