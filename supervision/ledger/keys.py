"""The platform's Ed25519 checkpoint key: a PEM file under settings.platform_key_dir, never in the database."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signing.checkpoint import format_vkey

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
    path = key_dir / KEY_FILE
    if path.exists():
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 private key")
        return LedgerKey(origin, loaded)
    key_dir.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    try:
        os.link(tmp, path)
    except FileExistsError:
        tmp.unlink()
        return load_or_create_ledger_key(key_dir, origin)
    tmp.unlink()
    return LedgerKey(origin, key)
