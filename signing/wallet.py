"""The client's local wallet: its ECDSA P-256 signing key, its certificate and its age identities never leave it.

Layout of a wallet directory (mode 0700, secret files 0600, written atomically):

- ``wallet.json``: format and the scrypt parameters and salt (not secret).
- ``signing-key.pem``: PKCS#8 encrypted private key.
- ``age-identities.enc``: labelled age identities, AES-256-GCM.
- ``certificate.pem``: the certificate the platform's CA issued for the signing key, once stored.

The passphrase is stretched once with scrypt; the PKCS#8 password and the identities key are derived from that
master secret with HKDF. PKCS#8 alone would protect the key with 2048 PBKDF2 rounds, too cheap to guess against.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from signing.envelope import generate_identity, recipient_of

FORMAT = "sunbid-wallet-v1"
META_FILE = "wallet.json"
KEY_FILE = "signing-key.pem"
CERT_FILE = "certificate.pem"
IDENTITIES_FILE = "age-identities.enc"
DEFAULT_SCRYPT_LOG_N = 17
MIN_SCRYPT_LOG_N = 14
MAX_SCRYPT_LOG_N = 20
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}")


class WalletError(Exception):
    """Base class for wallet failures."""


class WalletLocked(WalletError):
    """The passphrase does not open this wallet."""


class WalletNotFound(WalletError):
    """The directory holds no wallet."""


class WalletExists(WalletError):
    """A wallet (or other files) already occupies the directory; a key is never overwritten."""


class UnknownLabel(WalletError, KeyError):
    """No age identity is stored under this label."""


def _write_private(path: Path, data: bytes) -> None:
    """Replace path with data atomically, created 0600 so no other user can ever read a partial secret."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _derive(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"{FORMAT}/{purpose}".encode()).derive(master)


def _stretch(passphrase: str, meta: dict[str, Any]) -> bytes:
    try:
        log_n, salt = meta["scrypt"]["log_n"], base64.b64decode(meta["scrypt"]["salt"], validate=True)
    except (KeyError, TypeError, ValueError) as exc:
        raise WalletError(f"{META_FILE} lacks valid scrypt parameters") from exc
    if not isinstance(log_n, int) or not MIN_SCRYPT_LOG_N <= log_n <= MAX_SCRYPT_LOG_N:
        raise WalletError(f"{META_FILE} has an unacceptable scrypt cost {log_n!r}")
    return Scrypt(salt=salt, length=32, n=2**log_n, r=8, p=1).derive(passphrase.encode("utf-8"))


def _key_password(master: bytes) -> bytes:
    return base64.b64encode(_derive(master, "signing-key"))


