"""What the opening needs besides a session: the sealed blobs, the decryption pool and the platform CA."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from bidding.bids.storage import BidBlobs
from bidding.opening.decrypt import Decryptor


@dataclass(frozen=True)
class OpeningContext:
    """Built once per process (app lifespan, worker start); opened packages live under `opened_dir`."""

    blobs: BidBlobs
    opened_dir: Path
    decryptor: Decryptor
    ca: x509.Certificate

    def package_path(self, bid_id: object) -> Path:
        """Where the opened, checked package of a bid is kept for the evaluation."""
        return self.opened_dir / f"{bid_id}.tar"


_context: OpeningContext | None = None


def configure(context: OpeningContext) -> None:
    """Install the process's opening context."""
    global _context  # noqa: PLW0603 (one context per process, set at start)
    _context = context


def configured() -> bool:
    """Whether this process has an opening context yet."""
    return _context is not None


def current() -> OpeningContext:
    """The process's opening context; RuntimeError before configure()."""
    if _context is None:
        raise RuntimeError("the opening context is not configured (sunbid.opening_wiring.configure_opening)")
    return _context
