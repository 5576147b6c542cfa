"""The year's scoring in the summary workbook (bot/reports/workbook.py): one sheet, one row per
department and criterion (self-scored or computed points, the checker's points, the final
points, the evidence count), a total row per department, filterable in Excel.

Plain values only (they pickle for the worker process); what the points are is decided in
bot/services/scoring_sheets.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from bot.reports import plain

__all__ = ["DepartmentScores", "ScoringRow", "ScoringSheets", "add_scoring_sheets"]

if TYPE_CHECKING:  # openpyxl is the worker process's (tests/test_lean_imports.py)
    from openpyxl import Workbook


@dataclass(frozen=True)
class ScoringRow:
    criterion: str  # id
    name: str
    name_en: str | None
    group: str
    group_en: str | None
    max: Decimal
    method: str  # self | auto | timeliness
    own: Decimal | None  # the department's score (self) or the bot's (auto, timeliness)
    checked: Decimal | None  # the checker's points, when adjusted (and not withdrawn)
    final: Decimal | None  # as locked; before the lock, as it stands
    evidence: int


@dataclass(frozen=True)
class DepartmentScores:
    name: str
    name_en: str | None
    rows: Sequence[ScoringRow]
    bonus: Decimal
    deductions: Decimal
    total: Decimal


@dataclass(frozen=True)
class ScoringSheets:
    year: int
    scale: Decimal
    locked: bool
    departments: Sequence[DepartmentScores]


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def add_scoring_sheets(wb: Workbook, sheets: ScoringSheets, lang: str) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    _BOLD = Font(bold=True)  # noqa: N806 - the sheet's styles, made where openpyxl is loaded
    _HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")  # noqa: N806
    _TOTAL_FILL = PatternFill("solid", fgColor="FFF2CC")  # noqa: N806
    _THIN = Side(style="thin", color="999999")  # noqa: N806
    _BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)  # noqa: N806
    _WRAP = Alignment(wrap_text=True, vertical="top")  # noqa: N806
    ws = wb.create_sheet(plain(lang, "scoring_sheet", year=sheets.year))
    english = lang == "en"
    state = "scoring_locked" if sheets.locked else "scoring_not_locked"
    title = ws.cell(1, 1, plain(lang, "scoring_title", year=sheets.year, scale=sheets.scale))
    title.font = Font(bold=True, size=14)
    ws.cell(2, 1, plain(lang, state)).font = Font(italic=True)
    headers = ("col_department", "col_group", "col_criterion", "col_max", "col_method",
               "col_own_points", "col_checked_points", "col_final_points", "col_evidence")  # fmt: skip
    for column, word in enumerate(headers, start=1):
        cell = ws.cell(4, column, plain(lang, word))
        cell.font, cell.fill, cell.border, cell.alignment = _BOLD, _HEADER_FILL, _BORDER, _WRAP
    row = 5
    for department in sheets.departments:
        name = department.name_en if english and department.name_en else department.name
        for line in department.rows:
            values = (
                name,
                line.group_en if english and line.group_en else line.group,
                line.name_en if english and line.name_en else line.name,
                _number(line.max),
                plain(lang, "scoring_method", method=line.method),
                _number(line.own),
                _number(line.checked),
                _number(line.final),
                line.evidence,
            )
            for column, value in enumerate(values, start=1):
                cell = ws.cell(row, column, value)
                if isinstance(value, str):
                    cell.data_type = "s"  # names from the file are never formulas
                cell.border = _BORDER
                if column == 3:
                    cell.alignment = _WRAP
            row += 1
        for column, value in (
            (1, name),
            (3, plain(lang, "scoring_total_row")),
            (4, _number(sheets.scale)),
            (6, plain(lang, "scoring_extras", bonus=department.bonus,
                      deductions=department.deductions)),
            (8, _number(department.total)),
            (9, sum(line.evidence for line in department.rows)),
        ):  # fmt: skip
            cell = ws.cell(row, column, value)
            if isinstance(value, str):
                cell.data_type = "s"
        for column in range(1, len(headers) + 1):
            cell = ws.cell(row, column)
            cell.font, cell.fill, cell.border = _BOLD, _TOTAL_FILL, _BORDER
        row += 1
    for letter, width in zip("ABCDEFGHI", (28, 24, 50, 9, 14, 12, 12, 12, 10), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A5"
    ws.auto_filter.ref = f"A4:I{max(row - 1, 4)}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    assert ws.sheet_properties.pageSetUpPr is not None  # openpyxl always creates it
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "4:4"
