"""`sunbid guarantee demo|verify`: a guarantee signed by the demo guarantor's local wallet, and the verifier by hand."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from core.settings import Settings, get_settings

DEMO_GUARANTOR = "guarantor"
DEMO_WALLET_PASSPHRASE_ENV = "SUNBID_DEMO_WALLET_PASSPHRASE"  # noqa: S105 (a variable name, not a secret)
FALLBACK_TENDER = uuid.UUID("5b1d0c8e-0000-4000-8000-000000000001")
FALLBACK_LOT = uuid.UUID("5b1d0c8e-0000-4000-8000-000000000101")


def _passphrase() -> str:
    from sunbid.seed import DEMO_PASSWORD

    return os.environ.get(DEMO_WALLET_PASSPHRASE_ENV, DEMO_PASSWORD)


def _parties() -> dict[str, Any]:
    from bidding.guarantees.verification import Party
    from core.identity.usci import make_credit_code
    from sunbid.seed import DEMO_PARTIES

    by_user = {p.username: p for p in DEMO_PARTIES}
    return {
        role: Party(name=by_user[user].org_name, credit_code=make_credit_code(by_user[user].credit_body))
        for role, user in (("issuer", DEMO_GUARANTOR), ("applicant", "bidder1"), ("beneficiary", "tenderee"))
    }


def demo_signer(settings: Settings) -> tuple[Any, Any, Any, Any]:
    """The demo guarantor's wallet key and certificate (issued by the dev CA on first use), the CA and the TSA."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from signing.ca import issue_certificate, load_or_create_ca, make_csr
    from signing.tsa import load_or_create_tsa
    from signing.wallet import Wallet

    ca = load_or_create_ca(settings.platform_key_dir / "ca", "Sunbid Development CA")
    tsa = load_or_create_tsa(settings.platform_key_dir / "tsa", ca)
    path = settings.wallet_dir / DEMO_GUARANTOR
    wallet = Wallet.open(path, _passphrase()) if (path / "wallet.json").exists() else Wallet.create(path, _passphrase())
    cert = wallet.certificate
    if cert is None:
        issuer = _parties()["issuer"]
        csr = make_csr(wallet.signing_key, DEMO_GUARANTOR)
        cert = wallet.store_certificate(
            issue_certificate(
                ca,
                csr,
                common_name=f"{issuer.name} 保函签章",
                organization=issuer.name,
                organization_identifier=issuer.credit_code,
            ).public_bytes(Encoding.PEM)
        )
    return wallet.signing_key, cert, ca, tsa


async def _demo_tender(url: str) -> dict[str, Any] | None:
    from sqlalchemy import select

    from core.db import create_engine, session_factory
    from core.identity.models import Organization
    from trading.tenders.models import Tender
    from trading.tenders.states import TenderStatus

    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with session_factory(engine)() as session:
            tender = await session.scalar(
                select(Tender).where(Tender.status == TenderStatus.PUBLISHED.value).order_by(Tender.bid_deadline.desc())
            )
            if tender is None or not tender.lots:
                return None
            tenderee = await session.get(Organization, tender.tenderee_id)
            return {"tender": tender, "lot": tender.lots[0], "tenderee": tenderee}
    finally:
        await engine.dispose()


def _data(found: dict[str, Any] | None) -> Any:
    from bidding.guarantees.rules import bid_validity_end
    from bidding.guarantees.verification import GuaranteeData, Party

    parties = _parties()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    if found is None:
        tender_id, lot_id, lot_number, title = (
            FALLBACK_TENDER,
            FALLBACK_LOT,
            1,
            "阳光县滨江大道改造工程施工招标（示范数据）",
        )
        amount, currency, until = Decimal("240000.00"), "CNY", now.date() + dt.timedelta(days=180)
    else:
        tender, lot, tenderee = found["tender"], found["lot"], found["tenderee"]
        tender_id, lot_id, lot_number, title = tender.id, lot.id, lot.number, tender.title
        amount, currency = lot.bid_bond_amount, tender.currency
        until = bid_validity_end(tender.bid_deadline, tender.bid_validity_days) + dt.timedelta(days=30)
        parties["beneficiary"] = Party(name=tenderee.name, credit_code=tenderee.credit_code)
    return GuaranteeData(
        number=f"BH-{now:%Y%m%d}-{uuid.uuid4().hex[:6].upper()}",
        tender_id=tender_id,
        tender_title=title,
        lot_id=lot_id,
        lot_number=lot_number,
        amount=amount,
        currency=currency,
        valid_from=now.date(),
        valid_until=until,
        issued_at=now,
        **parties,
    )


