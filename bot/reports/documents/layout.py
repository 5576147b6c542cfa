"""The blocks every document shares, in the layout of Decree 30/2020/NĐ-CP (Appendix I, Part I:
"Thể thức và kỹ thuật trình bày văn bản hành chính").

What is implemented, point by point of Appendix I, Part I:

- I.1-3 (paper, orientation, margins): A4 portrait, 210 x 297 mm; margins top 20 mm, bottom
  20 mm, left 30 mm, right 15 mm (the decree's ranges are 20-25, 20-25, 30-35, 15-20 mm).
- I.4 (font): Times New Roman, Unicode, black, for every run (the East Asian and complex-script
  slots too, so that Word does not substitute a font for Vietnamese letters).
- I.7 (page numbers): Arabic, size 14, upright, centred in the top margin, not on the first page.
- II.1 (national motto, cell 1): "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" upper case, 12 pt, bold,
  top right; "Độc lập - Tự do - Hạnh phúc" 13 pt, bold, centred under it, with a solid line
  under it exactly as long as the words (the run's underline).
- II.2 (issuing body, cell 2): the governing body (the cluster) upper case, 12 pt, upright;
  under it the issuing body (the cluster head's department) upper case, 12 pt, bold, with a
  solid line of about 1/3 of its length under it, centred.
- II.3 (number and symbol, cell 3): "Số:" 13 pt, upright, centred under the issuing body; the
  number is left blank to be filled when the document is signed and registered, then "/" and
  the symbol (the type's abbreviation of Appendix III, "-", the issuer's: "BC-CTĐ").
- II.4 (place and date, cell 4): on the same line as the number, centred under the motto, 14 pt
  italic: "Tuyên Quang, ngày 05 tháng 01 năm 2024" (zero before a day below 10 and before the
  months 1 and 2), or with the day and month left blank to be filled when signed.
- II.5 (type and subject, cell 5a): the type upper case, 14 pt, bold, centred; the subject
  under it, 14 pt, bold, with a short solid line under it.
- II.6.e (body, cell 6): 14 pt, upright, justified, first line indented 1 cm, at least 6 pt
  between paragraphs, line spacing between single and 1.5 (1.15 here); II.6.đ: the parts'
  headings numbered with Roman numerals, bold.
- II.7 (signature, cells 7a-7c): the authority ("TM.") and the position upper case, 14 pt,
  bold; the hint "(Ký, ghi rõ họ tên)" italic; room for the signature; the name 14 pt bold,
  centred under the position (left to be written when not known).
- II.9 (recipients, cells 9a and 9b): "Kính gửi:" 14 pt with the addressee on the same line
  (a proposal); "Nơi nhận:" 12 pt bold italic at the left margin, level with the signer's
  position, each recipient 11 pt on its own line after a dash ending in ";", the last "Lưu: VT."

Not implemented: the seal and the digital signatures (cell 8: applied when signing), the
confidentiality and urgency marks (cells 10, 11), the drafter's initials and copies (cell 12),
the issuer's address (cell 13). Nothing here knows what a document says: the words come from
the ``documents`` messages, through :class:`Words`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from docx import Document as new_docx
from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from bot.domain.documents import Heading, Signature, decree_date
from messages.render import render

__all__ = [
    "BODY_PT",
    "FONT",
    "MARGINS_MM",
    "Words",
    "addressee",
    "closing",
    "data_table",
    "heading",
    "new_document",
    "paragraph",
    "roman",
    "section",
    "title",
    "to_bytes",
]

FONT = "Times New Roman"
BODY_PT = 14
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
_TEXT_WIDTH_MM = 210 - MARGINS_MM["left"] - MARGINS_MM["right"]
_LEFT_COLUMN_MM = 68  # the issuing body and the recipients; the rest is the motto's side
_BLANK = "\u00a0" * 8  # the number and the date, left to be filled when signed
# Characters XML 1.0 cannot hold (python-docx refuses them): a department's narrative answer
# pasted from elsewhere may carry one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Words:
    """The documents' words in one language (``messages/templates/documents.txt``)."""

    lang: str

    def __call__(self, message: str, /, **params: Any) -> str:
        return render(self.lang, f"documents.{message}", **params)


