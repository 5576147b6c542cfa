"""The summary as CSV: one row per department and indicator, UTF-8 with a BOM.

The BOM makes Excel read the file as UTF-8, so Vietnamese names keep their diacritics. Each row
carries the value as the reader writes it (``1.203``, ``12,5%``, ``Có``) and the raw canonical
value (``1203``, ``12.5``, ``true``) for programs. Text that Excel would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``) is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io

from bot.domain.summary import IndicatorInfo, Summary
from bot.reports.cell_values import display_value, words
from messages.formatting import period_label

__all__ = ["build_csv"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(text: str) -> str:
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _cell(indicator: IndicatorInfo, raw: str | None, lang: str) -> str:
    shown = display_value(indicator, raw, lang)
    if indicator.numeric and shown:
        return shown  # a number, possibly negative: no apostrophe
    return _safe(shown)


def build_csv(summary: Summary, lang: str) -> bytes:
    """The CSV bytes (UTF-8 with BOM, CRLF line ends, comma-separated, every field quoted
    where needed)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            words(lang, "col_period"),
            words(lang, "col_department_id"),
            words(lang, "col_department"),
            words(lang, "col_indicator_id"),
            words(lang, "col_indicator"),
            words(lang, "col_unit"),
            words(lang, "col_value"),
            words(lang, "col_value_raw"),
            words(lang, "col_status"),
        ]
    )
    period = period_label(summary.period, lang)
    english = lang == "en"
    submitted = {st.department.id: st for st in summary.submitted}
    narratives = {
        (n.department.id, indicator.id): text
        for n in summary.narratives
        for indicator, text in n.answers
    }
    for index, dept in enumerate(summary.departments):
        name = dept.name_en if english and dept.name_en else dept.name
        status = submitted.get(dept.id)
        rows: list[tuple[IndicatorInfo, str | None]] = [
            (line.indicator, line.rows[index][1]) for line in summary.indicators
        ]
        rows += [(i, narratives.get((dept.id, i.id))) for i in summary.text_indicators]
        for indicator, raw in rows:
            if status is None:
                state = words(lang, "status_missing")
            elif raw is None:
                state = words(lang, "status_skipped")
            elif status.late:
                state = words(lang, "status_late")
            else:
                state = words(lang, "status_submitted")
            label = indicator.label_en if english and indicator.label_en else indicator.label
            unit = indicator.unit_en if english and indicator.unit_en else indicator.unit
            writer.writerow(
                [
                    period,
                    dept.slug,
                    _safe(name),
                    indicator.slug,
                    _safe(label),
                    "%" if indicator.type == "percent" else _safe(unit),
                    _cell(indicator, raw, lang),
                    _safe(raw) if raw is not None and not indicator.numeric else (raw or ""),
                    state,
                ]
            )
    return out.getvalue().encode("utf-8-sig")
