"""The forgery suite: a valid guarantee passes and every forgery fails with its own problem type, no database."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from bidding.guarantees import errors
from bidding.guarantees.document import amount_in_words, render_guarantee
from bidding.guarantees.verification import (
    DATA_FILE,
    Expectation,
    GuaranteeData,
    Party,
    VerifiedGuarantee,
    check_against,
    parse_data,
    verify_guarantee,
)
from core.identity.usci import make_credit_code
from signing.ca import create_ca
from signing.pades import read_signed_attachment, sign_pdf_async
from tests.support.guarantees import (
    APPLICANT,
    BENEFICIARY,
    ISSUER,
    GuarantorPki,
    append_update,
    draw_over_page,
    flip_byte,
    make_data,
    make_pki,
    replace_attachment,
    retitle,
)

TENDER = uuid.UUID("6f1c2a4e-7d1b-4b8e-9a55-3c2f0e6d9b11")
LOT = uuid.UUID("0b7e3c1d-2f4a-4c6b-8d9e-1a2b3c4d5e6f")
OTHER = Party(name="别的公司有限公司", credit_code=make_credit_code("91330100MA0000099"))


@pytest.fixture(scope="module")
def pki() -> GuarantorPki:
    return make_pki()


@pytest.fixture(scope="module")
def data() -> GuaranteeData:
    return make_data(tender_id=TENDER, lot_id=LOT)


@pytest.fixture(scope="module")
def document(data: GuaranteeData) -> bytes:
    return render_guarantee(data)


@pytest.fixture(scope="module")
def signed(pki: GuarantorPki, document: bytes) -> bytes:
    key, cert = pki.signer()
    return asyncio.run(_sign(document, key, cert, pki))


async def _sign(
    document: bytes,
    key: ec.EllipticCurvePrivateKey,
    cert: x509.Certificate,
    pki: GuarantorPki,
    *,
    timestamp: bool = True,
) -> bytes:
    return await sign_pdf_async(document, key, cert, [pki.ca.certificate], timestamper=pki.tsa if timestamp else None)


@pytest.fixture(scope="module")
def expected(data: GuaranteeData) -> Expectation:
    return Expectation(
        tender_id=TENDER,
        lot_id=LOT,
        beneficiary_credit_code=BENEFICIARY.credit_code,
        required_amount=Decimal("16000.00"),
        currency="CNY",
        valid_until_at_least=data.valid_until,
        applicant_credit_code=APPLICANT.credit_code,
    )


async def _verify(
    pdf: bytes,
    expected: Expectation,
    pki: GuarantorPki,
    *,
    roots: list[x509.Certificate] | None = None,
    now: dt.datetime | None = None,
) -> VerifiedGuarantee:
    trust = roots if roots is not None else [pki.ca.certificate]
    return await verify_guarantee(pdf, expected, trust, [pki.ca.certificate], now=now)


async def test_valid_guarantee_passes(
    signed: bytes, expected: Expectation, pki: GuarantorPki, data: GuaranteeData
) -> None:
    verified = await _verify(signed, expected, pki)
    assert verified.data == data
    assert "阳光银行股份有限公司" in verified.signer_subject
    assert verified.timestamp_time <= dt.datetime.now(dt.UTC)
    assert len(verified.pdf_sha256) == 64
    assert parse_data(read_signed_attachment(signed, DATA_FILE)) == data


async def test_still_valid_after_the_certificate_expires(
    pki: GuarantorPki, document: bytes, data: GuaranteeData, expected: Expectation
) -> None:
    key, cert = pki.signer(validity=dt.timedelta(days=1))
    pdf = await _sign(document, key, cert, pki)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    assert later > cert.not_valid_after_utc
    assert (await _verify(pdf, expected, pki, now=later)).data == data


async def test_untrusted_root(signed: bytes, expected: Expectation, pki: GuarantorPki) -> None:
    with pytest.raises(errors.UntrustedRoot):
        await _verify(signed, expected, pki, roots=[create_ca("Someone Else").certificate])


async def test_flipped_byte(signed: bytes, expected: Expectation, pki: GuarantorPki) -> None:
    with pytest.raises(errors.SignatureBroken):
        await _verify(flip_byte(signed), expected, pki)


async def test_content_edit_appended_after_signing(signed: bytes, expected: Expectation, pki: GuarantorPki) -> None:
    with pytest.raises(errors.ContentModifiedAfterSigning):
        await _verify(append_update(signed, draw_over_page), expected, pki)


async def test_metadata_only_edit_appended_after_signing(
    signed: bytes, expected: Expectation, pki: GuarantorPki
) -> None:
    with pytest.raises(errors.MetadataModifiedAfterSigning):
        await _verify(append_update(signed, retitle), expected, pki)


async def test_attachment_swapped_after_signing(signed: bytes, expected: Expectation, pki: GuarantorPki) -> None:
    forged = append_update(signed, replace_attachment)
    with pytest.raises((errors.ContentModifiedAfterSigning, errors.MetadataModifiedAfterSigning)):
        await _verify(forged, expected, pki)


async def test_signed_after_certificate_expired(pki: GuarantorPki, document: bytes, expected: Expectation) -> None:
    two_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    key, cert = pki.signer(validity=dt.timedelta(days=1), now=two_days_ago)
    with pytest.raises(errors.CertificateExpired):
        await _verify(await _sign(document, key, cert, pki), expected, pki)


async def test_no_time_stamp(pki: GuarantorPki, document: bytes, expected: Expectation) -> None:
    key, cert = pki.signer()
    with pytest.raises(errors.TimestampMissing):
        await _verify(await _sign(document, key, cert, pki, timestamp=False), expected, pki)


async def test_untrusted_time_stamp(signed: bytes, expected: Expectation, pki: GuarantorPki) -> None:
    with pytest.raises(errors.TimestampMissing):
        await verify_guarantee(signed, expected, [pki.ca.certificate], [create_ca("Other TSA").certificate])


def _replace(expected: Expectation, **changes: object) -> Expectation:
    return dataclasses.replace(expected, **changes)  # type: ignore[arg-type]


async def test_amount_too_low(signed: bytes, expected: Expectation, pki: GuarantorPki) -> None:
    with pytest.raises(errors.AmountTooLow) as caught:
        await _verify(signed, _replace(expected, required_amount=Decimal("16000.01")), pki)
    assert caught.value.extra == {"required": "16000.01", "amount": "16000.00"}


async def test_wrong_beneficiary(signed: bytes, expected: Expectation, pki: GuarantorPki) -> None:
    with pytest.raises(errors.WrongBeneficiary):
        await _verify(signed, _replace(expected, beneficiary_credit_code=OTHER.credit_code), pki)


async def test_wrong_tender_and_wrong_lot(signed: bytes, expected: Expectation, pki: GuarantorPki) -> None:
    for change in ({"tender_id": uuid.uuid4()}, {"lot_id": uuid.uuid4()}):
        with pytest.raises(errors.WrongTender):
            await _verify(signed, _replace(expected, **change), pki)


async def test_issuer_must_be_the_signer(pki: GuarantorPki, document: bytes, expected: Expectation) -> None:
    key, cert = pki.signer(OTHER)
    with pytest.raises(errors.IssuerMismatch):
        await _verify(await _sign(document, key, cert, pki), expected, pki)


def test_data_checks_without_pdf(data: GuaranteeData, expected: Expectation) -> None:
    check_against(data, expected)
    with pytest.raises(errors.ValidityTooShort):
        check_against(data, _replace(expected, valid_until_at_least=data.valid_until + dt.timedelta(days=1)))
    with pytest.raises(errors.WrongApplicant):
        check_against(data, _replace(expected, applicant_credit_code=OTHER.credit_code))
    with pytest.raises(errors.AmountTooLow):
        check_against(data, _replace(expected, currency="USD"))
    with pytest.raises(errors.IssuerMismatch):
        check_against(data, _replace(expected, issuer_credit_code=OTHER.credit_code))
    check_against(data, _replace(expected, issuer_credit_code=ISSUER.credit_code))


async def test_not_a_pdf_and_unsigned(expected: Expectation, pki: GuarantorPki, document: bytes) -> None:
    with pytest.raises(errors.NotAPdf):
        await _verify(b"PK\x03\x04 a zip file", expected, pki)
    with pytest.raises(errors.GuaranteeUnsigned):
        await _verify(document, expected, pki)
    with pytest.raises(errors.SignatureBroken):
        await _verify(b"%PDF-1.7\n garbage", expected, pki)


def test_malformed_data_is_refused() -> None:
    with pytest.raises(errors.GuaranteeDataInvalid, match="unknown field"):
        parse_data(b'{"number": "X", "surprise": 1}')
    with pytest.raises(errors.GuaranteeDataInvalid):
        parse_data(b"not json")


def test_every_failure_has_its_own_problem_type() -> None:
    failures = [
        errors.NotAPdf,
        errors.GuaranteeUnsigned,
        errors.SignatureBroken,
        errors.ContentModifiedAfterSigning,
        errors.MetadataModifiedAfterSigning,
        errors.TimestampMissing,
        errors.CertificateExpired,
        errors.UntrustedRoot,
        errors.SignatureNotAccepted,
        errors.GuaranteeDataInvalid,
        errors.IssuerMismatch,
        errors.WrongBeneficiary,
        errors.WrongTender,
        errors.WrongApplicant,
        errors.AmountTooLow,
        errors.ValidityTooShort,
    ]
    codes = [cls.code for cls in failures]
    assert len(set(codes)) == len(codes)
    assert all(issubclass(cls, errors.GuaranteeRejected) for cls in failures)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("16000.00", "壹万陆仟元整"),
        ("800000", "捌拾万元整"),
        ("10500.50", "壹万零伍佰元伍角"),
        ("1000001.07", "壹佰万零壹元零柒分"),
        ("0.30", "零元叁角"),
        ("120034005.00", "壹亿贰仟零叁万肆仟零伍元整"),
    ],
)
def test_amount_in_words(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words
