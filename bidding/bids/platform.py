"""The platform side of bidding: the bid blob store, the receipt key, the TSA and the trust roots, built once."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from bidding.bids.storage import BidBlobs
from core.settings import Settings
from signing.ca import CertificateAuthority
from signing.receipts import ReceiptSigner, load_or_create_receipt_signer
from signing.tsa import TimeStampAuthority, external_tsa, load_or_create_tsa


@dataclass(frozen=True)
class BidPlatform:
    """Everything the bid services need besides a session; the receipt key is the platform's, never a user's."""

    blobs: BidBlobs
    signer: ReceiptSigner
    tsa: TimeStampAuthority
    trust_roots: list[x509.Certificate]
    max_bytes: int


def build_platform(settings: Settings, ca: CertificateAuthority) -> BidPlatform:
    """Load (or create on first start) the receipt key and TSA under the platform key dir."""
    keys = settings.platform_key_dir
    tsa = external_tsa(settings.tsa_url) if settings.tsa_url else load_or_create_tsa(keys / "tsa", ca)
    return BidPlatform(
        blobs=BidBlobs(settings.blob_dir / "bids"),
        signer=load_or_create_receipt_signer(keys / "receipts", ca),
        tsa=tsa,
        trust_roots=[ca.certificate],
        max_bytes=settings.max_bid_bytes,
    )