def roman(n: int) -> str:
    """1 -> "I" ... 39: the numbering of the parts of a document (Decree 30, II.6.đ)."""
    out = ""
    for value, letters in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + letters, n - value
    return out


# --------------------------------------------------------------------------- the page


def new_document() -> Document:
    """An empty A4 document with the decree's margins, font and page numbers."""
    doc = new_docx()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])
    section.header_distance = Mm(10)
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(BODY_PT)
    _all_font_slots(style.element)
    fmt = style.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    fmt.line_spacing = 1.0
    # The page number: in the top margin, centred, not on the first page (Appendix I, I.7).
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    number._p.append(field)
    return doc


def _all_font_slots(element: object) -> None:
    """Times New Roman in the East Asian and complex-script slots too."""
    rpr = element.get_or_add_rPr()  # type: ignore[attr-defined]  # a run or style's oxml element
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)


def to_bytes(doc: Document) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- runs and paragraphs


def _line(
    container: Document | _Cell,
    text: str = "",
    *,
    size: float = BODY_PT,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.CENTER,
    reuse_first: bool = False,
) -> Paragraph:
    """One paragraph of one run. ``reuse_first``: a table cell's own empty first paragraph."""
    if reuse_first and isinstance(container, _Cell) and not container.paragraphs[0].text:
        para = container.paragraphs[0]
    else:
        para = container.add_paragraph()
    para.alignment = align
    text = _NOT_XML.sub("", text)
    if text:
        run = para.add_run(text)
        run.font.size = Pt(size)
        run.bold, run.italic, run.underline = bold, italic, underline
    return para


def _short_rule(cell: _Cell, length: int) -> None:
    """A centred solid line ``length`` characters long (under the issuer, under the subject)."""
    para = _line(cell, "\u00a0" * max(6, length), size=8, underline=True)
    para.paragraph_format.space_after = Pt(2)


def paragraph(
    doc: Document,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    indent: bool = True,
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.JUSTIFY,
) -> Paragraph:
    """A paragraph of the body: justified, first line indented 1 cm, 6 pt after, 1,15 lines."""
    para = _line(doc, text, bold=bold, italic=italic, align=align)
    fmt = para.paragraph_format
    fmt.first_line_indent = Cm(1) if indent else None
    fmt.space_after = Pt(6)
    fmt.line_spacing = 1.15
    return para


def section(doc: Document, number: int, text: str) -> Paragraph:
    """A part's heading: its Roman numeral and its title, bold, upper case."""
    para = paragraph(doc, f"{roman(number)}. {text.upper()}", bold=True)
    para.paragraph_format.space_before = Pt(6)
    para.paragraph_format.keep_with_next = True
    return para


def _borderless(table: Table, widths_mm: Sequence[float]) -> None:
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)


# --------------------------------------------------------------------------- the blocks


