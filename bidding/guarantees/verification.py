"""Pure verification of an electronic bid guarantee (电子保函): the PAdES signature, then the signed data vs the tender.

No database and no network: the caller passes the trusted guarantor roots, the TSA roots and "now". The signer is
judged at its time-stamp, so a lawful guarantee does not fail later because its certificate has expired since.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from cryptography import x509
from cryptography.x509.oid import NameOID

from bidding.guarantees import errors
from signing.pades import (
    Modification,
    PdfSignatureError,
    SignatureStatus,
    document_accepted,
    read_signed_attachment,
    validate_pdf_async,
)

DATA_FILE = "guarantee.json"
FORMAT = "sunbid-guarantee-v1"

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
CreditCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")]


class Party(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """A party named in the guarantee, identified by its 统一社会信用代码."""

    name: Text
    credit_code: CreditCode


class GuaranteeData(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """The structured guarantee, attached as guarantee.json inside the signed revision of the PDF."""

    format: Literal["sunbid-guarantee-v1"] = "sunbid-guarantee-v1"
    number: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    issuer: Party
    applicant: Party
    beneficiary: Party
    tender_id: uuid.UUID
    tender_title: Text
    lot_id: uuid.UUID
    lot_number: Annotated[int, msgspec.Meta(ge=1)]
    amount: Decimal
    currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
    valid_from: dt.date
    valid_until: dt.date
    issued_at: dt.datetime

    def to_json(self) -> bytes:
        """The bytes to attach: stable key order, amounts as decimal strings."""
        return msgspec.json.format(msgspec.json.encode(self), indent=2)


@dataclass(frozen=True)
class Expectation:
    """What the tender requires of a guarantee for one bidder and lot."""

    tender_id: uuid.UUID
    lot_id: uuid.UUID
    beneficiary_credit_code: str
    required_amount: Decimal
    currency: str
    valid_until_at_least: dt.date
    applicant_credit_code: str | None = None
    issuer_credit_code: str | None = None


@dataclass(frozen=True)
class VerifiedGuarantee:
    """A guarantee that passed every check, with the facts of its signature."""

    data: GuaranteeData
    signer_subject: str
    signer_certificate: x509.Certificate
    timestamp_time: dt.datetime
    pdf_sha256: str


def parse_data(raw: bytes) -> GuaranteeData:
    """The strict structured data; GuaranteeDataInvalid names what is wrong."""
    try:
        data = msgspec.json.decode(raw, type=GuaranteeData, strict=True)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise errors.GuaranteeDataInvalid(f"{DATA_FILE}: {exc}") from exc
    if data.amount <= 0 or data.amount != data.amount.quantize(Decimal("0.01")):
        raise errors.GuaranteeDataInvalid(f"{DATA_FILE}: amount must be positive with at most 2 decimals")
    if data.valid_until < data.valid_from:
        raise errors.GuaranteeDataInvalid(f"{DATA_FILE}: valid_until is before valid_from")
    return data


def _judge_signature(status: SignatureStatus) -> None:
    """Raise the specific error for the first thing wrong with one signature, in order of diagnostic value."""
    if status.error is not None or not status.intact or not status.valid:
        raise errors.SignatureBroken(
            "the signed bytes were altered or the signature does not verify"
            + (f": {status.error}" if status.error else "")
        )
    if status.modification is Modification.CONTENT_CHANGE:
        raise errors.ContentModifiedAfterSigning("content was appended or changed after the guarantor signed")
    if status.modification is Modification.UNSIGNED_UPDATE:
        raise errors.MetadataModifiedAfterSigning(
            "an unsigned update (metadata) was appended after the guarantor signed"
        )
    if status.timestamp_time is None:
        raise errors.TimestampMissing("the signature carries no time-stamp from a trusted time-stamping authority")
    cert = status.signer_certificate
    if cert is not None and not cert.not_valid_before_utc <= status.timestamp_time <= cert.not_valid_after_utc:
        raise errors.CertificateExpired(
            f"the signer's certificate is valid {cert.not_valid_before_utc.isoformat()} to "
            f"{cert.not_valid_after_utc.isoformat()}, but the signature was time-stamped "
            f"{status.timestamp_time.isoformat()}",
            timestamp=status.timestamp_time.isoformat(),
        )
    if not status.trusted:
        raise errors.UntrustedRoot(
            f"the signer {status.signer_subject!r} does not chain to a trusted guarantor root",
            signer=status.signer_subject,
        )
    if not status.accepted or cert is None:
        raise errors.SignatureNotAccepted("the signature's validation bottom line is false")


def _check_issuer(data: GuaranteeData, cert: x509.Certificate) -> None:
    identifiers = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)]
    organizations = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    if identifiers:
        if data.issuer.credit_code not in identifiers:
            raise errors.IssuerMismatch(
                f"the data names issuer {data.issuer.credit_code}, the certificate was issued to {identifiers[0]}"
            )
    elif data.issuer.name not in organizations:
        raise errors.IssuerMismatch(f"the data names issuer {data.issuer.name!r}, the certificate does not")


def check_against(data: GuaranteeData, expected: Expectation) -> None:
    """The signed data must fit the tender: tender and lot, beneficiary, parties, amount and validity."""
    if data.tender_id != expected.tender_id or data.lot_id != expected.lot_id:
        raise errors.WrongTender(
            f"the guarantee is for tender {data.tender_id} lot {data.lot_id}, "
            f"not tender {expected.tender_id} lot {expected.lot_id}"
        )
    if data.beneficiary.credit_code != expected.beneficiary_credit_code:
        raise errors.WrongBeneficiary(
            f"the beneficiary must be the tenderee ({expected.beneficiary_credit_code}), "
            f"not {data.beneficiary.credit_code}"
        )
    if expected.issuer_credit_code is not None and data.issuer.credit_code != expected.issuer_credit_code:
        raise errors.IssuerMismatch(f"a guarantor may lodge only its own guarantees, not {data.issuer.credit_code}'s")
    if expected.applicant_credit_code is not None and data.applicant.credit_code != expected.applicant_credit_code:
        raise errors.WrongApplicant(
            f"the guarantee was taken out by {data.applicant.credit_code}, not {expected.applicant_credit_code}"
        )
    if data.currency != expected.currency or data.amount < expected.required_amount:
        raise errors.AmountTooLow(
            f"the guarantee covers {data.amount} {data.currency}; the lot requires "
            f"{expected.required_amount} {expected.currency}",
            required=str(expected.required_amount),
            amount=str(data.amount),
        )
    if data.valid_until < expected.valid_until_at_least:
        raise errors.ValidityTooShort(
            f"the guarantee ends {data.valid_until.isoformat()}; the bid validity runs to "
            f"{expected.valid_until_at_least.isoformat()} (rule 13)",
            rule=13,
        )


async def verify_signed(
    pdf: bytes,
    trust_roots: Sequence[x509.Certificate],
    tsa_roots: Sequence[x509.Certificate],
    *,
    now: dt.datetime | None = None,
) -> VerifiedGuarantee:
    """Signature checks and the data as signed, without any tender to compare with."""
    if pdf.lstrip()[:5] != b"%PDF-":
        raise errors.NotAPdf("the upload does not start with %PDF-; upload the signed guarantee PDF")
    try:
        statuses = await validate_pdf_async(pdf, trust_roots, tsa_roots=tsa_roots, now=now)
    except PdfSignatureError as exc:
        raise errors.SignatureBroken(f"the PDF cannot be read: {exc}") from exc
    if not statuses:
        raise errors.GuaranteeUnsigned("the PDF carries no signature; the guarantor must sign it")
    for status in statuses:
        _judge_signature(status)
    if not document_accepted(statuses):
        raise errors.SignatureNotAccepted("not every signature in the document is accepted")
    first = statuses[0]
    if first.signer_certificate is None or first.timestamp_time is None:
        raise errors.SignatureNotAccepted("the signature names no signer certificate or time-stamp")
    try:
        raw = read_signed_attachment(pdf, DATA_FILE, 0)
    except PdfSignatureError as exc:
        raise errors.GuaranteeDataInvalid(f"the signed revision holds no {DATA_FILE}: {exc}") from exc
    data = parse_data(raw)
    _check_issuer(data, first.signer_certificate)
    return VerifiedGuarantee(
        data=data,
        signer_subject=first.signer_subject,
        signer_certificate=first.signer_certificate,
        timestamp_time=first.timestamp_time,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )


async def verify_guarantee(
    pdf: bytes,
    expected: Expectation,
    trust_roots: Sequence[x509.Certificate],
    tsa_roots: Sequence[x509.Certificate],
    *,
    now: dt.datetime | None = None,
) -> VerifiedGuarantee:
    """The verified guarantee, or the specific GuaranteeRejected subclass for the first failed check."""
    verified = await verify_signed(pdf, trust_roots, tsa_roots, now=now)
    check_against(verified.data, expected)
    return verified
