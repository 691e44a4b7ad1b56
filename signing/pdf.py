"""Render simple Chinese documents (notices, records, reports, guarantees) to PDF with embedded data attachments.

Text is drawn with a CJK font from Debian (fonts-noto-cjk) so that it is both legible and extractable; a missing
font is an error, never a page of empty boxes. Output depends only on the inputs and `created_at`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import TTFFont

FONT_ENV = "SUNBID_CJK_FONT"
"""An operator may point this at another CJK font file (TTF, OTF or TTC; `path#N` selects face N of a collection)."""

_NOTO_SC_FACE = 2
"""Face index of Simplified Chinese in Debian's NotoSansCJK-*.ttc (0 JP, 1 KR, 2 SC, 3 TC, 4 HK)."""

_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", _NOTO_SC_FACE),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", _NOTO_SC_FACE),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)

_FAMILY = "cjk"
_PROBE = "公共资源交易"


class CJKFontMissing(RuntimeError):
    """No usable CJK font is installed, so Chinese text would render as empty boxes."""


@dataclass(frozen=True)
class CJKFont:
    """A font file and the face inside it to draw Chinese with."""

    path: Path
    face: int = 0


@dataclass(frozen=True)
class Document:
    """A simple document: a title, headed sections of paragraphs, an optional table, and data attachments."""

    title: str
    sections: Sequence[tuple[str, str]] = ()
    table: Sequence[Sequence[str]] | None = None
    attachments: Mapping[str, bytes] = field(default_factory=dict)
    subject: str | None = None


def find_cjk_font() -> CJKFont:
    """The configured or first installed CJK font; raises CJKFontMissing naming the Debian package to install."""
    configured = os.environ.get(FONT_ENV)
    if configured:
        path_text, _, face_text = configured.partition("#")
        font = CJKFont(Path(path_text), int(face_text) if face_text else 0)
        if not font.path.is_file():
            raise CJKFontMissing(f"{FONT_ENV}={configured!r} does not name an existing font file")
        return font
    for path_text, face in _CANDIDATES:
        path = Path(path_text)
        if path.is_file():
            return CJKFont(path, face)
    raise CJKFontMissing(
        "no CJK font found: install the Debian package fonts-noto-cjk (or fonts-wqy-microhei), "
        f"or set {FONT_ENV} to a CJK font file"
    )


def _new_pdf(font: CJKFont, created_at: dt.datetime) -> FPDF:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_creation_date(created_at)
    pdf.set_creator("Sunbid")
    pdf.set_producer("Sunbid")
    pdf.set_lang("zh-CN")
    pdf.add_font(_FAMILY, fname=str(font.path), collection_font_number=font.face)
    bold = font.path.with_name(font.path.name.replace("Regular", "Bold"))
    pdf.add_font(_FAMILY, "B", fname=str(bold if bold.is_file() else font.path), collection_font_number=font.face)
    pdf.set_font(_FAMILY, size=11)
    if not _covers(pdf, _PROBE):
        raise CJKFontMissing(f"{font.path} (face {font.face}) has no glyphs for Chinese text")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(left=20, top=20, right=20)
    return pdf


def _cmap(pdf: FPDF) -> dict[int, str]:
    font = pdf.current_font
    if not isinstance(font, TTFFont):
        raise CJKFontMissing("the current font is a PDF core font without Chinese glyphs")
    cmap: dict[int, str] = font.cmap
    return cmap


def _covers(pdf: FPDF, text: str) -> bool:
    cmap = _cmap(pdf)
    return all(ord(char) in cmap for char in text)


def _require_glyphs(pdf: FPDF, text: str) -> None:
    cmap = _cmap(pdf)
    missing = sorted({char for char in text if not char.isspace() and ord(char) not in cmap})
    if missing:
        raise CJKFontMissing(f"the CJK font has no glyphs for {''.join(missing)!r}")


def _write_table(pdf: FPDF, rows: Sequence[Sequence[str]]) -> None:
    width = max(len(row) for row in rows)
    padded = [[*row, *([""] * (width - len(row)))] for row in rows]
    pdf.set_font(_FAMILY, size=10)
    with pdf.table(first_row_as_headings=True, line_height=7, text_align="LEFT") as table:
        for cells in padded:
            row = table.row()
            for cell in cells:
                row.cell(cell)


def render(document: Document, *, created_at: dt.datetime | None = None) -> bytes:
    """The PDF for document; the same document and created_at always give the same bytes."""
    font = find_cjk_font()
    created_at = created_at or dt.datetime.now(dt.UTC)
    pdf = _new_pdf(font, created_at)
    pdf.set_title(document.title)
    if document.subject:
        pdf.set_subject(document.subject)
    all_text = document.title + "".join(h + b for h, b in document.sections)
    all_text += "".join("".join(row) for row in document.table or ())
    _require_glyphs(pdf, all_text)

    pdf.add_page()
    pdf.set_font(_FAMILY, "B", size=18)
    pdf.multi_cell(0, 11, document.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    for heading, body in document.sections:
        if heading:
            pdf.set_font(_FAMILY, "B", size=13)
            pdf.multi_cell(0, 8, heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(_FAMILY, size=11)
        for paragraph in body.split("\n"):
            pdf.multi_cell(0, 7, paragraph, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
    if document.table:
        _write_table(pdf, document.table)
    for name, data in sorted(document.attachments.items()):
        if not data:
            raise ValueError(f"attachment {name!r} is empty")
        pdf.embed_file(
            bytes=data,
            basename=name,
            modification_date=created_at,
            creation_date=created_at,
            compress=True,
            checksum=True,
        )
    return bytes(pdf.output())


def render_document(
    title: str,
    sections: Sequence[tuple[str, str]] = (),
    table: Sequence[Sequence[str]] | None = None,
    attachments: Mapping[str, bytes] | None = None,
    *,
    created_at: dt.datetime | None = None,
) -> bytes:
    """Convenience form of render() for callers that do not build a Document."""
    document = Document(title=title, sections=tuple(sections), table=table, attachments=dict(attachments or {}))
    return render(document, created_at=created_at)
