"""The platform's development CA: issues X.509 certificates for client-generated ECDSA P-256 keys from their CSRs.

Production deployments configure external CAs as trust roots instead; this CA's private key is the platform's own,
kept on disk under the data dir, and no user's private key ever reaches it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signing.key_files import Created, load_or_create, private_pem

CA_VALIDITY = dt.timedelta(days=3650)
LEAF_VALIDITY = dt.timedelta(days=730)


SIGNING_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)
"""Key usage of every end-entity certificate the platform issues: signatures with non-repudiation, nothing else."""


class CertificateRequestRefused(ValueError):
    """The CSR is malformed, badly signed, or uses a key type the platform does not accept."""


@dataclass(frozen=True)
class CertificateAuthority:
    """A CA key and its self-signed certificate."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @property
    def certificate_pem(self) -> str:
        """The CA certificate in PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_ca(
    common_name: str, organization: str = "Sunbid", *, now: dt.datetime | None = None
) -> CertificateAuthority:
    """A new self-signed ECDSA P-256 CA."""
    now = now or _utcnow()
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertificateAuthority(key=key, certificate=cert)


def load_or_create_ca(directory: Path, common_name: str, organization: str = "Sunbid") -> CertificateAuthority:
    """Load the CA stored in directory (ca.key, ca.pem) or create and store one (key file mode 0600)."""

    def load() -> CertificateAuthority:
        key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError(f"{directory / 'ca.key'} is not an EC key")
        return CertificateAuthority(key, x509.load_pem_x509_certificate((directory / "ca.pem").read_bytes()))

    def create() -> Created[CertificateAuthority]:
        ca = create_ca(common_name, organization)
        return Created(ca, {"ca.key": private_pem(ca.key)}, {"ca.pem": ca.certificate_pem.encode()})

    return load_or_create(directory, ["ca.key", "ca.pem"], load, create)


def make_csr(key: ec.EllipticCurvePrivateKey, common_name: str) -> str:
    """A PEM certificate request for key (the client side of `sunbid keys init`)."""
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def issue_certificate(
    ca: CertificateAuthority,
    csr_pem: str,
    *,
    common_name: str,
    organization: str,
    organization_identifier: str,
    validity: dt.timedelta = LEAF_VALIDITY,
    now: dt.datetime | None = None,
) -> x509.Certificate:
    """Issue a signing certificate for the CSR's key; the subject comes from the platform's records, not the CSR."""
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
    except ValueError as exc:
        raise CertificateRequestRefused("the certificate request is not a PEM CSR") from exc
    if not csr.is_signature_valid:
        raise CertificateRequestRefused("the certificate request's signature does not verify")
    public_key = csr.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != "secp256r1":
        raise CertificateRequestRefused("only ECDSA P-256 keys are accepted")
    now = now or _utcnow()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, organization_identifier),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(public_key)
        .serial_number(int.from_bytes(secrets.token_bytes(16), "big") >> 1)
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            SIGNING_KEY_USAGE,
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
        .sign(ca.key, hashes.SHA256())
    )


@functools.lru_cache(maxsize=4096)
def public_key_sha256(cert: x509.Certificate) -> str:
    """Hex SHA-256 of the certificate's SubjectPublicKeyInfo (a stable key fingerprint)."""
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


TSA_VALIDITY = dt.timedelta(days=3650)


def issue_timestamping_certificate(
    ca: CertificateAuthority,
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    *,
    common_name: str,
    organization: str = "Sunbid",
    validity: dt.timedelta = TSA_VALIDITY,
    now: dt.datetime | None = None,
) -> x509.Certificate:
    """A TSA certificate: RFC 3161 requires timeStamping as the sole, critical EKU; it ends no later than the CA."""
    now = now or _utcnow()
    not_after = min(now + validity, ca.certificate.not_valid_after_utc)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            SIGNING_KEY_USAGE,
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
