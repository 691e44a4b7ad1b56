"""RFC 3161 time-stamping: the platform's own TSA (key under the data dir, certificate from the platform CA) or an
external TSA by URL, and offline verification of time-stamp tokens (bid receipts, PAdES B-T signatures).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import algos, cms, keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.sign import general
from pyhanko.sign.timestamps import DummyTimeStamper, HTTPTimeStamper, TimeStamper
from pyhanko.sign.timestamps.common_utils import get_nonce
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from signing.ca import CertificateAuthority, issue_timestamping_certificate
from signing.key_files import Created, load_or_create, private_pem

TSA_CURVE = ec.SECP256R1()
"""New platform TSA keys are ECDSA P-256 like the CA: a signature costs tens of microseconds, RSA-3072 milliseconds."""

TsaKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

SHA256_LENGTH = 32


class TimestampInvalid(ValueError):
    """The time-stamp token is malformed, covers other data, is badly signed or comes from an untrusted TSA."""


def to_asn1_certificate(cert: x509.Certificate) -> asn1_x509.Certificate:
    """The asn1crypto form of a cryptography certificate, as pyHanko expects."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def to_asn1_private_key(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> keys.PrivateKeyInfo:
    """The PKCS#8 asn1crypto form of a cryptography private key, as pyHanko expects."""
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return keys.PrivateKeyInfo.load(der)


def certificate_store(certs: Sequence[x509.Certificate]) -> SimpleCertificateStore:
    """Intermediate certificates to embed next to a signature, so validators can build the path offline."""
    store = SimpleCertificateStore()  # type: ignore[no-untyped-call]
    store.register_multiple([to_asn1_certificate(c) for c in certs])
    return store


@dataclass(frozen=True)
class TimeStampAuthority:
    """A source of RFC 3161 tokens; `timestamper` plugs into pyHanko signing, `certificate` is None when external."""

    timestamper: TimeStamper
    certificate: x509.Certificate | None = None

    async def timestamp_digest(self, sha256_digest: bytes) -> bytes:
        """A DER TimeStampToken over sha256_digest (a bid receipt's proof that the bid existed at genTime)."""
        if len(sha256_digest) != SHA256_LENGTH:
            raise ValueError("expected a 32-byte SHA-256 digest")
        if isinstance(self.timestamper, _LocalTimeStamper):
            return self.timestamper.token_for_digest(sha256_digest)
        token = await self.timestamper.async_timestamp(sha256_digest, "sha256")
        der: bytes = token.dump()
        return der


