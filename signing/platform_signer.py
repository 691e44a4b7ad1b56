"""The platform's own statement-signing key (ECDSA P-256) and its certificate from the platform CA, kept on disk.

It signs what the platform itself declares (guarantee releases and claims); users' keys never live here.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from signing.ca import CertificateAuthority, issue_certificate, make_csr
from signing.key_files import Created, load_or_create, private_pem

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

    def load() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = serialization.load_pem_private_key((directory / KEY_FILE).read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError(f"{directory / KEY_FILE} is not an EC key")
        return key, x509.load_pem_x509_certificate((directory / CERT_FILE).read_bytes())

    def create() -> Created[tuple[ec.EllipticCurvePrivateKey, x509.Certificate]]:
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = issue_certificate(
            ca,
            make_csr(key, common_name),
            common_name=common_name,
            organization="Sunbid",
            organization_identifier=organization_identifier,
        )
        pem = certificate.public_bytes(serialization.Encoding.PEM)
        return Created((key, certificate), {KEY_FILE: private_pem(key)}, {CERT_FILE: pem})

    return load_or_create(directory, [KEY_FILE, CERT_FILE], load, create)
