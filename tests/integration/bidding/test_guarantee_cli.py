"""`sunbid guarantee demo` writes a PDF that poppler's pdfsig validates, and trusts once the dev CA is imported."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bidding.guarantees.verification import DATA_FILE, parse_data, verify_signed
from signing.pades import read_signed_attachment
from sunbid.cli.guarantee import FALLBACK_TENDER
from trading.tenders.models import Tender
from trading.tenders.states import TenderStatus

SUNBID = [sys.executable, "-c", "from sunbid.cli import main; main()"]


def _require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed: install the Debian package {package}")
    return path


def _run_demo(data_dir: Path, out: Path, *extra: str, database_url: str | None = None) -> str:
    env = {**os.environ, "SUNBID_DATA_DIR": str(data_dir), "SUNBID_MODE": "test"}
    env.pop("SUNBID_DATABASE_URL", None)
    if database_url:
        env["SUNBID_DATABASE_URL"] = database_url
    done = subprocess.run(
        [*SUNBID, "guarantee", "demo", "--out", str(out), *extra],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def demo_pdf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    data_dir = tmp_path_factory.mktemp("var")
    out = data_dir / "guarantee.pdf"
    _run_demo(data_dir, out, "--no-db")
    return out, data_dir


def test_pdfsig_says_valid_and_trusted(demo_pdf: tuple[Path, Path], tmp_path: Path) -> None:
    pdfsig = _require("pdfsig", "poppler-utils")
    certutil = _require("certutil", "libnss3-tools")
    out, data_dir = demo_pdf
    plain = subprocess.run([pdfsig, str(out)], capture_output=True, text=True, check=False).stdout
    assert "Signature is Valid." in plain

    nss = tmp_path / "nss"
    nss.mkdir()
    root = data_dir / "platform" / "ca" / "ca.pem"
    subprocess.run([certutil, "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    subprocess.run(
        [certutil, "-A", "-d", f"sql:{nss}", "-n", "guarantor-root", "-t", "CT,C,C", "-i", str(root)], check=True
    )
    trusted = subprocess.run([pdfsig, "-nssdir", f"sql:{nss}", str(out)], capture_output=True, text=True, check=False)
    assert "Signature is Valid." in trusted.stdout
    assert "Certificate is Trusted." in trusted.stdout


async def test_demo_guarantee_verifies_against_the_dev_ca(demo_pdf: tuple[Path, Path]) -> None:
    from cryptography import x509

    out, data_dir = demo_pdf
    root = x509.load_pem_x509_certificate((data_dir / "platform" / "ca" / "ca.pem").read_bytes())
    verified = await verify_signed(out.read_bytes(), [root], [root])
    assert verified.data.tender_id == FALLBACK_TENDER
    assert verified.data.issuer.name == "阳光银行股份有限公司"
    assert (data_dir / "wallet" / "guarantor" / "signing-key.pem").exists()


async def test_demo_uses_the_demo_tender_from_the_database(
    seeded: None, database_url: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with sessions() as session:
        tender = await session.scalar(
            select(Tender).where(Tender.status == TenderStatus.PUBLISHED.value).order_by(Tender.bid_deadline.desc())
        )
    out = tmp_path / "g.pdf"
    _run_demo(tmp_path / "var", out, database_url=database_url)
    data = parse_data(read_signed_attachment(out.read_bytes(), DATA_FILE))
    assert data.tender_id == (tender.id if tender is not None else FALLBACK_TENDER)
    if tender is not None:
        assert data.lot_id == tender.lots[0].id
        assert data.amount >= tender.lots[0].bid_bond_amount
