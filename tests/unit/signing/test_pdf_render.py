"""Chinese documents render with a real CJK font, extractable text, embedded data and stable bytes."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from signing import pdf as pdf_module
from signing.pdf import CJKFontMissing, Document, find_cjk_font, render, render_document

CREATED = dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC)


def _require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed: install the Debian package {package}")
    return path


def _guarantee_pdf() -> bytes:
    return render_document(
        "投标保函",
        [
            ("一、保函金额", "人民币壹拾万元整（¥100,000.00）。\n本保函不可撤销。"),
            ("二、有效期", "自开标之日起九十日内有效。"),
        ],
        [["受益人", "申请人", "金额"], ["某市公共资源交易中心", "某某建设集团有限公司", "100000.00"]],
        {"guarantee.json": '{"amount": "100000.00", "beneficiary": "某市"}'.encode()},
        created_at=CREATED,
    )


def test_chinese_text_is_extractable(tmp_path: Path) -> None:
    pdftotext = _require("pdftotext", "poppler-utils")
    path = tmp_path / "guarantee.pdf"
    path.write_bytes(_guarantee_pdf())
    text = subprocess.run([pdftotext, str(path), "-"], capture_output=True, check=True, text=True).stdout
    for expected in ("投标保函", "人民币壹拾万元整", "本保函不可撤销", "九十日", "某某建设集团有限公司", "100000.00"):
        assert expected in text


def test_attachment_is_embedded(tmp_path: Path) -> None:
    pdfdetach = _require("pdfdetach", "poppler-utils")
    path = tmp_path / "guarantee.pdf"
    path.write_bytes(_guarantee_pdf())
    listing = subprocess.run([pdfdetach, "-list", str(path)], capture_output=True, check=True, text=True).stdout
    assert "guarantee.json" in listing
    out = tmp_path / "out.json"
    subprocess.run([pdfdetach, "-save", "1", "-o", str(out), str(path)], check=True)
    assert out.read_bytes() == '{"amount": "100000.00", "beneficiary": "某市"}'.encode()


def test_same_inputs_give_same_bytes() -> None:
    assert _guarantee_pdf() == _guarantee_pdf()
    assert _guarantee_pdf() != render(Document(title="投标保函"), created_at=CREATED)


def test_debian_noto_font_is_preferred() -> None:
    font = find_cjk_font()
    assert font.path.is_file()
    if font.path.name == "NotoSansCJK-Regular.ttc":
        assert font.face == 2


def test_missing_font_is_an_error_naming_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pdf_module.FONT_ENV, raising=False)
    monkeypatch.setattr(pdf_module, "_CANDIDATES", (("/nonexistent/font.ttc", 0),))
    with pytest.raises(CJKFontMissing, match="fonts-noto-cjk"):
        render_document("标题")


def test_configured_font_must_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pdf_module.FONT_ENV, "/nonexistent/font.ttf")
    with pytest.raises(CJKFontMissing, match="does not name an existing font file"):
        find_cjk_font()


def test_font_without_chinese_glyphs_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    latin = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not latin.is_file():
        pytest.skip("needs a Latin-only font (fonts-dejavu-core) to stand in for a wrong font")
    monkeypatch.setenv(pdf_module.FONT_ENV, str(latin))
    with pytest.raises(CJKFontMissing, match="no glyphs"):
        render_document("标题")


def test_empty_attachment_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        render_document("标题", attachments={"guarantee.json": b""})
