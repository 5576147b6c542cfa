"""What the two fill-in workbooks share (the report template, bot/reports/template_io.py, and the
self-scoring template, bot/reports/score_template.py): one sheet people fill in, its look, the
very hidden sheet that says whose it is, and the protection and print set-up.

openpyxl is imported by these functions, which run in the worker process only (the serving
process imports the template modules for their types and checks: tests/test_lean_imports.py).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.reports import plain


@dataclass(frozen=True)
class Look:
    """The cell styles of a template (openpyxl objects)."""

    bold: Any
    italic: Any
    title: Any
    border: Any
    header_fill: Any
    input_fill: Any
    computed_fill: Any
    group_fill: Any
    wrap: Any
    header_alignment: Any
    unlocked: Any


@dataclass
class Sheet:
    """A template being written: its workbook, the sheet to fill in, the hidden identity
    sheet and the look."""

    book: Any
    ws: Any
    meta: Any
    look: Look

    def text(self, row: int, column: int, value: str, **style: Any) -> None:
        """A text cell: text from the cluster file or from users is never a formula."""
        cell = self.ws.cell(row=row, column=column, value=value)
        cell.data_type = "s"
        for key, item in style.items():
            setattr(cell, key, item)

    def headers(self, row: int, titles: Sequence[str]) -> None:
        for column, title in enumerate(titles, start=1):
            self.text(row, column, title, font=self.look.bold, fill=self.look.header_fill,
                      border=self.look.border, alignment=self.look.header_alignment)  # fmt: skip

    def finish(self, widths: Iterable[int], first_row: int, header_row: int) -> bytes:
        """Column widths, the hidden code column B, frozen headers, the protection (only the
        cells to fill are unlocked) and the print set-up; the workbook's bytes."""
        ws = self.ws
        for letter, width in zip("ABCDEFG", widths, strict=True):
            ws.column_dimensions[letter].width = width
        ws.column_dimensions["B"].hidden = True
        ws.freeze_panes = f"A{first_row}"
        ws.protection.sheet = True  # no password: it guards against slips, not against people
        ws.protection.formatColumns = False
        ws.protection.formatRows = False
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        assert ws.sheet_properties.pageSetUpPr is not None  # openpyxl always creates it
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = f"{header_row}:{header_row}"
        self.book.properties.creator = "clusterbot"
        buffer = io.BytesIO()
        self.book.save(buffer)
        return buffer.getvalue()


def new_sheet(lang: str, sheet_word: str, meta_sheet: str, identity: Iterable[Sequence[Any]]) -> Sheet:
    """A workbook with the sheet to fill in (named by the ``sheet_word`` of reports.txt) and the
    very hidden ``meta_sheet`` holding the ``identity`` rows, then the sheet's own name."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    ws = book.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = plain(lang, sheet_word)
    thin = Side(style="thin", color="999999")
    look = Look(
        bold=Font(bold=True),
        italic=Font(italic=True),
        title=Font(bold=True, size=14),
        border=Border(left=thin, right=thin, top=thin, bottom=thin),
        header_fill=PatternFill("solid", fgColor="DDE7F3"),
        input_fill=PatternFill("solid", fgColor="FFF9DB"),
        computed_fill=PatternFill("solid", fgColor="EEEEEE"),
        group_fill=PatternFill("solid", fgColor="EEF3F8"),
        wrap=Alignment(wrap_text=True, vertical="top"),
        header_alignment=Alignment(wrap_text=True, vertical="center"),
        unlocked=Protection(locked=False),
    )
    meta = book.create_sheet(meta_sheet)
    meta.sheet_state = "veryHidden"
    for row in identity:
        meta.append(list(row))
    meta.append(["sheet", ws.title])
    return Sheet(book, ws, meta, look)
