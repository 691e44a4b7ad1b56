"""Shamir k-of-n secret sharing over GF(2^8), byte by byte, for the per-bid escrow identity.

The shared value is the secret followed by a 16-byte SHA-256 tag of it, so a quorum that includes a wrong or
altered share fails loudly instead of rebuilding a wrong key. Fewer than k shares say nothing about the secret,
the tag included. Each share also carries a random split id, so shares from different splits are refused early.

Text form: ``sunbid-share-v1:<k>:<index>:<base64(split id || value)>:<checksum>``, the checksum being the first
8 hex digits of SHA-256 over everything before it (it catches typing and copy errors, it is not a MAC).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from signing.envelope import InvalidKey, recipient_of

PREFIX = "sunbid-share-v1"
SPLIT_ID_BYTES = 8
TAG_BYTES = 16
MAX_SHARES = 255


class ShareError(ValueError):
    """Base class for secret-sharing failures."""


class InvalidParameters(ShareError):
    """k and n must satisfy 1 <= k <= n <= 255, and the secret must not be empty."""


class MalformedShare(ShareError):
    """A share's text does not parse or its checksum does not match."""


class DuplicateShare(ShareError):
    """Two shares carry the same index."""


class MixedShares(ShareError):
    """The shares come from different splits (split id, threshold or length differ)."""


class TooFewShares(ShareError):
    """Fewer shares than the threshold were given."""


class ReconstructionFailed(ShareError):
    """The rebuilt value fails its tag: at least one share is wrong."""


def _tables() -> tuple[list[int], list[int]]:
    exp, log = [0] * 510, [0] * 256
    x = 1
    for i in range(255):
        exp[i] = x
        log[x] = i
        x ^= (x << 1) ^ (0x11B if x & 0x80 else 0)
    for i in range(255, 510):
        exp[i] = exp[i - 255]
    return exp, log


_EXP, _LOG = _tables()


def _mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def _div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("division by zero in GF(256)")
    if a == 0:
        return 0
    return _EXP[_LOG[a] + 255 - _LOG[b]]


def _lagrange_weights(xs: Sequence[int], at: int) -> list[int]:
    """Weights w_i with f(at) = sum w_i * f(x_i) for any polynomial of degree < len(xs)."""
    weights = []
    for i, xi in enumerate(xs):
        num, den = 1, 1
        for j, xj in enumerate(xs):
            if i != j:
                num = _mul(num, at ^ xj)
                den = _mul(den, xi ^ xj)
        weights.append(_div(num, den))
    return weights


def _interpolate(points: Sequence[tuple[int, bytes]], at: int = 0) -> bytes:
    """Byte-wise Lagrange interpolation through points, evaluated at x = at."""
    xs = [x for x, _ in points]
    weights = _lagrange_weights(xs, at)
    out = bytearray(len(points[0][1]))
    for w, (_, ys) in zip(weights, points, strict=True):
        for pos, y in enumerate(ys):
            out[pos] ^= _mul(w, y)
    return bytes(out)


def _tag(secret: bytes) -> bytes:
    return hashlib.sha256(PREFIX.encode() + b"\x00" + secret).digest()[:TAG_BYTES]


@dataclass(frozen=True)
class Share:
    """One point of the sharing polynomial; value is the tagged secret's image at x = index."""

    threshold: int
    index: int
    split_id: bytes
    value: bytes

    def encode(self) -> str:
        """The checksummed text form, safe to copy by hand or seal to a custodian."""
        body = base64.b64encode(self.split_id + self.value).decode()
        head = f"{PREFIX}:{self.threshold}:{self.index}:{body}"
        return f"{head}:{_checksum(head)}"

    @classmethod
    def decode(cls, text: str) -> Share:
        """Parse the text form, refusing any checksum or field error."""
        parts = text.strip().split(":")
        if len(parts) != 5 or parts[0] != PREFIX:
            raise MalformedShare(f"a share reads {PREFIX}:<k>:<index>:<base64>:<checksum>")
        head = ":".join(parts[:4])
        if not hmac.compare_digest(parts[4].lower(), _checksum(head)):
            raise MalformedShare("the share's checksum does not match (mistyped or altered)")
        try:
            threshold, index = int(parts[1]), int(parts[2])
            raw = base64.b64decode(parts[3], validate=True)
        except (ValueError, binascii.Error) as exc:
            raise MalformedShare("the share's fields do not parse") from exc
        if not (1 <= threshold <= MAX_SHARES and 1 <= index <= MAX_SHARES) or len(raw) <= SPLIT_ID_BYTES + TAG_BYTES:
            raise MalformedShare("the share's threshold, index or length is out of range")
        return cls(threshold, index, raw[:SPLIT_ID_BYTES], raw[SPLIT_ID_BYTES:])