def load_or_create_tsa(
    directory: Path, ca: CertificateAuthority, *, common_name: str = "Sunbid Time-Stamping Authority"
) -> TimeStampAuthority:
    """The platform TSA stored in directory (tsa.key mode 0600, tsa.pem), created and certified by ca on first use."""

    def load() -> tuple[TsaKey, x509.Certificate]:
        loaded = serialization.load_pem_private_key((directory / "tsa.key").read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise TypeError(f"{directory / 'tsa.key'} is neither an RSA nor an EC key")
        return loaded, x509.load_pem_x509_certificate((directory / "tsa.pem").read_bytes())

    def create() -> Created[tuple[TsaKey, x509.Certificate]]:
        key = ec.generate_private_key(TSA_CURVE)
        cert = issue_timestamping_certificate(ca, key.public_key(), common_name=common_name)
        pem = cert.public_bytes(serialization.Encoding.PEM)
        return Created((key, cert), {"tsa.key": private_pem(key)}, {"tsa.pem": pem})

    key, cert = load_or_create(directory, ["tsa.key", "tsa.pem"], load, create)
    return local_tsa(key, cert, chain=[ca.certificate])


def _der(tag: int, content: bytes) -> bytes:
    """One DER TLV (definite length)."""
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


_SEQUENCE, _SET, _OCTET_STRING, _CONTEXT_0 = 0x30, 0x31, 0x04, 0xA0
_TSA_POLICY = "1.3.6.1.4.1.4146.2.2"
"""The policy OID pyHanko's DummyTimeStamper puts in its tokens (kept, so tokens look the same as before)."""
_SHA256_IMPRINT_PREFIX = tsp.MessageImprint(
    {"hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}), "hashed_message": bytes(32)}
).dump()[:-32]
"""The DER MessageImprint of a SHA-256 digest up to the digest's 32 bytes (a fixed prefix)."""
_INTEGER, _UTC_TIME, _GENERALIZED_TIME = 0x02, 0x17, 0x18
_SIGNING_TIME = cms.CMSAttributeType("signing_time").dump()
_MESSAGE_DIGEST = cms.CMSAttributeType("message_digest").dump()


def der_integer(value: int) -> bytes:
    """DER INTEGER of a non-negative int (minimal, with a leading zero byte when the top bit is set)."""
    if value < 0:
        raise ValueError("only non-negative integers are encoded here")
    return _der(_INTEGER, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def der_generalized_time(when: dt.datetime) -> bytes:
    """DER GeneralizedTime in UTC, fractional seconds without trailing zeros (X.690 11.7)."""
    utc = when.astimezone(dt.UTC)
    text = utc.strftime("%Y%m%d%H%M%S")
    if utc.microsecond:
        text += "." + f"{utc.microsecond:06d}".rstrip("0")
    return _der(_GENERALIZED_TIME, (text + "Z").encode())


def der_signing_time(when: dt.datetime) -> bytes:
    """The CMS signing-time attribute as UTCTime (whole seconds), as pyHanko encodes it."""
    stamp = when.astimezone(dt.UTC).strftime("%y%m%d%H%M%SZ").encode()
    return _der(_SEQUENCE, _SIGNING_TIME + _der(_SET, _der(_UTC_TIME, stamp)))


def der_message_digest(digest: bytes) -> bytes:
    """The CMS message-digest attribute."""
    return _der(_SEQUENCE, _MESSAGE_DIGEST + _der(_SET, _der(_OCTET_STRING, digest)))


_VERSION_1, _VERSION_3 = der_integer(1), der_integer(3)


@functools.lru_cache(maxsize=8)
def _digest_algorithm(md_algorithm: str) -> bytes:
    encoded: bytes = algos.DigestAlgorithm({"algorithm": md_algorithm}).dump()
    return encoded


class _LocalTimeStamper(DummyTimeStamper):
    """pyHanko's in-process TSA with the same tokens, made cheaply.

    DummyTimeStamper re-parses its PKCS#8 key for every token (cryptography checks an RSA key's consistency on each
    load: tens of milliseconds for 3072 bits), signs with RSA only and builds the token with asn1crypto, copying the
    certificates each time: together most of a bid submission's CPU time. Here the key (RSA or ECDSA) is loaded once,
    every part that does not change (certificates, signer id, policy, the TSA name, the signing-certificate
    attribute) is DER-encoded once, and a token is assembled from those bytes around its TSTInfo, signing time,
    digest and signature (for an RSA key byte for byte what DummyTimeStamper makes for the same time and serial).
    """

    def __init__(
        self,
        key: TsaKey,
        cert: x509.Certificate,
        chain: Sequence[x509.Certificate],
        fixed_time: dt.datetime | None,
    ) -> None:
        tsa_cert = to_asn1_certificate(cert)
        super().__init__(
            tsa_cert=tsa_cert,
            tsa_key=to_asn1_private_key(key),
            certs_to_embed=certificate_store(chain),
            fixed_dt=fixed_time,
        )
        self._signing_key = key
        attribute = general.simple_cms_attribute
        signing_certificate = general.as_signing_certificate(tsa_cert)
        self._content_type_attr = attribute("content_type", "tst_info").dump()  # type: ignore[no-untyped-call]
        self._signing_cert_attr = attribute("signing_certificate", signing_certificate).dump()  # type: ignore[no-untyped-call]
        self._policy = tsp.ObjectIdentifier(_TSA_POLICY).dump()
        self._tsa_name = _der(_CONTEXT_0, asn1_x509.GeneralName(name="directory_name", value=tsa_cert.subject).dump())
        self._sid = cms.IssuerAndSerialNumber(
            {"issuer": tsa_cert.issuer, "serial_number": tsa_cert.serial_number}
        ).dump()
        algorithm = "rsassa_pkcs1v15" if isinstance(key, rsa.RSAPrivateKey) else "sha256_ecdsa"
        self._signature_algorithm = cms.SignedDigestAlgorithm({"algorithm": algorithm}).dump()
        certificates = {c.public_bytes(serialization.Encoding.DER) for c in (cert, *chain)}
        self._certificates = _der(_CONTEXT_0, b"".join(sorted(certificates)))
        self._tst_info_type = cms.ContentType("tst_info").dump()
        self._signed_data_type = cms.ContentType("signed_data").dump()
        self._granted = tsp.PKIStatusInfo({"status": tsp.PKIStatus("granted")}).dump()

    def _tst_info(self, imprint: bytes, nonce: bytes, when: dt.datetime) -> bytes:
        return _der(
            _SEQUENCE,
            b"".join(
                (
                    _VERSION_1,
                    self._policy,
                    imprint,
                    der_integer(get_nonce()),  # type: ignore[no-untyped-call]
                    der_generalized_time(when),
                    nonce,
                    self._tsa_name,
                )
            ),
        )

    def _sign(self, data: bytes, md_algorithm: str) -> bytes:
        chosen = get_pyca_cryptography_hash(md_algorithm.upper())
        if isinstance(self._signing_key, rsa.RSAPrivateKey):
            return self._signing_key.sign(data, PKCS1v15(), chosen)
        return self._signing_key.sign(data, ec.ECDSA(chosen))

    def _token(self, imprint: bytes, nonce: bytes, md_algorithm: str) -> bytes:
        """A DER TimeStampToken (CMS SignedData) over the DER message imprint, with the request's DER nonce or b""."""
        when = self.fixed_dt or dt.datetime.now(tz=dt.UTC)
        tst_info = self._tst_info(imprint, nonce, when)
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info)
        attributes = b"".join(
            sorted(  # DER: the elements of a SET OF in the order of their encodings
                (
                    self._content_type_attr,
                    der_signing_time(when),
                    self._signing_cert_attr,
                    der_message_digest(digest.finalize()),
                )
            )
        )
        signature = self._sign(_der(_SET, attributes), md_algorithm)
        digest_algorithm = _digest_algorithm(md_algorithm)
        signer_info = _der(
            _SEQUENCE,
            b"".join(
                (
                    _VERSION_1,
                    self._sid,
                    digest_algorithm,
                    _der(_CONTEXT_0, attributes),
                    self._signature_algorithm,
                    _der(_OCTET_STRING, signature),
                )
            ),
        )
        signed_data = _der(
            _SEQUENCE,
            b"".join(
                (
                    _VERSION_3,
                    _der(_SET, digest_algorithm),
                    _der(_SEQUENCE, self._tst_info_type + _der(_CONTEXT_0, _der(_OCTET_STRING, tst_info))),
                    self._certificates,
                    _der(_SET, signer_info),
                )
            ),
        )
        return _der(_SEQUENCE, self._signed_data_type + _der(_CONTEXT_0, signed_data))

    def token_for_digest(self, sha256_digest: bytes) -> bytes:
        """A token over a SHA-256 digest without a request round trip (no nonce: nobody asked over a network)."""
        return self._token(_SHA256_IMPRINT_PREFIX + sha256_digest, b"", "sha256")

    def request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """Grant every request: a TimeStampToken over its imprint, signed by the TSA key (the TSA cert included)."""
        md_algorithm = self.override_md or req["message_imprint"]["hash_algorithm"]["algorithm"].native
        nonce = req["nonce"]
        token = self._token(
            req["message_imprint"].dump(), nonce.dump() if nonce.native is not None else b"", md_algorithm
        )
        return tsp.TimeStampResp.load(_der(_SEQUENCE, self._granted + token))

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """An RSA signature (milliseconds, GIL released) in a worker thread; an ECDSA one inline (microseconds)."""
        if isinstance(self._signing_key, rsa.RSAPrivateKey):
            return await asyncio.to_thread(self.request_tsa_response, req)
        return self.request_tsa_response(req)


def local_tsa(
    key: TsaKey,
    cert: x509.Certificate,
    *,
    chain: Sequence[x509.Certificate] = (),
    fixed_time: dt.datetime | None = None,
) -> TimeStampAuthority:
    """A TSA signing with key in process; fixed_time pins genTime (tests of expiry only)."""
    stamper = _LocalTimeStamper(key, cert, chain, fixed_time)
    return TimeStampAuthority(timestamper=stamper, certificate=cert)


def external_tsa(url: str, *, timeout: int = 10) -> TimeStampAuthority:
    """An external RFC 3161 TSA reached over HTTP(S); its root must be among the trust roots used to verify."""
    return TimeStampAuthority(timestamper=HTTPTimeStamper(url, timeout=timeout))


def _imprint_checker(sha256_digest: bytes) -> Callable[[str], bytes]:
    def expected(algorithm: str) -> bytes:
        if algorithm != "sha256":
            raise TimestampInvalid(f"the token imprints a {algorithm} digest, expected sha256")
        return sha256_digest

    return expected


async def verify_timestamp_token_async(
    token_der: bytes,
    sha256_digest: bytes,
    trust_roots: Sequence[x509.Certificate],
    *,
    moment: dt.datetime | None = None,
) -> dt.datetime:
    """genTime of a token over sha256_digest by a TSA chaining to trust_roots (checked at moment, default now)."""
    try:
        content_info = cms.ContentInfo.load(token_der)
        if content_info["content_type"].native != "signed_data":
            raise TimestampInvalid("the token is not CMS SignedData")
        signed_data = content_info["content"]
        tst_info = signed_data["encap_content_info"]["content"].parsed
        if not isinstance(tst_info, tsp.TSTInfo):
            raise TimestampInvalid("the token does not encapsulate a TSTInfo")
    except (ValueError, TypeError, KeyError) as exc:
        if isinstance(exc, TimestampInvalid):
            raise
        raise TimestampInvalid("the token is not DER-encoded RFC 3161 TimeStampToken") from exc
    context = ValidationContext(
        trust_roots=[to_asn1_certificate(c) for c in trust_roots],
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment,
    )
    try:
        status_kwargs = await validate_tst_signed_data(signed_data, context, _imprint_checker(sha256_digest))
    except SignatureValidationError as exc:
        raise TimestampInvalid(f"the token does not validate: {exc}") from exc
    status = TimestampSignatureStatus(**status_kwargs)
    if not status.intact:
        raise TimestampInvalid("the token's message imprint does not match the digest, or the token was altered")
    if not status.valid:
        raise TimestampInvalid("the token's signature does not verify")
    if not status.trusted:
        raise TimestampInvalid("the token's TSA certificate does not chain to a trust root")
    gen_time: dt.datetime = tst_info["gen_time"].native
    return gen_time.astimezone(dt.UTC)


def verify_timestamp_token(
    token_der: bytes,
    sha256_digest: bytes,
    trust_roots: Sequence[x509.Certificate],
    *,
    moment: dt.datetime | None = None,
) -> dt.datetime:
    """Synchronous verify_timestamp_token_async, for callers outside an event loop."""
    return asyncio.run(verify_timestamp_token_async(token_der, sha256_digest, trust_roots, moment=moment))
