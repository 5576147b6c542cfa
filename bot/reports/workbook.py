"""The summary as an Excel workbook officers can forward, print and sign.

Four sheets: a cover (cluster, period, deadline, generated at, who submitted, who was late,
who is missing), the figures (department x indicator, units in the header, one row per
department and the cluster figure by each indicator's rule below), the narrative answers, and
the revision history (who, when, old, new). Every sheet is print-ready: landscape A4, fitted to
the page width, header rows repeated and frozen.

Numbers are stored as numbers with Excel number formats (``#,##0``, ``#,##0.0``, ``0.0%``): Excel
shows them with the separators of the reader's system, so a Vietnamese Excel displays
1.203 and 12,5%. Percent indicators are stored as fractions (12,5% -> 0.125) so that Excel's own
percent arithmetic works. Text from users is always written as text, never as a formula.
"""

from __future__ import annotations

import copy
import io
import weakref
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain.aggregation import numeric_value
from bot.domain.summary import HistoryEntry, IndicatorInfo, IndicatorSummary, Summary
from bot.reports import plain
from bot.reports.cell_values import display_value, excel_number_format, words
from bot.reports.scoring_sheets import ScoringSheets, add_scoring_sheets
from messages.formatting import period_label
from messages.render import current_zone

__all__ = ["build_workbook", "display_value", "excel_number_format", "words"]

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")
_TOTAL_FILL = PatternFill("solid", fgColor="FFF2CC")
_MISSING_FILL = PatternFill("solid", fgColor="EEEEEE")
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_LEFT_TOP = Alignment(horizontal="left", vertical="top")
_CENTER = Alignment(horizontal="center")
_RIGHT_WRAP = Alignment(horizontal="right", wrap_text=True)
_ITALIC = Font(italic=True)
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")
_MAX_DECIMALS = 4


def _clean(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


_STYLE_CACHE: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], Any]] = (
    weakref.WeakKeyDictionary()
)


def _style(cell: Any, **style: Any) -> None:
    """Give a cell its whole style at once. openpyxl hashes every style object on each
    assignment; a combination seen before is copied as one array instead (thousands of cells)."""
    if not style:
        return
    cache = _STYLE_CACHE.setdefault(cell.parent.parent, {})
    key = tuple(sorted((name, value if isinstance(value, str) else id(value))
                       for name, value in style.items()))  # fmt: skip
    cached = cache.get(key)
    if cached is not None:
        cell._style = copy.copy(cached)
        return
    for name, value in style.items():
        setattr(cell, name, value)
    cache[key] = copy.copy(cell._style)


def _text(ws: Worksheet, row: int, column: int, value: str, **style: Any) -> None:
    """Write user text as text: a leading "=" must not become a formula."""
    cell = ws.cell(row=row, column=column, value=_clean(value))
    cell.data_type = "s"
    _style(cell, **style)


def _local(dt: datetime) -> datetime:
    """Excel has no time zones: local time in the cluster's zone (the render zone), naive."""
    return dt.astimezone(current_zone()).replace(tzinfo=None)


def _decimals(values: Sequence[Decimal]) -> int:
    most = 0
    for value in values:
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            most = max(most, -exponent)
    return min(most, _MAX_DECIMALS)


def _excel_number(indicator: IndicatorInfo, number: Decimal) -> Decimal | int:
    if indicator.type == "percent":
        return number / 100
    if number == number.to_integral_value() and abs(number) < 10**15:
        return int(number)
    return number


def _header(indicator: IndicatorInfo, lang: str) -> str:
    label = indicator.label_en if lang == "en" and indicator.label_en else indicator.label
    unit = indicator.unit_en if lang == "en" and indicator.unit_en else indicator.unit
    if indicator.type == "percent":
        unit = "%"
    return plain(lang, "header_with_unit", label=label, unit=unit)


