"""PAdES signing (B-B, or B-T with a time stamper) and offline validation of signed PDFs with pyHanko.

Signatures are ECDSA P-256 over SHA-256, each appended as an incremental update so signers can sign in turn.
Validation never fetches anything from the network; a signer's certificate is judged at the time of the signature's
trusted time-stamp when there is one, so a lawful signature stays valid after its certificate expires.
A caller accepts a signature only if `SignatureStatus.accepted`: pyHanko's bottom line holds and nothing but later
signatures was appended after it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, SimpleSigner
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation import EmbeddedPdfSignature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import collect_timing_info
from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from signing.tsa import TimeStampAuthority, certificate_store, to_asn1_certificate, to_asn1_private_key

_BENIGN_LEVELS = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING)


class PdfSignatureError(ValueError):
    """The PDF cannot be parsed, signed as asked, or holds no such signature."""


class Modification(enum.Enum):
    """What was appended to the file after a signature, from harmless to fatal."""

    NONE = "none"
    LATER_SIGNATURES = "later_signatures"
    UNSIGNED_UPDATE = "unsigned_update"
    CONTENT_CHANGE = "content_change"


@dataclass(frozen=True)
class SignatureStatus:
    """The verdict on one embedded signature, in signing order."""

    field_name: str
    signer_subject: str
    signer_certificate: x509.Certificate | None
    signing_time: dt.datetime | None
    timestamp_time: dt.datetime | None
    validation_time: dt.datetime
    intact: bool
    valid: bool
    trusted: bool
    bottom_line: bool
    coverage: str
    modification: Modification
    modification_level: str | None
    error: str | None = None

    @property
    def modified_after(self) -> bool:
        """Whether any byte follows the signed revision."""
        return self.modification is not Modification.NONE

    @property
    def accepted(self) -> bool:
        """Trusted and unaltered: later revisions, if any, only carry further signatures."""
        return self.bottom_line and self.modification in (Modification.NONE, Modification.LATER_SIGNATURES)


def _reader(pdf_bytes: bytes) -> PdfFileReader:
    try:
        return PdfFileReader(BytesIO(pdf_bytes), strict=False)
    except (PdfError, ValueError) as exc:
        raise PdfSignatureError(f"not a readable PDF: {exc}") from exc


def _next_field_name(reader: PdfFileReader) -> str:
    taken = {sig.field_name for sig in reader.embedded_signatures}
    return next(f"Signature{n}" for n in range(1, len(taken) + 2) if f"Signature{n}" not in taken)


async def sign_pdf_async(
    pdf_bytes: bytes,
    key: ec.EllipticCurvePrivateKey,
    cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    *,
    timestamper: TimeStamper | TimeStampAuthority | None = None,
    field_name: str | None = None,
    reason: str | None = None,
    location: str | None = None,
) -> bytes:
    """pdf_bytes with one more signature appended as an incremental update (PAdES B-T if timestamped, else B-B)."""
    if key.curve.name != "secp256r1":
        raise PdfSignatureError("only ECDSA P-256 keys sign platform documents")
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if cert.public_key().public_bytes(serialization.Encoding.DER, spki) != key.public_key().public_bytes(
        serialization.Encoding.DER, spki
    ):
        raise PdfSignatureError("the certificate does not belong to the signing key")
    if isinstance(timestamper, TimeStampAuthority):
        timestamper = timestamper.timestamper
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    signer = SimpleSigner(
        signing_cert=to_asn1_certificate(cert),
        signing_key=to_asn1_private_key(key),
        cert_registry=certificate_store(chain),
    )
    meta = PdfSignatureMetadata(
        field_name=field_name or _next_field_name(writer.prev),
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    try:
        output = await PdfSigner(meta, signer, timestamper=timestamper).async_sign_pdf(writer)
    except SigningError as exc:
        raise PdfSignatureError(f"signing failed: {exc}") from exc
    signed: bytes = output.getvalue()
    return signed


def sign_pdf(
    pdf_bytes: bytes,
    key: ec.EllipticCurvePrivateKey,
    cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    *,
    timestamper: TimeStamper | TimeStampAuthority | None = None,
    field_name: str | None = None,
    reason: str | None = None,
    location: str | None = None,
) -> bytes:
    """Synchronous sign_pdf_async, for callers outside an event loop."""
    return asyncio.run(
        sign_pdf_async(
            pdf_bytes,
            key,
            cert,
            chain,
            timestamper=timestamper,
            field_name=field_name,
            reason=reason,
            location=location,
        )
    )


def _context(roots: Sequence[x509.Certificate], moment: dt.datetime | None) -> ValidationContext:
    return ValidationContext(
        trust_roots=[to_asn1_certificate(c) for c in roots],
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment,
    )


def _modification(sig: EmbeddedPdfSignature, signature_revisions: set[int], total_revisions: int) -> Modification:
    if sig.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return Modification.NONE
    diff = sig.diff_result
    if not isinstance(diff, DiffResult) or diff.modification_level not in _BENIGN_LEVELS:
        return Modification.CONTENT_CHANGE
    later = range(sig.signed_revision + 1, total_revisions)
    if all(revision in signature_revisions for revision in later):
        return Modification.LATER_SIGNATURES
    return Modification.UNSIGNED_UPDATE


def _subject(cert: asn1_x509.Certificate | None) -> tuple[str, x509.Certificate | None]:
    if cert is None:
        return "", None
    parsed = x509.load_der_x509_certificate(cert.dump())
    return parsed.subject.rfc4514_string(), parsed


async def _validate_one(
    sig: EmbeddedPdfSignature,
    *,
    trust_roots: Sequence[x509.Certificate],
    tsa_roots: Sequence[x509.Certificate],
    now: dt.datetime,
    signature_revisions: set[int],
    total_revisions: int,
) -> SignatureStatus:
    ts_context = _context(tsa_roots, now)
    timing = await collect_timing_info(sig.signer_info, ts_context, raw_digest=sig.compute_digest)
    tst = timing.get("timestamp_validity")
    timestamp_time = tst.timestamp if tst is not None and tst.trusted else None
    signer_context = _context(trust_roots, timestamp_time or now)
    status = await async_validate_pdf_signature(sig, signer_context, ts_context)
    subject, certificate = _subject(status.signing_cert)
    level = status.modification_level
    return SignatureStatus(
        field_name=str(sig.field_name),
        signer_subject=subject,
        signer_certificate=certificate,
        signing_time=status.signer_reported_dt,
        timestamp_time=timestamp_time,
        validation_time=timestamp_time or now,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        bottom_line=bool(status.bottom_line),
        coverage=(status.coverage or SignatureCoverageLevel.UNCLEAR).name,
        modification=_modification(sig, signature_revisions, total_revisions),
        modification_level=level.name if level is not None else None,
    )


def _failed(sig: EmbeddedPdfSignature, now: dt.datetime, error: Exception) -> SignatureStatus:
    return SignatureStatus(
        field_name=str(sig.field_name),
        signer_subject="",
        signer_certificate=None,
        signing_time=None,
        timestamp_time=None,
        validation_time=now,
        intact=False,
        valid=False,
        trusted=False,
        bottom_line=False,
        coverage=SignatureCoverageLevel.UNCLEAR.name,
        modification=Modification.CONTENT_CHANGE,
        modification_level=None,
        error=str(error) or type(error).__name__,
    )


async def validate_pdf_async(
    pdf_bytes: bytes,
    trust_roots: Sequence[x509.Certificate],
    *,
    tsa_roots: Sequence[x509.Certificate] | None = None,
    now: dt.datetime | None = None,
) -> list[SignatureStatus]:
    """One status per signature in signing order; signers are judged at their time-stamp, otherwise at now."""
    now = now or dt.datetime.now(dt.UTC)
    reader = _reader(pdf_bytes)
    try:
        signatures = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError) as exc:
        raise PdfSignatureError(f"unreadable signature dictionary: {exc}") from exc
    signature_revisions = {sig.signed_revision for sig in signatures}
    total_revisions = reader.xrefs.total_revisions
    results: list[SignatureStatus] = []
    for sig in signatures:
        try:
            status = await _validate_one(
                sig,
                trust_roots=trust_roots,
                tsa_roots=tsa_roots or trust_roots,
                now=now,
                signature_revisions=signature_revisions,
                total_revisions=total_revisions,
            )
        except (SignatureValidationError, PdfError, ValueError, KeyError) as exc:
            status = _failed(sig, now, exc)
        results.append(status)
    return results


def validate_pdf(
    pdf_bytes: bytes,
    trust_roots: Sequence[x509.Certificate],
    *,
    tsa_roots: Sequence[x509.Certificate] | None = None,
    now: dt.datetime | None = None,
) -> list[SignatureStatus]:
    """Synchronous validate_pdf_async, for callers outside an event loop."""
    return asyncio.run(validate_pdf_async(pdf_bytes, trust_roots, tsa_roots=tsa_roots, now=now))


def document_accepted(statuses: Sequence[SignatureStatus]) -> bool:
    """A document stands only if it is signed and every signature in it is accepted (a later forgery taints it)."""
    return bool(statuses) and all(status.accepted for status in statuses)


def _signature(reader: PdfFileReader, signature_index: int) -> EmbeddedPdfSignature:
    signatures = list(reader.embedded_signatures)
    if not signatures:
        raise PdfSignatureError("the document is not signed")
    try:
        signature: EmbeddedPdfSignature = signatures[signature_index]
    except IndexError as exc:
        raise PdfSignatureError(f"the document has {len(signatures)} signature(s)") from exc
    return signature


def modified_after(pdf_bytes: bytes, signature_index: int = -1) -> Modification:
    """What was appended after the given signature (by signing order), without any certificate validation."""
    reader = _reader(pdf_bytes)
    sig = _signature(reader, signature_index)
    sig.compute_integrity_info()  # type: ignore[no-untyped-call]
    signature_revisions = {s.signed_revision for s in reader.embedded_signatures}
    return _modification(sig, signature_revisions, reader.xrefs.total_revisions)


def signed_revision_bytes(pdf_bytes: bytes, signature_index: int = 0) -> bytes:
    """The prefix of the file the signature covers, i.e. the document exactly as that signer signed it."""
    reader = _reader(pdf_bytes)
    sig = _signature(reader, signature_index)
    if sig.evaluate_signature_coverage() < SignatureCoverageLevel.ENTIRE_REVISION:
        raise PdfSignatureError("the signature does not cover a whole revision from the start of the file")
    start, _, second_start, second_length = (int(v) for v in sig.byte_range)
    if start != 0:
        raise PdfSignatureError("the signed byte range does not start at the beginning of the file")
    return pdf_bytes[: second_start + second_length]


def _embedded_files(node: generic.DictionaryObject, found: dict[str, bytes], depth: int = 0) -> None:
    if depth > 32:
        raise PdfSignatureError("the embedded-files name tree is too deep")
    names = node.get("/Names")
    if names is not None:
        for i in range(0, len(names) - 1, 2):
            stream = names[i + 1]["/EF"]["/F"]
            found[str(names[i])] = bytes(stream.data)
    for kid in node.get("/Kids", ()):
        _embedded_files(kid.get_object(), found, depth + 1)


def signed_attachments(pdf_bytes: bytes, signature_index: int = 0) -> dict[str, bytes]:
    """Embedded files of the signed revision; anything attached or replaced after the signature is ignored."""
    reader = _reader(signed_revision_bytes(pdf_bytes, signature_index))
    found: dict[str, bytes] = {}
    names = reader.root.get("/Names")
    if names is not None and "/EmbeddedFiles" in names:
        _embedded_files(names["/EmbeddedFiles"].get_object(), found)
    return found


def read_signed_attachment(pdf_bytes: bytes, name: str, signature_index: int = 0) -> bytes:
    """One embedded file as the given signer (by default the first) signed it; raises if it was not signed."""
    attachments = signed_attachments(pdf_bytes, signature_index)
    if name not in attachments:
        raise PdfSignatureError(f"no attachment {name!r} in the signed revision")
    return attachments[name]
