"""PAdES signatures: sign in turn, validate offline at the time-stamp, and refuse anything changed after signing."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from signing.ca import CertificateAuthority, create_ca, issue_certificate, make_csr
from signing.pades import (
    Modification,
    PdfSignatureError,
    document_accepted,
    modified_after,
    read_signed_attachment,
    sign_pdf,
    sign_pdf_async,
    signed_attachments,
    validate_pdf,
    validate_pdf_async,
)
from signing.pdf import render_document
from signing.tsa import TimeStampAuthority, load_or_create_tsa

GUARANTEE_JSON = b'{"amount": "100000.00", "tender": "SB-2025-001"}'
Signer = tuple[ec.EllipticCurvePrivateKey, x509.Certificate]
MakeSigner = Callable[..., Signer]


def _require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed: install the Debian package {package}")
    return path


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return create_ca("Sunbid Test Root")


@pytest.fixture(scope="module")
def tsa(ca: CertificateAuthority, tmp_path_factory: pytest.TempPathFactory) -> TimeStampAuthority:
    return load_or_create_tsa(tmp_path_factory.mktemp("tsa"), ca)


@pytest.fixture(scope="module")
def make_signer(ca: CertificateAuthority) -> MakeSigner:
    def make(
        name: str = "某某担保有限公司",
        *,
        validity: dt.timedelta = dt.timedelta(days=365),
        now: dt.datetime | None = None,
    ) -> Signer:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = issue_certificate(
            ca,
            make_csr(key, name),
            common_name=name,
            organization=name,
            organization_identifier="91110000MA00000001",
            validity=validity,
            now=now,
        )
        return key, cert

    return make


@pytest.fixture(scope="module")
def document() -> bytes:
    return render_document(
        "投标保函", [("保函金额", "人民币壹拾万元整。")], attachments={"guarantee.json": GUARANTEE_JSON}
    )


@pytest.fixture(scope="module")
def signed(document: bytes, make_signer: MakeSigner, ca: CertificateAuthority, tsa: TimeStampAuthority) -> bytes:
    key, cert = make_signer()
    return sign_pdf(document, key, cert, [ca.certificate], timestamper=tsa, reason="出具投标保函")


def _append_update(pdf_bytes: bytes, change: Callable[[IncrementalPdfFileWriter], None]) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes))
    change(writer)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _draw_over_page(writer: IncrementalPdfFileWriter) -> None:
    writer.add_stream_to_page(0, generic.StreamObject(stream_data=b"1 1 1 rg 0 0 600 800 re f"))


def _retitle(writer: IncrementalPdfFileWriter) -> None:
    writer.set_info(generic.DictionaryObject({generic.NameObject("/Title"): generic.TextStringObject("改过的标题")}))


def _replace_attachment(writer: IncrementalPdfFileWriter) -> None:
    filespec = writer.root["/Names"]["/EmbeddedFiles"]["/Names"][1]
    forged = writer.add_object(generic.StreamObject(stream_data=b'{"amount": "1.00"}'))
    filespec["/EF"][generic.NameObject("/F")] = forged
    writer.update_container(filespec["/EF"])


def test_signed_guarantee_validates(signed: bytes, ca: CertificateAuthority) -> None:
    [status] = validate_pdf(signed, [ca.certificate])
    assert status.bottom_line
    assert status.accepted
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.timestamp_time is not None
    assert status.validation_time == status.timestamp_time
    assert status.coverage == "ENTIRE_FILE"
    assert status.modification is Modification.NONE
    assert not status.modified_after
    assert "CN=某某担保有限公司" in status.signer_subject
    assert read_signed_attachment(signed, "guarantee.json") == GUARANTEE_JSON


def test_without_time_stamper_signature_is_b_b(
    document: bytes, make_signer: MakeSigner, ca: CertificateAuthority
) -> None:
    key, cert = make_signer()
    [status] = validate_pdf(sign_pdf(document, key, cert, [ca.certificate]), [ca.certificate])
    assert status.accepted
    assert status.timestamp_time is None


def test_five_experts_sign_in_turn(
    document: bytes, make_signer: MakeSigner, ca: CertificateAuthority, tsa: TimeStampAuthority
) -> None:
    pdf = document
    names = [f"评标专家{n}" for n in range(1, 6)]
    for name in names:
        key, cert = make_signer(name)
        pdf = sign_pdf(pdf, key, cert, [ca.certificate], timestamper=tsa, reason="评标报告签署")
    statuses = validate_pdf(pdf, [ca.certificate])
    assert [s.field_name for s in statuses] == [f"Signature{n}" for n in range(1, 6)]
    assert document_accepted(statuses)
    assert [s.modification for s in statuses] == [Modification.LATER_SIGNATURES] * 4 + [Modification.NONE]
    assert [s.signer_subject.split(",")[0] for s in statuses] == [f"CN={name}" for name in names]
    assert modified_after(pdf, 0) is Modification.LATER_SIGNATURES
    assert modified_after(pdf) is Modification.NONE


def test_untrusted_root_is_not_trusted(signed: bytes) -> None:
    [status] = validate_pdf(signed, [create_ca("Someone Else").certificate])
    assert status.intact
    assert status.valid
    assert not status.trusted
    assert not status.bottom_line
    assert not status.accepted


def test_flipped_byte_in_signed_range_is_invalid(signed: bytes, ca: CertificateAuthority) -> None:
    position = signed.index(b"/Producer (Sunbid)") + len(b"/Producer (Sunbi")
    tampered = signed[:position] + b"e" + signed[position + 1 :]
    [status] = validate_pdf(tampered, [ca.certificate])
    assert not status.intact
    assert not status.bottom_line
    assert not status.accepted


def test_content_edit_after_signing_is_refused(signed: bytes, ca: CertificateAuthority) -> None:
    edited = _append_update(signed, _draw_over_page)
    [status] = validate_pdf(edited, [ca.certificate])
    assert status.intact
    assert status.trusted
    assert not status.bottom_line
    assert not status.accepted
    assert status.modification is Modification.CONTENT_CHANGE
    assert modified_after(edited) is Modification.CONTENT_CHANGE
    assert read_signed_attachment(edited, "guarantee.json") == GUARANTEE_JSON


def test_metadata_only_edit_after_signing_is_detected(signed: bytes, ca: CertificateAuthority) -> None:
    edited = _append_update(signed, _retitle)
    [status] = validate_pdf(edited, [ca.certificate])
    assert status.bottom_line
    assert not document_accepted([status])
    assert status.modification is Modification.UNSIGNED_UPDATE
    assert status.modified_after
    assert not status.accepted
    assert modified_after(edited) is Modification.UNSIGNED_UPDATE
    assert read_signed_attachment(edited, "guarantee.json") == GUARANTEE_JSON


def test_attachment_replaced_after_signing_is_ignored(signed: bytes, ca: CertificateAuthority) -> None:
    forged = _append_update(signed, _replace_attachment)
    assert b'{"amount": "1.00"}' in forged
    [status] = validate_pdf(forged, [ca.certificate])
    assert not status.accepted
    assert signed_attachments(forged) == {"guarantee.json": GUARANTEE_JSON}


def test_certificate_expired_before_time_stamp_fails(
    document: bytes, make_signer: MakeSigner, ca: CertificateAuthority, tsa: TimeStampAuthority
) -> None:
    two_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    key, cert = make_signer(validity=dt.timedelta(days=1), now=two_days_ago)
    pdf = sign_pdf(document, key, cert, [ca.certificate], timestamper=tsa)
    [status] = validate_pdf(pdf, [ca.certificate])
    assert status.timestamp_time is not None
    assert status.timestamp_time > cert.not_valid_after_utc
    assert not status.trusted
    assert not status.bottom_line


def test_certificate_expiring_after_time_stamp_stays_valid(
    document: bytes, make_signer: MakeSigner, ca: CertificateAuthority, tsa: TimeStampAuthority
) -> None:
    key, cert = make_signer(validity=dt.timedelta(days=1))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    assert later > cert.not_valid_after_utc
    [stamped] = validate_pdf(
        sign_pdf(document, key, cert, [ca.certificate], timestamper=tsa), [ca.certificate], now=later
    )
    assert stamped.accepted
    assert stamped.timestamp_time is not None
    assert stamped.timestamp_time < cert.not_valid_after_utc
    [unstamped] = validate_pdf(sign_pdf(document, key, cert, [ca.certificate]), [ca.certificate], now=later)
    assert not unstamped.bottom_line


def test_untrusted_time_stamp_fails(signed: bytes, ca: CertificateAuthority) -> None:
    [status] = validate_pdf(signed, [ca.certificate], tsa_roots=[create_ca("Other TSA Root").certificate])
    assert status.timestamp_time is None
    assert not status.bottom_line


async def test_async_api_runs_inside_an_event_loop(
    document: bytes, make_signer: MakeSigner, ca: CertificateAuthority, tsa: TimeStampAuthority
) -> None:
    key, cert = make_signer()
    pdf = await sign_pdf_async(document, key, cert, [ca.certificate], timestamper=tsa.timestamper)
    [status] = await validate_pdf_async(pdf, [ca.certificate])
    assert status.accepted


def test_signing_refuses_wrong_keys(document: bytes, make_signer: MakeSigner, ca: CertificateAuthority) -> None:
    _key, cert = make_signer()
    other_key, _ = make_signer()
    with pytest.raises(PdfSignatureError, match="does not belong"):
        sign_pdf(document, other_key, cert, [ca.certificate])
    with pytest.raises(PdfSignatureError, match="P-256"):
        sign_pdf(document, ec.generate_private_key(ec.SECP384R1()), cert, [ca.certificate])


def test_attachment_lookups_fail_clearly(document: bytes, signed: bytes) -> None:
    with pytest.raises(PdfSignatureError, match="not signed"):
        read_signed_attachment(document, "guarantee.json")
    with pytest.raises(PdfSignatureError, match="no attachment"):
        read_signed_attachment(signed, "other.json")
    with pytest.raises(PdfSignatureError, match="not a readable PDF"):
        validate_pdf(b"%PDF-1.7 garbage", [])


def test_pdfsig_accepts_signature_and_trusts_imported_root(
    signed: bytes, ca: CertificateAuthority, tmp_path: Path
) -> None:
    pdfsig = _require("pdfsig", "poppler-utils")
    certutil = _require("certutil", "libnss3-tools")
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    plain = subprocess.run([pdfsig, str(path)], capture_output=True, text=True, check=False).stdout
    assert "Signature is Valid." in plain

    nss = tmp_path / "nss"
    nss.mkdir()
    root = tmp_path / "ca.pem"
    root.write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
    subprocess.run([certutil, "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    subprocess.run([certutil, "-A", "-d", f"sql:{nss}", "-n", "root", "-t", "CT,C,C", "-i", str(root)], check=True)
    trusted = subprocess.run(
        [pdfsig, "-nssdir", f"sql:{nss}", str(path)], capture_output=True, text=True, check=False
    ).stdout
    assert "Signature is Valid." in trusted
    assert "Certificate is Trusted." in trusted
