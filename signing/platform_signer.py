"""The platform's own statement-signing key (ECDSA P-256) and its certificate from the platform CA, kept on disk.

It signs what the platform itself declares (guarantee releases and claims); users' keys never live here.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from signing.ca import CertificateAuthority, issue_certificate, make_csr

KEY_FILE = "statements.key"
CERT_FILE = "statements.pem"


def load_or_create_platform_signer(
    directory: Path,
    ca: CertificateAuthority,
    *,
    common_name: str = "Sunbid Platform Statements",
    organization_identifier: str = "SUNBID-PLATFORM",
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The key (mode 0600) and certificate in directory, created and certified by ca on first use."""
    key_path, cert_path = directory / KEY_FILE, directory / CERT_FILE
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError(f"{key_path} is not an EC key")
        return key, x509.load_pem_x509_certificate(cert_path.read_bytes())
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = issue_certificate(
        ca,
        make_csr(key, common_name),
        common_name=common_name,
        organization="Sunbid",
        organization_identifier=organization_identifier,
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert
