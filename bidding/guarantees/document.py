"""The guarantee document the guarantor's client produces: a Chinese PDF showing the data it carries as guarantee.json.

Signing happens on the guarantor's side with its own key (the platform never holds it); the platform only verifies.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from bidding.guarantees.verification import DATA_FILE, GuaranteeData
from signing.pades import sign_pdf_async
from signing.pdf import render_document
from signing.tsa import TimeStampAuthority

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def _four_digits(n: int) -> str:
    out = ""
    zero = False
    for position in range(3, -1, -1):
        digit = n // 10**position % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[digit] + _SMALL_UNITS[position]
    return out


def amount_in_words(amount: Decimal) -> str:
    """人民币大写 of an amount in yuan (the form banks write on guarantees, which resists alteration)."""
    cents = int((amount * 100).to_integral_value())
    if cents < 0:
        raise ValueError("amounts in words are for non-negative sums")
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    groups: list[int] = []
    while yuan:
        groups.append(yuan % 10_000)
        yuan //= 10_000
    text = ""
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            if text and not text.endswith("零"):
                text += "零"
            continue
        if text and group < 1000 and not text.endswith("零"):
            text += "零"
        text += _four_digits(group) + _BIG_UNITS[index]
    text = (text.rstrip("零") or "零") + "元"
    if jiao == 0 and fen == 0:
        return text + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif text != "零元":
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    return text


def render_guarantee(data: GuaranteeData) -> bytes:
    """The unsigned guarantee PDF: the same facts in Chinese on the page and as guarantee.json inside."""
    words = amount_in_words(data.amount) if data.currency == "CNY" else f"{data.amount} {data.currency}"
    body = (
        f"致：{data.beneficiary.name}（统一社会信用代码 {data.beneficiary.credit_code}）\n"
        f"鉴于{data.applicant.name}（以下称“投标人”）参加贵方组织的“{data.tender_title}”"
        f"第{data.lot_number}标段投标，{data.issuer.name}（以下称“保证人”）无条件地、不可撤销地保证："
        f"在投标人撤销投标文件、或中标后无正当理由拒签合同等情形下，保证人在收到贵方书面索赔通知后，"
        f"向贵方支付不超过{words}的款项。\n"
        f"本保函有效期自{data.valid_from.isoformat()}起至{data.valid_until.isoformat()}止。"
    )
    table = [
        ["项目", "内容"],
        ["保函编号", data.number],
        ["保证人", f"{data.issuer.name}（{data.issuer.credit_code}）"],
        ["投标人（申请人）", f"{data.applicant.name}（{data.applicant.credit_code}）"],
        ["受益人（招标人）", f"{data.beneficiary.name}（{data.beneficiary.credit_code}）"],
        ["招标项目", f"{data.tender_title}（{data.tender_id}）"],
        ["标段", f"第{data.lot_number}标段（{data.lot_id}）"],
        ["担保金额", f"{data.currency} {data.amount:,.2f}（{words}）"],
        ["有效期", f"{data.valid_from.isoformat()} 至 {data.valid_until.isoformat()}"],
        ["出具时间", data.issued_at.isoformat(timespec="seconds")],
    ]
    return render_document(
        "投标保函（电子保函）",
        [("", body), ("结构化数据", f"本文件内嵌附件 {DATA_FILE} 载有上表同一数据，以签名版本为准。")],
        table=table,
        attachments={DATA_FILE: data.to_json()},
        created_at=data.issued_at,
    )


async def issue_guarantee(
    data: GuaranteeData,
    key: ec.EllipticCurvePrivateKey,
    cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    tsa: TimeStampAuthority,
) -> bytes:
    """The guarantor's client: render and sign with its own key, time-stamped (PAdES B-T)."""
    return await sign_pdf_async(
        render_guarantee(data), key, cert, chain, timestamper=tsa, reason="出具投标保函", location=data.issuer.name
    )