def _name(obj: Any, lang: str, attr: str = "name") -> str:
    if lang == "en":
        english = getattr(obj, f"{attr}_en", "")
        if english:
            return str(english)
    return str(getattr(obj, attr))


def _print_setup(
    ws: Worksheet, title_rows: str | None = None, title_cols: str | None = None
) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    assert ws.sheet_properties.pageSetUpPr is not None  # openpyxl always creates it
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    if title_rows:
        ws.print_title_rows = title_rows
    if title_cols:
        ws.print_title_cols = title_cols
    assert ws.oddFooter is not None  # openpyxl always creates it
    ws.oddFooter.center.text = "&P/&N"


# --------------------------------------------------------------------------- sheets


def _cover(ws: Worksheet, s: Summary, lang: str, generated_at: datetime | None) -> None:
    ws.title = words(lang, "sheet_cover")
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 90
    _text(ws, 1, 1, plain(lang, "title", period=s.period), font=_TITLE)
    ws.merge_cells("A1:B1")
    cluster = s.cluster_name_en if lang == "en" and s.cluster_name_en else s.cluster_name

    def names(items: Sequence[Any]) -> str:
        return ", ".join(_name(x, lang) for x in items) or words(lang, "none_word")

    rows: list[tuple[str, Any, str | None]] = [
        (words(lang, "cover_cluster"), cluster, None),
        (words(lang, "cover_period"), period_label(s.period, lang), None),
    ]
    if s.deadline is not None:
        rows.append((words(lang, "cover_deadline"), s.deadline, "dd/mm/yyyy"))
    rows.append((words(lang, "cover_state"), plain(lang, "state", s=s.state or ""), None))
    if s.compiled:
        rows.append(
            (
                words(lang, "cover_compiled"),
                ", ".join(period_label(p, lang) for p in s.compiled_from),
                None,
            )
        )
        if s.missing_periods:
            rows.append(
                (
                    words(lang, "cover_missing_periods"),
                    ", ".join(period_label(p, lang) for p in s.missing_periods),
                    None,
                )
            )
    if generated_at is not None:
        rows.append((words(lang, "cover_generated"), _local(generated_at), "dd/mm/yyyy hh:mm"))
    rows += [
        (
            words(lang, "cover_submitted"),
            f"{s.coverage}: {names([st.department for st in s.submitted])}",
            None,
        ),
        (words(lang, "cover_late"), names([st.department for st in s.late]), None),
    ]
    if s.compiled:
        rows.append(
            (words(lang, "cover_partial"), names([st.department for st in s.partial]), None)
        )
    rows.append((words(lang, "cover_missing"), names(s.missing), None))
    if s.mergers or s.not_compared:  # predecessors added up, or a change not made: say why
        rows.append((words(lang, "cover_mergers"), plain(lang, "merger_notes", s=s).strip(), None))

    row = 3
    for label, value, number_format in rows:
        _text(ws, row, 1, label, font=_BOLD, alignment=_WRAP)
        if isinstance(value, (date, datetime)):
            cell = ws.cell(row=row, column=2, value=value)
            _style(cell, number_format=number_format or "dd/mm/yyyy", alignment=_LEFT_TOP)
        else:
            _text(ws, row, 2, str(value), alignment=_WRAP)
        row += 1
    row += 1
    _text(ws, row, 1, words(lang, "cover_note"), font=_ITALIC)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
    row += 3
    _text(ws, row, 2, words(lang, "cover_signature"), font=_BOLD,
          alignment=_CENTER)  # fmt: skip
    _text(ws, row + 1, 2, words(lang, "cover_signature_hint"), font=_ITALIC,
          alignment=_CENTER)  # fmt: skip
    _print_setup(ws)


def _figure_value(line: IndicatorSummary, lang: str) -> Any:
    figure = line.figure
    if figure.rule == "none":
        if line.distribution:
            return "; ".join(
                f"{plain(lang, 'boolean', v=a) if line.indicator.type == 'boolean' else a}: {n}"
                for a, n in line.distribution
            )
        return None
    if figure.value is None:
        return None
    if figure.rule == "count":
        return int(figure.value)
    return _excel_number(line.indicator, figure.value)