def heading(doc: Document, words: Words, block: Heading, code: str) -> None:
    """Cells 1 to 4: issuing body and number on the left, motto and place/date on the right."""
    table = doc.add_table(rows=2, cols=2)
    _borderless(table, (_LEFT_COLUMN_MM, _TEXT_WIDTH_MM - _LEFT_COLUMN_MM))
    left, right = table.rows[0].cells
    if block.issuer:
        _line(left, block.parent.upper(), size=12, reuse_first=True)
        _line(left, block.issuer.upper(), size=12, bold=True)
        issuer_length = len(block.issuer)
    else:  # no head known: the cluster alone issues
        _line(left, block.parent.upper(), size=12, bold=True, reuse_first=True)
        issuer_length = len(block.parent)
    _short_rule(left, issuer_length // 3)
    _line(right, words("motto_country"), size=12, bold=True, reuse_first=True)
    _line(right, words("motto"), size=13, bold=True, underline=True)

    number, when = table.rows[1].cells
    _line(number, words("number", blank=_BLANK, code=code), size=13, reuse_first=True)
    if block.signed_on is not None:
        day, month, year = decree_date(block.signed_on)
    else:
        day, month, year = _BLANK[:5], _BLANK[:5], str(block.year)
    place = block.place or "\u2026\u2026\u2026"
    _line(
        when,
        words("place_date", place=place, day=day, month=month, year=year),
        italic=True,
        reuse_first=True,
    )
    doc.add_paragraph()


def title(doc: Document, kind: str, subject: str) -> None:
    """Cell 5a: the type in capitals, the subject under it, a short line under both."""
    head = _line(doc, kind.upper(), bold=True)
    head.paragraph_format.space_before = Pt(6)
    _line(doc, subject, bold=True)
    rule = _line(doc, "\u00a0" * max(10, len(subject) // 3), size=8, underline=True)
    rule.paragraph_format.space_after = Pt(12)


def addressee(doc: Document, words: Words, name: str) -> None:
    """Cell 9a of a proposal: "Kính gửi:" and the addressee on one line, centred."""
    para = _line(doc, words("addressee", name=name or "\u2026" * 20))
    para.paragraph_format.space_after = Pt(12)


def _signature(cell: _Cell, words: Words, signature: Signature, first: bool) -> None:
    for n, line in enumerate(words("authority", role=signature.role).split("\n")):
        _line(cell, line.upper(), bold=True, reuse_first=first and n == 0)
    _line(cell, words("sign_hint"), size=13, italic=True)
    for _ in range(4):  # room for the signature and the seal
        _line(cell)
    _line(cell, signature.name or "\u2026" * 12, bold=bool(signature.name))


def _recipients(cell: _Cell, words: Words, recipients: Sequence[str], first: bool) -> None:
    label = _line(
        cell, words("recipients"), size=12, bold=True, italic=True,
        align=WD_ALIGN_PARAGRAPH.LEFT, reuse_first=first,
    )  # fmt: skip
    label.paragraph_format.space_before = Pt(6)
    for n, name in enumerate(recipients):
        end = "." if n == len(recipients) - 1 else ";"
        _line(cell, f"- {name.rstrip(';.')}{end}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)


def closing(
    doc: Document,
    words: Words,
    recipients: Sequence[str],
    signatures: Sequence[Signature],
) -> None:
    """Recipients at the left margin, level with the signer's position, and the signature on
    the right (cells 7 and 9b). Two signatures (the minutes' secretary and chair) stand side by
    side, and the recipients follow under them."""
    doc.add_paragraph()
    if len(signatures) == 1:
        table = doc.add_table(rows=1, cols=2)
        _borderless(table, (_LEFT_COLUMN_MM + 10, _TEXT_WIDTH_MM - _LEFT_COLUMN_MM - 10))
        left, right = table.rows[0].cells
        _recipients(left, words, recipients, first=True)
        _signature(right, words, signatures[0], first=True)
        return
    table = doc.add_table(rows=1, cols=len(signatures))
    width = _TEXT_WIDTH_MM / len(signatures)
    _borderless(table, [width] * len(signatures))
    for cell, signature in zip(table.rows[0].cells, signatures, strict=True):
        _signature(cell, words, signature, first=True)
    if recipients:
        doc.add_paragraph()
        below = doc.add_table(rows=1, cols=1)
        _borderless(below, (_TEXT_WIDTH_MM,))
        _recipients(below.rows[0].cells[0], words, recipients, first=True)


def data_table(
    doc: Document,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths_mm: Sequence[float],
    right_aligned: Sequence[int] = (),
) -> Table:
    """A ruled table of the body: bold centred headers, 13 pt cells, numbers to the right."""
    table = doc.add_table(rows=1 + len(rows), cols=len(headers))
    table.style = doc.styles["Table Grid"]
    _borderless(table, widths_mm)
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        _line(cell, text, size=13, bold=True, reuse_first=True)
    repeat = OxmlElement("w:tblHeader")  # the header row again on every page the table spans
    repeat.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(repeat)
    for row, values in zip(table.rows[1:], rows, strict=True):
        for n, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
            if n == 0 or n in right_aligned:
                align = WD_ALIGN_PARAGRAPH.CENTER if n == 0 else WD_ALIGN_PARAGRAPH.RIGHT
            else:
                align = WD_ALIGN_PARAGRAPH.LEFT
            _line(cell, text, size=13, align=align, reuse_first=True)
    doc.add_paragraph().paragraph_format.space_after = Pt(6)
    return table