@click.group()
def guarantee() -> None:
    """Electronic bid guarantees (电子保函): a demo guarantee to try, and the verifier."""


@guarantee.command("demo")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="PDF to write.")
@click.option("--no-db", is_flag=True, help="Do not touch the database; use built-in demo tender data.")
def demo(out: Path, no_db: bool) -> None:
    """Write a guarantee for the demo tender, signed by the demo guarantor's wallet key (dev CA, platform TSA)."""
    from bidding.guarantees.document import issue_guarantee

    settings = get_settings()
    found = None
    if not no_db:
        try:
            from sunbid.cli.runtime import prepared

            _, url = prepared()
            found = asyncio.run(_demo_tender(url))
        except Exception as exc:
            click.echo(f"database unavailable ({type(exc).__name__}: {exc}); using built-in demo data", err=True)
    if found is None:
        click.echo("no published tender found; the guarantee names built-in demo tender data", err=True)
    key, cert, ca, tsa = demo_signer(settings)
    data = _data(found)
    pdf = asyncio.run(issue_guarantee(data, key, cert, [ca.certificate], tsa))
    out.write_bytes(pdf)
    click.echo(
        f"wrote {out} ({len(pdf)} bytes): guarantee {data.number} for tender {data.tender_id} lot {data.lot_number}"
    )
    click.echo(f"signer: {cert.subject.rfc4514_string()}  root: {settings.platform_key_dir / 'ca' / 'ca.pem'}")


@guarantee.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tender", "tender_id", type=click.UUID, default=None, help="Check against this tender (first lot).")
@click.option("--root", "roots", multiple=True, type=click.Path(exists=True, path_type=Path), help="Trusted root PEM.")
def verify(file: Path, tender_id: uuid.UUID | None, roots: tuple[Path, ...]) -> None:
    """Verify a guarantee's signature offline (dev CA and --root as trust roots), and against a tender if given."""
    from cryptography import x509

    from bidding.guarantees.errors import GuaranteeRejected
    from bidding.guarantees.verification import verify_signed
    from signing.ca import load_or_create_ca

    settings = get_settings()
    ca = load_or_create_ca(settings.platform_key_dir / "ca", "Sunbid Development CA")
    trust = [ca.certificate, *(x509.load_pem_x509_certificate(p.read_bytes()) for p in roots)]
    pdf = file.read_bytes()
    try:
        verified = asyncio.run(verify_signed(pdf, trust, [ca.certificate]))
        if tender_id is not None:
            _check_tender(verified.data, tender_id)
    except GuaranteeRejected as exc:
        raise click.ClickException(f"REJECTED [{exc.code}]: {exc.detail}") from exc
    data = verified.data
    click.echo(f"VALID: guarantee {data.number} by {data.issuer.name}, signed {verified.timestamp_time.isoformat()}")
    click.echo(f"  {data.amount} {data.currency} for {data.applicant.name} -> {data.beneficiary.name}")
    click.echo(f"  tender {data.tender_id} lot {data.lot_number}, valid {data.valid_from} to {data.valid_until}")


def _check_tender(data: Any, tender_id: uuid.UUID) -> None:
    from bidding.guarantees.verification import check_against
    from sunbid.cli.runtime import prepared, run_in_session

    _, url = prepared()

    async def expectation(session: Any) -> Any:
        from bidding.guarantees.services import expectation_for
        from trading.tenders.models import Tender

        tender = await session.get(Tender, tender_id)
        if tender is None:
            raise click.ClickException(f"tender {tender_id} does not exist")
        lot = next((lot for lot in tender.lots if lot.id == data.lot_id), tender.lots[0])
        return await expectation_for(session, tender, lot)

    check_against(data, run_in_session(url, expectation))
