"""The platform's Ed25519 checkpoint key: a PEM file under settings.platform_key_dir, never in the database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signing.checkpoint import format_vkey
from signing.key_files import Created, load_or_create, private_pem

KEY_FILE = "ledger-ed25519.pem"


@dataclass(frozen=True)
class LedgerKey:
    """The signer of checkpoints; `name` is the log origin, as C2SP tlog-checkpoint suggests."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def vkey(self) -> str:
        """The verifier key string auditors pin."""
        return format_vkey(self.name, self.private_key.public_key())


def load_or_create_ledger_key(key_dir: Path, origin: str) -> LedgerKey:
    """Read the key, or create it (owner-only permissions) on first use."""

    def load() -> LedgerKey:
        loaded = serialization.load_pem_private_key((key_dir / KEY_FILE).read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise TypeError(f"{key_dir / KEY_FILE} does not hold an Ed25519 private key")
        return LedgerKey(origin, loaded)

    def create() -> Created[LedgerKey]:
        key = Ed25519PrivateKey.generate()
        return Created(LedgerKey(origin, key), {KEY_FILE: private_pem(key)})

    return load_or_create(key_dir, [KEY_FILE], load, create)