def _data(ws: Worksheet, s: Summary, lang: str) -> None:
    ws.title = words(lang, "sheet_data")
    _text(ws, 1, 1, plain(lang, "title", period=s.period), font=_TITLE)
    cluster = s.cluster_name_en if lang == "en" and s.cluster_name_en else s.cluster_name
    _text(ws, 2, 1, cluster, font=_ITALIC)
    header_row, first_col = 4, 4
    for column, word in enumerate(("col_no", "col_department", "col_status"), start=1):
        _text(ws, header_row, column, words(lang, word), font=_BOLD, fill=_HEADER_FILL,
              alignment=_HEADER_ALIGN, border=_BORDER)  # fmt: skip
    status_by_dept = {st.department.id: st for st in s.submitted}
    formats: list[str | None] = []
    places: list[int] = []
    for offset, line in enumerate(s.indicators):
        column = first_col + offset
        _text(ws, header_row, column, _header(line.indicator, lang), font=_BOLD,
              fill=_HEADER_FILL, alignment=_HEADER_ALIGN, border=_BORDER)  # fmt: skip
        ws.column_dimensions[get_column_letter(column)].width = 16
        if line.indicator.numeric:
            numbers = [
                n for _, raw, _ in line.rows
                if (n := numeric_value(line.indicator.type, raw)) is not None
            ]  # fmt: skip
            places.append(_decimals(numbers))
            formats.append(excel_number_format(line.indicator.type, places[-1]))
        else:
            places.append(0)
            formats.append(None)
    ws.row_dimensions[header_row].height = 75

    row = header_row
    for index, dept in enumerate(s.departments, start=1):
        row += 1
        status = status_by_dept.get(dept.id)
        missing = {"fill": _MISSING_FILL} if status is None else {}
        _style(ws.cell(row=row, column=1, value=index), border=_BORDER, **missing)
        _text(ws, row, 2, _name(dept, lang), border=_BORDER, **missing)
        if status is None:
            word = words(lang, "status_missing")
        elif s.compiled and status.parts < s.parts_expected:
            word = plain(lang, "status_partial", n=status.parts, total=s.parts_expected)
        elif status.late:
            word = words(lang, "status_late")
        else:
            word = words(lang, "status_submitted")
        _text(ws, row, 3, word, border=_BORDER, **missing)
        for offset, line in enumerate(s.indicators):
            _, raw, submitted = line.rows[index - 1]
            column = first_col + offset
            indicator = line.indicator
            number = numeric_value(indicator.type, raw) if indicator.numeric else None
            shade = {} if submitted else {"fill": _MISSING_FILL}
            if number is not None:
                cell = ws.cell(row=row, column=column, value=_excel_number(indicator, number))
                _style(cell, number_format=formats[offset] or "General", border=_BORDER, **shade)
            elif raw is not None and raw != "" and submitted:
                _text(ws, row, column, display_value(indicator, raw, lang), border=_BORDER)
            else:
                _style(ws.cell(row=row, column=column), border=_BORDER, **shade)

    # The cluster figure by each indicator's rule, the rule, and the coverage.
    labels = (words(lang, "row_figure"), words(lang, "row_rule"), words(lang, "row_coverage"))
    for step, label in enumerate(labels, start=1):
        r = row + step
        _text(ws, r, 2, label, font=_BOLD, fill=_TOTAL_FILL, border=_BORDER)
        for column in (1, 3):
            _style(ws.cell(row=r, column=column), fill=_TOTAL_FILL, border=_BORDER)
        for offset, line in enumerate(s.indicators):
            column = first_col + offset
            boxed = {"fill": _TOTAL_FILL, "border": _BORDER, "alignment": _RIGHT_WRAP}
            if step == 1:
                value = _figure_value(line, lang)
                figure_cell = ws.cell(row=r, column=column)
                if isinstance(value, str):
                    _text(ws, r, column, value, font=_BOLD, **boxed)
                    continue
                figure_cell.value = value
                number_format = "General"
                if value is not None and line.figure.rule == "count":
                    number_format = "#,##0"
                elif value is not None:
                    assert line.figure.value is not None
                    own = min(_decimals([line.figure.value]), 2)  # an average: 2 places
                    number_format = excel_number_format(
                        line.indicator.type, max(places[offset], own)
                    )
                _style(figure_cell, number_format=number_format, font=_BOLD, **boxed)
            elif step == 2:
                rule = plain(lang, "rule", r=line.figure.rule, type=line.indicator.type)
                _text(ws, r, column, rule, **boxed)
            else:
                _text(ws, r, column, line.figure.coverage, **boxed)

    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 30
    ws.column_dimensions["C"].width = 14
    ws.freeze_panes = ws.cell(row=header_row + 1, column=first_col).coordinate
    _print_setup(ws, title_rows=f"{header_row}:{header_row}", title_cols="A:C")


