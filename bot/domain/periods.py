"""Reporting periods: a year, a half-year, a quarter or a month.

A period is identified by a stable code ("2023", "2023-H1", "2023-Q4", "2023-11") that storage
keeps; :func:`parse_period` also reads the forms officers type in Vietnamese ("Quý IV/2023",
"Tháng 11/2023", "Năm 2023"). Display names live in ``messages``, not here.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = [
    "KINDS",
    "Period",
    "PeriodError",
    "PeriodKind",
    "containing",
    "latest_completed",
    "parse_period",
    "roman",
]

PeriodKind = Literal["year", "half", "quarter", "month"]

KINDS: tuple[PeriodKind, ...] = ("year", "half", "quarter", "month")
"""From the longest to the shortest; also the order of periods that start on the same day."""

_PER_YEAR: dict[str, int] = {"year": 1, "half": 2, "quarter": 4, "month": 12}
_MONTHS_LONG: dict[str, int] = {"year": 12, "half": 6, "quarter": 3, "month": 1}

MIN_YEAR = 1900
MAX_YEAR = 2999


class PeriodError(ValueError):
    """A period that does not exist, or a text that names no period."""


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period. ``index`` is 1 for a year, 1-2 halves, 1-4 quarters, 1-12 months.

    The generated ordering compares (kind, year, index); use :attr:`sort_key` to sort
    chronologically.
    """

    kind: PeriodKind
    year: int
    index: int

    def __post_init__(self) -> None:
        if self.kind not in _PER_YEAR:
            raise PeriodError(f"unknown period kind: {self.kind!r}")
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise PeriodError(f"year out of range ({MIN_YEAR}-{MAX_YEAR}): {self.year}")
        count = _PER_YEAR[self.kind]
        if not 1 <= self.index <= count:
            if count == 1:
                raise PeriodError(f"a year has index 1, not {self.index}")
            raise PeriodError(f"{self.kind} must be between 1 and {count}, not {self.index}")

    # ------------------------------------------------------------------ constructors

    @classmethod
    def of_year(cls, year: int) -> Period:
        return cls("year", year, 1)

    @classmethod
    def of_half(cls, year: int, half: int) -> Period:
        return cls("half", year, half)

    @classmethod
    def of_quarter(cls, year: int, quarter: int) -> Period:
        return cls("quarter", year, quarter)

    @classmethod
    def of_month(cls, year: int, month: int) -> Period:
        return cls("month", year, month)

    # ------------------------------------------------------------------ properties

    @property
    def code(self) -> str:
        """The stable code: "2023", "2023-H1", "2023-Q4", "2023-11"."""
        if self.kind == "year":
            return f"{self.year:04d}"
        if self.kind == "half":
            return f"{self.year:04d}-H{self.index}"
        if self.kind == "quarter":
            return f"{self.year:04d}-Q{self.index}"
        return f"{self.year:04d}-{self.index:02d}"

    @property
    def first_month(self) -> int:
        return (self.index - 1) * _MONTHS_LONG[self.kind] + 1

    @property
    def last_month(self) -> int:
        return self.index * _MONTHS_LONG[self.kind]

    @property
    def start(self) -> date:
        """The first day of the period."""
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """The last day of the period (inclusive)."""
        last_day = calendar.monthrange(self.year, self.last_month)[1]
        return date(self.year, self.last_month, last_day)

    @property
    def sort_key(self) -> tuple[date, int]:
        """Chronological order; among periods starting the same day, the longest first."""
        return (self.start, KINDS.index(self.kind))

    # ------------------------------------------------------------------ navigation

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if self.index > 1:
            return Period(self.kind, self.year, self.index - 1)
        return Period(self.kind, self.year - 1, _PER_YEAR[self.kind])

    def next(self) -> Period:
        """The period of the same kind just after this one."""
        if self.index < _PER_YEAR[self.kind]:
            return Period(self.kind, self.year, self.index + 1)
        return Period(self.kind, self.year + 1, 1)

    def same_period_last_year(self) -> Period:
        return Period(self.kind, self.year - 1, self.index)

    def contains(self, other: Period) -> bool:
        """True when ``other`` lies entirely within this period (a period contains itself)."""
        return self.start <= other.start and other.end <= self.end

    def contains_date(self, day: date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> tuple[Period, ...]:
        """The months this period is made of."""
        return tuple(
            Period("month", self.year, m) for m in range(self.first_month, self.last_month + 1)
        )

    def __str__(self) -> str:
        return self.code


# ---------------------------------------------------------------------- helpers

_ROMAN_NUMERALS: tuple[tuple[int, str], ...] = (
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
)  # fmt: skip


def roman(n: int) -> str:
    """Roman numeral for 1..3999: roman(4) == "IV" (quarters are written "Quý IV/2023")."""
    if not 1 <= n <= 3999:
        raise ValueError(f"no roman numeral for {n}")
    parts: list[str] = []
    for value, numeral in _ROMAN_NUMERALS:
        count, n = divmod(n, value)
        parts.append(numeral * count)
    return "".join(parts)


def _from_roman(text: str) -> int | None:
    text = text.upper()
    for n in range(1, 13):
        if roman(n) == text:
            return n
    return None


def containing(kind: PeriodKind, day: date) -> Period:
    """The period of ``kind`` that contains ``day``."""
    months = _MONTHS_LONG[kind]
    return Period(kind, day.year, (day.month - 1) // months + 1)


def latest_completed(kind: PeriodKind, today: date) -> Period:
    """The most recent period of ``kind`` whose last day is before ``today``."""
    # The period containing today ends today at the earliest, so the one before it is the answer.
    return containing(kind, today).previous()


# ---------------------------------------------------------------------- parsing

_ENGLISH_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_MONTH_NAMES: dict[str, int] = {name: n for n, name in enumerate(_ENGLISH_MONTHS, start=1)} | {
    name[:3]: n for n, name in enumerate(_ENGLISH_MONTHS, start=1)
}
_MONTH_NAMES["sept"] = 9

_Y = r"(?P<year>\d{4})"
# "/", "-", "." or a space, or the Vietnamese "năm" ("Quý 4 năm 2023"), as separators.
_SEP = r"\s*(?:[/.\-]|\s|\bnam\b)\s*"

_PATTERNS: tuple[tuple[PeriodKind | Literal["h1", "h2", "month_name"], re.Pattern[str]], ...] = (
    ("year", re.compile(rf"(?:nam\s*)?{_Y}", re.ASCII)),
    ("year", re.compile(rf"year\s*{_Y}", re.ASCII)),
    ("half", re.compile(rf"{_Y}\s*-\s*h(?P<index>\d{{1,2}})", re.ASCII)),
    ("half", re.compile(rf"h(?P<index>\d{{1,2}}){_SEP}{_Y}", re.ASCII)),
    ("h1", re.compile(rf"6\s*thang\s*dau(?:\s*nam)?\s*{_Y}", re.ASCII)),
    ("h2", re.compile(rf"6\s*thang\s*cuoi(?:\s*nam)?\s*{_Y}", re.ASCII)),
    ("h1", re.compile(rf"first\s+half(?:\s+of)?\s+{_Y}", re.ASCII)),
    ("h2", re.compile(rf"second\s+half(?:\s+of)?\s+{_Y}", re.ASCII)),
    ("quarter", re.compile(rf"{_Y}\s*-\s*q(?P<index>\d{{1,2}})", re.ASCII)),
    ("quarter", re.compile(rf"(?:q|quy\s*)(?P<index>\d{{1,2}}|[ivx]+){_SEP}{_Y}", re.ASCII)),
    ("month", re.compile(rf"{_Y}\s*-\s*(?P<index>\d{{1,2}})", re.ASCII)),
    ("month", re.compile(rf"(?:t|thang\s*)?(?P<index>\d{{1,2}}){_SEP}{_Y}", re.ASCII)),
    ("month_name", re.compile(rf"(?P<index>[a-z]+)\.?\s*,?\s*{_Y}", re.ASCII)),
)


def _normalize(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    return " ".join(stripped.casefold().split())


def parse_period(text: str) -> Period:
    """Read a period code or a common Vietnamese / English way of writing one.

    Accepted: "2023", "Năm 2023"; "2023-H1", "H1/2023", "6 tháng đầu năm 2023"; "2023-Q4",
    "Q4/2023", "Quý 4/2023", "Quý IV/2023"; "2023-11", "2023-1", "T11/2023", "Tháng 11/2023",
    "11/2023", "November 2023". Case, diacritics and spacing do not matter.
    Raises :class:`PeriodError` when the text names no period or a period that does not exist.
    """
    key = _normalize(text)
    if not key:
        raise PeriodError("empty period")
    for kind, pattern in _PATTERNS:
        match = pattern.fullmatch(key)
        if match is None:
            continue
        year = int(match.group("year"))
        if kind == "year":
            return Period("year", year, 1)
        if kind == "h1":
            return Period("half", year, 1)
        if kind == "h2":
            return Period("half", year, 2)
        raw_index = match.group("index")
        if kind == "month_name":
            month = _MONTH_NAMES.get(raw_index)
            if month is None:
                continue
            return Period("month", year, month)
        if raw_index.isdecimal():  # ASCII only: the patterns are compiled with re.ASCII
            index = int(raw_index)
        else:
            roman_index = _from_roman(raw_index)
            if roman_index is None:
                raise PeriodError(f"not a roman numeral: {raw_index!r}")
            index = roman_index
        return Period(kind, year, index)
    raise PeriodError(f"not a period: {text!r}")
