"""The cluster's report in the forms people use: chat text, charts, Excel and CSV files.

The text of a summary is rendered by the ``summary`` templates and split into Telegram-sized
messages; when the whole report would flood the chat, the per-department tables (and, if still
too long, the narrative answers) are left to the workbook, which the caller then attaches.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.domain.aggregation import numeric_value
from bot.domain.summary import IndicatorInfo, Summary
from messages.formatting import format_number
from messages.render import render
from messages.splitting import TELEGRAM_LIMIT, split_html

__all__ = [
    "MAX_SUMMARY_MESSAGES",
    "SummaryText",
    "plain",
    "short_names",
    "summary_messages",
    "summary_tables",
    "summary_text",
]

MAX_SUMMARY_MESSAGES = 5
"""More messages than this and the chat gets the short form plus the workbook."""


def short_names(summary: Summary, lang: str) -> dict[int, str]:
    """Department names for narrow tables: the words every name starts with are dropped
    ("Sở Nội vụ Bắc Kạn", "Sở Nội vụ Hòa Bình" -> "Bắc Kạn", "Hòa Bình")."""
    names = {
        d.id: unicodedata.normalize("NFC", d.name_en if lang == "en" and d.name_en else d.name)
        for d in summary.departments
    }
    split = [name.split() for name in names.values()]
    if len(split) < 2:
        return names
    common = 0
    while all(len(words) > common + 1 for words in split) and (
        len({words[common] for words in split}) == 1
    ):
        common += 1
    return {key: " ".join(name.split()[common:]) for key, name in names.items()}


TABLE_WIDTH = 32
"""Monospace columns of a <pre> row: fits a phone screen in portrait."""

_TAG = re.compile(r"<[^>]*>")


def _fit(name: str, width: int) -> str:
    """The name in exactly ``width`` columns, shortened in the middle if needed."""
    if len(name) <= width:
        return name.ljust(width)
    head = (width - 1) // 2
    return (name[:head].rstrip() + "…" + name[head - width + 1 :].lstrip()).ljust(width)


def _cell(
    indicator: IndicatorInfo, raw: str | None, submitted: bool, words: dict[str, str], lang: str
) -> str:
    if not submitted:
        return words["missing"]
    if raw is None or raw == "":
        return words["skipped"]
    if indicator.type == "boolean":
        return words["yes"] if raw == "true" else words["no"]
    if indicator.numeric:
        number = numeric_value(indicator.type, raw)
        if number is not None:
            text = format_number(number, lang)
            return text + "%" if indicator.type == "percent" else text
    return unicodedata.normalize("NFC", " ".join(raw.split()))


def _target(indicator: IndicatorInfo, target: Decimal, lang: str) -> str:
    text = format_number(target, lang)
    return text + "%" if indicator.type == "percent" else text


def summary_tables(summary: Summary, lang: str, width: int = TABLE_WIDTH) -> dict[int, str]:
    """indicator id -> the rows of its per-department table (plain text, one row a line):
    the name on the left, the value aligned right, every row exactly ``width`` columns unless a
    value is too wide to leave a name of 12 columns."""
    words = {
        key: render(lang, f"summary.word_{key}") for key in ("missing", "skipped", "yes", "no")
    }
    short = short_names(summary, lang)
    tables: dict[int, str] = {}
    for line in summary.indicators:
        targets = {t.department.id: t.target for t in line.targets}
        cells = [
            (short[dept.id], _cell(line.indicator, raw, submitted, words, lang))
            for dept, raw, submitted in line.rows
        ]
        if targets:  # a year with pact targets: "figure/target" (the block above says so)
            cells = [
                (name, f"{value}/{_target(line.indicator, targets[dept.id], lang)}")
                if dept.id in targets and numeric_value(line.indicator.type, raw) is not None
                else (name, value)
                for (name, value), (dept, raw, _) in zip(cells, line.rows, strict=True)
            ]
        value_width = max((len(value) for _, value in cells), default=1)
        name_width = max(width - value_width - 1, 12)
        tables[line.indicator.id] = "\n".join(
            f"{_fit(name, name_width)} {value.rjust(value_width)}" for name, value in cells
        )
    return tables


def summary_text(
    summary: Summary, lang: str, *, detail: bool = True, narrative: bool = True
) -> str:
    """The whole summary as one Telegram-HTML text (may exceed one message)."""
    return render(
        lang,
        "summary.summary",
        s=summary,
        tables=summary_tables(summary, lang) if detail else {},
        detail=detail,
        narrative=narrative,
    )


def _surely_longer(text: str, characters: int) -> bool:
    """True when the visible text has more than ``characters`` (a cheap lower bound)."""
    return len(html.unescape(_TAG.sub("", text))) > characters


@dataclass(frozen=True)
class SummaryText:
    messages: list[str]
    complete: bool
    """False when tables or narratives were left out: attach the workbook."""


def summary_messages(
    summary: Summary,
    lang: str,
    *,
    max_messages: int = MAX_SUMMARY_MESSAGES,
    limit: int = TELEGRAM_LIMIT,
) -> SummaryText:
    """The summary as messages, each valid HTML within ``limit`` and cut between lines.

    Tries the full report, then without the per-department tables, then without the
    narrative answers too; the first that fits in ``max_messages`` wins (the last one is
    returned in any case).
    """
    room = max_messages * limit
    table_rows = sum(len(line.rows) + 1 for line in summary.indicators)
    attempts = [(False, True), (False, False)]
    if table_rows * (TABLE_WIDTH + 1) <= room:  # the tables alone would not fit: skip them
        attempts.insert(0, (True, True))
    chunks: list[str] = []
    for n, (detail, narrative) in enumerate(attempts):
        text = summary_text(summary, lang, detail=detail, narrative=narrative)
        if n < len(attempts) - 1 and _surely_longer(text, room):
            continue
        chunks = split_html(text, limit)
        if len(chunks) <= max_messages:
            return SummaryText(chunks, complete=detail and narrative)
    return SummaryText(chunks, complete=False)


def plain(lang: str, name: str, /, **params: Any) -> str:
    """A plain-text word or phrase for files and charts (the ``reports.txt`` templates)."""
    return render(lang, f"reports.{name}", **params)