def _narrative(ws: Worksheet, s: Summary, lang: str) -> None:
    ws.title = words(lang, "sheet_narrative")
    headers = ("col_no", "col_department", "col_indicator", "col_content")
    for column, word in enumerate(headers, start=1):
        _text(ws, 1, column, words(lang, word), font=_BOLD, fill=_HEADER_FILL,
              alignment=_HEADER_ALIGN, border=_BORDER)  # fmt: skip
    row, number = 1, 0
    for narrative in s.narratives:
        number += 1
        for indicator, text in narrative.answers:
            row += 1
            _style(ws.cell(row=row, column=1, value=number), alignment=_WRAP, border=_BORDER)
            _text(ws, row, 2, _name(narrative.department, lang), alignment=_WRAP, border=_BORDER)
            _text(ws, row, 3, _name(indicator, lang, "label"), alignment=_WRAP, border=_BORDER)
            _text(ws, row, 4, text, alignment=_WRAP, border=_BORDER)
    for letter, width in zip("ABCD", (6, 28, 30, 100), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    _print_setup(ws, title_rows="1:1")


def _history(ws: Worksheet, history: Sequence[HistoryEntry], lang: str) -> None:
    ws.title = words(lang, "sheet_history")
    headers = ("col_period", "col_department", "col_revision", "col_by", "col_at",
               "col_indicator", "col_old", "col_new", "col_note")  # fmt: skip
    for column, word in enumerate(headers, start=1):
        _text(ws, 1, column, words(lang, word), font=_BOLD, fill=_HEADER_FILL,
              alignment=_HEADER_ALIGN, border=_BORDER)  # fmt: skip
    row = 1
    empty = words(lang, "empty_value")
    for entry in history:
        row += 1
        period = period_label(entry.period, lang) if entry.period else ""
        _text(ws, row, 1, period, border=_BORDER)
        _text(ws, row, 2, _name(entry.department, lang), border=_BORDER)
        _style(ws.cell(row=row, column=3, value=entry.revision), border=_BORDER)
        _text(ws, row, 4, entry.by or str(entry.by_id), border=_BORDER)
        cell = ws.cell(row=row, column=5, value=_local(entry.at))
        _style(cell, number_format="dd/mm/yyyy hh:mm", border=_BORDER)
        notes = []
        if entry.indicator is None:
            notes.append(words(lang, "first_submission"))
            for column in (6, 7, 8):
                _style(ws.cell(row=row, column=column), border=_BORDER)
        else:
            old = display_value(entry.indicator, entry.old, lang) or empty
            new = display_value(entry.indicator, entry.new, lang) or empty
            _text(ws, row, 6, _name(entry.indicator, lang, "label"), alignment=_WRAP,
                  border=_BORDER)  # fmt: skip
            _text(ws, row, 7, old, alignment=_WRAP, border=_BORDER)
            _text(ws, row, 8, new, alignment=_WRAP, border=_BORDER)
        if entry.late:
            notes.append(words(lang, "late_word"))
        _text(ws, row, 9, "; ".join(notes), border=_BORDER)
    widths = (16, 28, 9, 24, 17, 40, 24, 24, 18)
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A2"
    _print_setup(ws, title_rows="1:1")


def _targets(ws: Worksheet, s: Summary, lang: str) -> None:
    """The year's pact targets against the figures: one row per indicator and department."""
    ws.title = words(lang, "sheet_targets")
    _text(ws, 1, 1, plain(lang, "title", period=s.period), font=_TITLE)
    columns = ("col_no", "col_indicator", "col_department", "col_target", "col_year_figure",
               "col_achieved", "col_reached")  # fmt: skip
    header_row = 3
    for column, word in enumerate(columns, start=1):
        _text(ws, header_row, column, words(lang, word), font=_BOLD, fill=_HEADER_FILL,
              alignment=_HEADER_ALIGN, border=_BORDER)  # fmt: skip
    row = header_row
    for line in s.indicators:
        indicator = line.indicator
        places = _decimals([t.target for t in line.targets] + [
            t.actual for t in line.targets if t.actual is not None
        ])  # fmt: skip
        number_format = excel_number_format(indicator.type, places)
        for target in line.targets:
            row += 1
            _style(ws.cell(row=row, column=1, value=row - header_row), border=_BORDER)
            _text(ws, row, 2, _header(indicator, lang), border=_BORDER)
            _text(ws, row, 3, _name(target.department, lang), border=_BORDER)
            cell = ws.cell(row=row, column=4, value=_excel_number(indicator, target.target))
            _style(cell, number_format=number_format, border=_BORDER)
            actual = ws.cell(row=row, column=5)
            if target.actual is not None:
                actual.value = _excel_number(indicator, target.actual)
            _style(actual, number_format=number_format, border=_BORDER)
            share = ws.cell(row=row, column=6)
            if target.share is not None:
                share.value = round(target.share, 4)  # a fraction, shown as a percent
            _style(share, number_format="0.0%", border=_BORDER)
            _text(ws, row, 7, plain(lang, "boolean", v="true" if target.reached else "false"),
                  border=_BORDER)  # fmt: skip
    for letter, width in zip("ABCDEFG", (6, 34, 30, 12, 12, 14, 12), strict=True):
        ws.column_dimensions[letter].width = width
    ws.row_dimensions[header_row].height = 45
    ws.freeze_panes = ws.cell(row=header_row + 1, column=4).coordinate
    _print_setup(ws, title_rows=f"{header_row}:{header_row}", title_cols="A:C")


def build_workbook(
    summary: Summary,
    lang: str,
    history: Sequence[HistoryEntry] = (),
    generated_at: datetime | None = None,
    scoring: ScoringSheets | None = None,
) -> bytes:
    """The .xlsx bytes of the summary (cover, figures, for a year with a pact its targets,
    narrative, revision history; and the year's scoring, when given:
    bot/reports/scoring_sheets.py)."""
    wb = Workbook()
    cover = wb.active
    assert isinstance(cover, Worksheet)  # a new workbook's one sheet
    _cover(cover, summary, lang, generated_at or summary.generated_at)
    _data(wb.create_sheet(), summary, lang)
    if any(line.targets for line in summary.indicators):
        _targets(wb.create_sheet(), summary, lang)
    _narrative(wb.create_sheet(), summary, lang)
    _history(wb.create_sheet(), history, lang)
    if scoring is not None:
        add_scoring_sheets(wb, scoring, lang)
    wb.properties.title = plain(lang, "title", period=summary.period)
    wb.properties.creator = "clusterbot"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