class Wallet:
    """An opened wallet; holds the decrypted keys in memory for the life of the object."""

    def __init__(
        self,
        directory: Path,
        signing_key: ec.EllipticCurvePrivateKey,
        identities_key: bytes,
        identities: dict[str, str],
    ) -> None:
        self.directory = directory
        self._signing_key = signing_key
        self._identities_key = identities_key
        self._identities = identities

    def __repr__(self) -> str:
        return f"Wallet({str(self.directory)!r}, labels={self.labels()!r})"

    @classmethod
    def create(
        cls, directory: str | os.PathLike[str], passphrase: str, *, scrypt_log_n: int = DEFAULT_SCRYPT_LOG_N
    ) -> Wallet:
        """A new wallet with a fresh P-256 signing key and no age identities yet."""
        path = Path(directory)
        if not passphrase:
            raise ValueError("a wallet needs a non-empty passphrase")
        if path.exists() and any(path.iterdir()):
            raise WalletExists(f"{path} is not empty")
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)
        meta = {
            "format": FORMAT,
            "scrypt": {
                "log_n": scrypt_log_n,
                "r": 8,
                "p": 1,
                "salt": base64.b64encode(secrets.token_bytes(16)).decode(),
            },
        }
        master = _stretch(passphrase, meta)
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(_key_password(master)),
        )
        wallet = cls(path, key, _derive(master, "age-identities"), {})
        _write_private(path / META_FILE, json.dumps(meta, indent=2).encode() + b"\n")
        _write_private(path / KEY_FILE, pem)
        wallet._save_identities()
        return wallet

    @classmethod
    def open(cls, directory: str | os.PathLike[str], passphrase: str) -> Wallet:
        """Unlock an existing wallet; a wrong passphrase raises WalletLocked."""
        path = Path(directory)
        try:
            meta = json.loads((path / META_FILE).read_text())
            pem = (path / KEY_FILE).read_bytes()
            sealed = (path / IDENTITIES_FILE).read_bytes()
        except FileNotFoundError as exc:
            raise WalletNotFound(f"no wallet in {path}") from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise WalletError(f"{path / META_FILE} is not a {FORMAT} wallet")
        master = _stretch(passphrase, meta)
        try:
            key = serialization.load_pem_private_key(pem, password=_key_password(master))
        except ValueError as exc:
            raise WalletLocked("wrong passphrase for this wallet") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise WalletError("the wallet's signing key is not an EC key")
        identities_key = _derive(master, "age-identities")
        try:
            nonce, ciphertext = sealed[:12], sealed[12:]
            plain = AESGCM(identities_key).decrypt(nonce, ciphertext, FORMAT.encode())
        except InvalidTag as exc:
            raise WalletError("the age identities file is corrupt or belongs to another wallet") from exc
        identities = json.loads(plain)["identities"]
        return cls(path, key, identities_key, identities)

    def _save_identities(self) -> None:
        nonce = secrets.token_bytes(12)
        plain = json.dumps({"identities": self._identities}, sort_keys=True).encode()
        sealed = nonce + AESGCM(self._identities_key).encrypt(nonce, plain, FORMAT.encode())
        _write_private(self.directory / IDENTITIES_FILE, sealed)

    @property
    def signing_key(self) -> ec.EllipticCurvePrivateKey:
        """The ECDSA P-256 key that signs this user's statements."""
        return self._signing_key

    @property
    def certificate(self) -> x509.Certificate | None:
        """The stored certificate for the signing key, if the platform has issued one."""
        try:
            return x509.load_pem_x509_certificate((self.directory / CERT_FILE).read_bytes())
        except FileNotFoundError:
            return None

    def store_certificate(self, pem: str | bytes) -> x509.Certificate:
        """Keep the issued certificate, refusing one that certifies a different key."""
        data = pem.encode() if isinstance(pem, str) else pem
        try:
            cert = x509.load_pem_x509_certificate(data)
        except ValueError as exc:
            raise WalletError("not a PEM certificate") from exc
        spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        if cert.public_key().public_bytes(*spki) != self._signing_key.public_key().public_bytes(*spki):
            raise WalletError("the certificate is for another key than this wallet's signing key")
        _write_private(self.directory / CERT_FILE, cert.public_bytes(serialization.Encoding.PEM))
        return cert

    def new_age_identity(self, label: str) -> str:
        """Generate and store an age identity under a new label (e.g. bid:<tender>); returns its recipient."""
        if not _LABEL.fullmatch(label):
            raise ValueError(f"invalid label {label!r}: letters, digits and ._:@/- only, at most 128")
        if label in self._identities:
            raise WalletExists(f"an age identity is already stored under {label!r}")
        identity = generate_identity()
        self._identities[label] = identity.secret
        try:
            self._save_identities()
        except BaseException:
            del self._identities[label]
            raise
        return identity.recipient

    def age_identity(self, label: str) -> str:
        """The secret age identity stored under label."""
        try:
            return self._identities[label]
        except KeyError:
            raise UnknownLabel(label) from None

    def age_recipient(self, label: str) -> str:
        """The public recipient of the identity stored under label."""
        return recipient_of(self.age_identity(label))

    def labels(self) -> list[str]:
        """Stored identity labels, sorted."""
        return sorted(self._identities)