def _checksum(head: str) -> str:
    return hashlib.sha256(head.encode()).hexdigest()[:8]


def split(secret: bytes, k: int, n: int) -> list[Share]:
    """n shares (indexes 1..n) of which any k rebuild the secret and any k-1 reveal nothing."""
    if not 1 <= k <= n <= MAX_SHARES:
        raise InvalidParameters(f"need 1 <= k <= n <= {MAX_SHARES}, got k={k}, n={n}")
    if not secret:
        raise InvalidParameters("the secret must not be empty")
    value = secret + _tag(secret)
    coefficients = [secrets.token_bytes(len(value)) for _ in range(k - 1)]
    split_id = secrets.token_bytes(SPLIT_ID_BYTES)
    shares = []
    for x in range(1, n + 1):
        out = bytearray(value)
        power = 1
        for coefficient in coefficients:
            power = _mul(power, x)
            for pos, c in enumerate(coefficient):
                out[pos] ^= _mul(c, power)
        shares.append(Share(k, x, split_id, bytes(out)))
    return shares


def _as_shares(shares: Iterable[Share | str]) -> list[Share]:
    return [s if isinstance(s, Share) else Share.decode(s) for s in shares]


def combine(shares: Iterable[Share | str]) -> bytes:
    """The secret from at least k shares of one split; shares beyond k must lie on the same polynomial."""
    parsed = _as_shares(shares)
    if not parsed:
        raise TooFewShares("no shares given")
    first = parsed[0]
    for share in parsed[1:]:
        if (share.split_id, share.threshold, len(share.value)) != (
            first.split_id,
            first.threshold,
            len(first.value),
        ):
            raise MixedShares("the shares do not come from the same split")
    indexes = [s.index for s in parsed]
    if len(set(indexes)) != len(indexes):
        raise DuplicateShare(f"duplicate share indexes: {sorted(i for i in set(indexes) if indexes.count(i) > 1)}")
    if len(parsed) < first.threshold:
        raise TooFewShares(f"{len(parsed)} shares given, {first.threshold} needed")
    quorum = [(s.index, s.value) for s in parsed[: first.threshold]]
    for extra in parsed[first.threshold :]:
        if not hmac.compare_digest(_interpolate(quorum, at=extra.index), extra.value):
            raise ReconstructionFailed("the shares are inconsistent: at least one share is wrong")
    value = _interpolate(quorum)
    secret, tag = value[:-TAG_BYTES], value[-TAG_BYTES:]
    if not hmac.compare_digest(tag, _tag(secret)):
        raise ReconstructionFailed("the rebuilt secret fails its check: at least one share is wrong")
    return secret


def split_age_identity(identity: str, k: int, n: int) -> list[str]:
    """Encoded shares of an age X25519 identity (the per-bid escrow key), one per custodian."""
    try:
        recipient_of(identity)
    except InvalidKey as exc:
        raise InvalidParameters("only a valid age X25519 identity can be split") from exc
    return [s.encode() for s in split(identity.strip().encode("ascii"), k, n)]


def combine_age_identity(shares: Iterable[Share | str]) -> str:
    """The age identity rebuilt from a quorum of shares, checked to be a usable X25519 identity."""
    secret = combine(shares)
    try:
        identity = secret.decode("ascii")
        recipient_of(identity)
    except (UnicodeDecodeError, InvalidKey) as exc:
        raise ReconstructionFailed("the shares rebuild a secret that is not an age identity") from exc
    return identity
