"""Building guarantees for tests: a guarantor PKI, signed guarantee PDFs, and the forgeries the verifier must refuse."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from io import BytesIO

import msgspec
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from bidding.guarantees.document import issue_guarantee, render_guarantee
from bidding.guarantees.verification import GuaranteeData, Party
from core.identity.usci import make_credit_code
from signing.ca import CertificateAuthority, create_ca, issue_certificate, issue_timestamping_certificate, make_csr
from signing.pades import sign_pdf_async
from signing.tsa import TimeStampAuthority, local_tsa

ISSUER = Party(name="阳光银行股份有限公司", credit_code=make_credit_code("91330100MA0000006"))
APPLICANT = Party(name="东方建设工程有限公司", credit_code=make_credit_code("91330100MA0000007"))
BENEFICIARY = Party(name="阳光县城市建设投资有限公司", credit_code=make_credit_code("91330100MA0000003"))


@dataclasses.dataclass(frozen=True)
class GuarantorPki:
    """A guarantor root, a TSA and a helper to certify guarantor keys."""

    ca: CertificateAuthority
    tsa: TimeStampAuthority

    def signer(
        self,
        party: Party = ISSUER,
        *,
        validity: dt.timedelta = dt.timedelta(days=365),
        now: dt.datetime | None = None,
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        """A fresh P-256 key and its certificate naming the party's credit code as organizationIdentifier."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = issue_certificate(
            self.ca,
            make_csr(key, party.name),
            common_name=f"{party.name} 保函签章",
            organization=party.name,
            organization_identifier=party.credit_code,
            validity=validity,
            now=now,
        )
        return key, cert


def make_pki(tsa_ca: CertificateAuthority | None = None) -> GuarantorPki:
    """A guarantor CA and an in-process TSA certified by tsa_ca (by default the same CA)."""
    ca = create_ca("测试保函根证书 Test Guarantor Root")
    tsa_root = tsa_ca or ca
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa_cert = issue_timestamping_certificate(tsa_root, tsa_key.public_key(), common_name="Test TSA")
    return GuarantorPki(ca=ca, tsa=local_tsa(tsa_key, tsa_cert, chain=[tsa_root.certificate]))


def make_data(
    *,
    tender_id: uuid.UUID,
    lot_id: uuid.UUID,
    amount: Decimal = Decimal("16000.00"),
    valid_until: dt.date | None = None,
    **changes: object,
) -> GuaranteeData:
    """Guarantee data for a tender and lot, with any field replaced."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    data = GuaranteeData(
        number=f"BH-{uuid.uuid4().hex[:10].upper()}",
        issuer=ISSUER,
        applicant=APPLICANT,
        beneficiary=BENEFICIARY,
        tender_id=tender_id,
        tender_title="阳光县城东道路改造工程",
        lot_id=lot_id,
        lot_number=1,
        amount=amount,
        currency="CNY",
        valid_from=now.date(),
        valid_until=valid_until or now.date() + dt.timedelta(days=200),
        issued_at=now,
    )
    return msgspec.structs.replace(data, **changes)


async def sign_async(
    data: GuaranteeData,
    key: ec.EllipticCurvePrivateKey,
    cert: x509.Certificate,
    pki: GuarantorPki,
    *,
    timestamp: bool = True,
) -> bytes:
    """The guarantor client's signed PDF (B-T), or B-B without a time-stamp."""
    if timestamp:
        return await issue_guarantee(data, key, cert, [pki.ca.certificate], pki.tsa)
    return await sign_pdf_async(render_guarantee(data), key, cert, [pki.ca.certificate])


def sign(
    data: GuaranteeData,
    key: ec.EllipticCurvePrivateKey,
    cert: x509.Certificate,
    pki: GuarantorPki,
    *,
    timestamp: bool = True,
) -> bytes:
    """sign_async for fixtures outside the event loop."""
    return asyncio.run(sign_async(data, key, cert, pki, timestamp=timestamp))


def append_update(pdf: bytes, change: Callable[[IncrementalPdfFileWriter], None]) -> bytes:
    """pdf with one unsigned incremental update appended."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    change(writer)
    out = BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()


def draw_over_page(writer: IncrementalPdfFileWriter) -> None:
    """A content edit: paint over the first page."""
    writer.add_stream_to_page(  # type: ignore[no-untyped-call]
        0, generic.StreamObject(stream_data=b"1 1 1 rg 0 0 600 800 re f")
    )


def retitle(writer: IncrementalPdfFileWriter) -> None:
    """A metadata-only edit: a new document title."""
    title = {generic.NameObject("/Title"): generic.TextStringObject("改过的标题")}
    writer.set_info(generic.DictionaryObject(title))  # type: ignore[no-untyped-call]


def replace_attachment(writer: IncrementalPdfFileWriter) -> None:
    """Swap guarantee.json for a forged one after signing."""
    filespec = writer.root["/Names"]["/EmbeddedFiles"]["/Names"][1]
    forged = writer.add_object(generic.StreamObject(stream_data=b'{"amount": "99999999.00"}'))
    filespec["/EF"][generic.NameObject("/F")] = forged
    writer.update_container(filespec["/EF"])


def flip_byte(pdf: bytes) -> bytes:
    """One byte changed inside the signed range (the producer string)."""
    position = pdf.index(b"/Producer (Sunbid)") + len(b"/Producer (Sunbi")
    return pdf[:position] + b"e" + pdf[position + 1 :]
