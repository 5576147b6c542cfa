"""How a stored value reads in the files (workbook, CSV, the Excel template), without openpyxl.

Kept apart from :mod:`bot.reports.workbook` so that the CSV export, the template's types and
the serving process (which only prepares jobs) can use them without importing openpyxl (and the
numpy it brings): about 0,15 s of CPU and several MiB of memory in a process that never writes a
workbook.
"""

from __future__ import annotations

from functools import lru_cache

from bot.domain.aggregation import numeric_value
from bot.domain.summary import IndicatorInfo
from bot.reports import plain
from messages.formatting import format_number

__all__ = ["display_value", "excel_number_format", "words"]


@lru_cache(maxsize=512)
def words(lang: str, name: str) -> str:
    """A fixed word of the files (no parameters), cached."""
    return plain(lang, name)


@lru_cache(maxsize=64)
def _boolean(lang: str, raw: str) -> str:
    return plain(lang, "boolean", v=raw)


def excel_number_format(indicator_type: str, decimals: int) -> str:
    """The Excel format for an indicator's column: grouping, ``decimals`` places, % for percent."""
    places = "." + "0" * decimals if decimals else ""
    if indicator_type == "percent":
        return f"0{places}%"
    return f"#,##0{places}"


def display_value(indicator: IndicatorInfo, raw: str | None, lang: str) -> str:
    """A stored value as a reader sees it (for text cells: history, CSV)."""
    if raw is None or raw == "":
        return ""
    if indicator.type == "boolean":
        return _boolean(lang, raw)
    number = numeric_value(indicator.type, raw)
    if number is not None and indicator.numeric:
        text = format_number(number, lang, 6)
        return text + "%" if indicator.type == "percent" else text
    return raw
