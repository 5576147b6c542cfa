"""Parsing and validating one answer for an indicator.

An officer types a figure in chat ("1.203", "12,5%", "có", "Đạt"); :func:`parse_answer` turns it
into the canonical string that storage keeps, asks for a confirmation when the text can be read
in more than one way, or rejects it with a stable reason code that a message template explains.

Numbers follow the Vietnamese convention first (``.`` groups thousands, ``,`` marks decimals),
then the plain one (``.`` is the decimal mark, no grouping), then the English one (``,`` groups
thousands). A value that only the English reading produces is never accepted silently.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal

__all__ = [
    "MAX_SIGNIFICANT_DIGITS",
    "Accepted",
    "Ambiguous",
    "IndicatorRule",
    "IndicatorType",
    "ParseResult",
    "Rejected",
    "canonical_decimal",
    "check_value",
    "parse_answer",
    "strip_diacritics",
    "to_decimal",
]

IndicatorType = Literal["integer", "decimal", "percent", "boolean", "choice", "text"]

NUMERIC_TYPES: frozenset[str] = frozenset({"integer", "decimal", "percent"})

MAX_SIGNIFICANT_DIGITS = 15
"""Longest number accepted, counted from the first non-zero digit (integer zeros included)."""

PERCENT_DEFAULT_MIN = Decimal(0)
PERCENT_DEFAULT_MAX = Decimal(100)


@dataclass(frozen=True)
class IndicatorRule:
    """What the parser needs to know about one indicator."""

    type: IndicatorType
    required: bool = True
    min: Decimal | None = None
    max: Decimal | None = None
    choices: tuple[str, ...] = ()
    max_length: int = 3000

    @property
    def effective_min(self) -> Decimal | None:
        """The lower bound in force (percent defaults to 0)."""
        if self.min is None and self.type == "percent":
            return PERCENT_DEFAULT_MIN
        return self.min

    @property
    def effective_max(self) -> Decimal | None:
        """The upper bound in force (percent defaults to 100)."""
        if self.max is None and self.type == "percent":
            return PERCENT_DEFAULT_MAX
        return self.max


@dataclass(frozen=True)
class Accepted:
    """The answer is valid; ``value`` is the canonical string to store."""

    value: str


@dataclass(frozen=True)
class Ambiguous:
    """The answer can be read in several ways (or only in a non-Vietnamese format).

    ``candidates`` are canonical values in order of preference, the Vietnamese reading first.
    The user picks one; the choice is re-checked with :func:`check_value`.
    """

    candidates: tuple[str, ...]


@dataclass(frozen=True)
class Rejected:
    """The answer is invalid; ``reason`` is a stable code, ``params`` fill the message."""

    reason: str
    params: dict[str, str] = field(default_factory=dict)


ParseResult = Accepted | Ambiguous | Rejected


# --------------------------------------------------------------------------- text helpers


def strip_diacritics(s: str) -> str:
    """Remove Vietnamese (and other) diacritics: "Đạt" -> "Dat", "Hòa Bình" -> "Hoa Binh".

    Case is kept. Decomposes to NFD, drops combining marks, maps đ/Đ to d/D.
    """
    decomposed = unicodedata.normalize("NFD", s)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFC", stripped)


def _fold(s: str) -> str:
    """Case-, diacritic- and spacing-insensitive key for matching words."""
    return " ".join(strip_diacritics(s).casefold().split())


# --------------------------------------------------------------------------- numbers

_SPACES = "\u0020\u00a0\u202f\u2007\u2009"
_SPACE_RUN = re.compile(f"[{_SPACES}]+")
_MINUS_SIGNS = "-\u2212\u2013"

# The three readings; each maps a body (digits, "." and "," only) to a plain decimal string.
_VN = re.compile(r"(?P<int>\d{1,3}(?:\.\d{3})+|\d*)(?:,(?P<frac>\d+))?", re.ASCII)
_PLAIN = re.compile(r"(?P<int>\d*)(?:\.(?P<frac>\d+))?", re.ASCII)
_EN = re.compile(r"(?P<int>\d{1,3}(?:,\d{3})+|\d*)(?:\.(?P<frac>\d+))?", re.ASCII)

_Reading = Literal["vn", "plain", "en"]
_READINGS: tuple[tuple[_Reading, re.Pattern[str]], ...] = (
    ("vn", _VN),
    ("plain", _PLAIN),
    ("en", _EN),
)

_CANONICAL_NUMBER = re.compile(r"-?\d+(?:\.\d+)?", re.ASCII)


def canonical_decimal(value: Decimal) -> str:
    """Plain decimal with a dot, no exponent, no trailing zeros: 12.50 -> "12.5", 1E+3 -> "1000"."""
    if not value.is_finite():
        raise ValueError(f"not a finite number: {value}")
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _significant_digits(value: Decimal) -> int:
    """Digits from the first non-zero one; integer trailing zeros count, fraction ones don't."""
    if value == 0:
        return 1
    sign, digits, exponent = value.normalize().as_tuple()
    assert isinstance(exponent, int)
    return len(digits) + max(exponent, 0)


def _read(pattern: re.Pattern[str], body: str) -> Decimal | None:
    match = pattern.fullmatch(body)
    if match is None:
        return None
    int_part = match.group("int").replace(".", "").replace(",", "")
    frac = match.group("frac")
    if not int_part and not frac:
        return None
    return Decimal(f"{int_part or '0'}.{frac}" if frac else int_part)


def _join_space_groups(text: str) -> str | None:
    """Remove spaces used as thousands separators ("1 203 456,5"); None if misused."""
    groups = _SPACE_RUN.split(text)
    if len(groups) == 1:
        return text
    first, *middle, last = groups
    if not re.fullmatch(r"\d{1,3}", first, re.ASCII):
        return None
    if any(not re.fullmatch(r"\d{3}", group, re.ASCII) for group in middle):
        return None
    if not re.fullmatch(r"\d{3}(?:[.,]\d+)?", last, re.ASCII):
        return None
    return "".join(groups)


def _split_sign(text: str) -> tuple[int, str]:
    if text and text[0] in _MINUS_SIGNS:
        return -1, text[1:].strip(_SPACES)
    if text.startswith("+"):
        return 1, text[1:].strip(_SPACES)
    return 1, text


def _range_rejection(rule: IndicatorRule, value: Decimal) -> Rejected | None:
    low, high = rule.effective_min, rule.effective_max
    if low is not None and value < low:
        return Rejected(
            "below_min", {"min": canonical_decimal(low), "value": canonical_decimal(value)}
        )
    if high is not None and value > high:
        return Rejected(
            "above_max", {"max": canonical_decimal(high), "value": canonical_decimal(value)}
        )
    return None


def _canonical_for(rule: IndicatorRule, value: Decimal) -> str:
    if rule.type == "integer":
        return str(int(value))
    return canonical_decimal(value)


def _parse_number(rule: IndicatorRule, text: str) -> ParseResult:
    not_a_number = Rejected("not_a_number", {"value": text})
    body = text
    if rule.type == "percent" and body.endswith("%"):
        body = body[:-1].rstrip(_SPACES)
    sign, body = _split_sign(body)
    joined = _join_space_groups(body)
    if joined is None or not joined:
        return not_a_number
    body = joined

    # Collect the distinct values, remembering which readings produced each (in reading order).
    sources: dict[Decimal, list[_Reading]] = {}
    for name, pattern in _READINGS:
        value = _read(pattern, body)
        if value is None:
            continue
        if sign < 0 and value:
            value = value.copy_negate()
        sources.setdefault(value, []).append(name)
    if not sources:
        return not_a_number

    sized = {
        v: names for v, names in sources.items() if _significant_digits(v) <= MAX_SIGNIFICANT_DIGITS
    }
    if not sized:
        return Rejected("too_many_digits", {"max": str(MAX_SIGNIFICANT_DIGITS), "value": text})

    if rule.type == "integer":
        valid = {v: names for v, names in sized.items() if v == v.to_integral_value()}
        if not valid:
            return Rejected("not_an_integer", {"value": text})
    else:
        valid = sized

    values = list(valid)  # insertion order: VN reading first, then PLAIN, then EN
    if len(values) == 1:
        (value,) = values
        rejection = _range_rejection(rule, value)
        if rejection is not None:
            return rejection
        if valid[value] == ["en"]:
            return Ambiguous((_canonical_for(rule, value),))
        return Accepted(_canonical_for(rule, value))

    in_range = [v for v in values if _range_rejection(rule, v) is None]
    if not in_range:
        rejection = _range_rejection(rule, values[0])
        assert rejection is not None
        return rejection
    return Ambiguous(tuple(_canonical_for(rule, v) for v in in_range))


# --------------------------------------------------------------------------- booleans and choices

_TRUE_WORDS = (
    "có", "co", "c", "yes", "y", "x", "1", "đúng", "dung", "true", "rồi", "roi", "đã", "da",
    "hoàn thành", "hoan thanh", "đã hoàn thành", "đạt", "dat", "ok",
)  # fmt: skip
_FALSE_WORDS = (
    "không", "khong", "k", "ko", "no", "n", "0", "sai", "false", "chưa", "chua",
    "chưa hoàn thành", "không hoàn thành", "không đạt", "chưa đạt",
)  # fmt: skip
_BOOLEANS: dict[str, str] = {_fold(w): "true" for w in _TRUE_WORDS} | {
    _fold(w): "false" for w in _FALSE_WORDS
}


def _parse_boolean(text: str) -> ParseResult:
    key = _fold(text).rstrip(".!")
    if key in _BOOLEANS:
        return Accepted(_BOOLEANS[key])
    return Rejected("not_a_boolean", {"value": text})


def _choices_param(rule: IndicatorRule) -> dict[str, str]:
    return {"choices": ", ".join(rule.choices)}


def _parse_choice(rule: IndicatorRule, text: str) -> ParseResult:
    # An exact (case-insensitive) match wins over a diacritic-insensitive one, so two declared
    # choices that differ only in diacritics stay distinguishable.
    lowered = " ".join(text.casefold().split())
    for choice in rule.choices:
        if " ".join(choice.casefold().split()) == lowered:
            return Accepted(choice)
    key = _fold(text)
    matches = [choice for choice in rule.choices if _fold(choice) == key]
    if len(matches) == 1:
        return Accepted(matches[0])
    if len(matches) > 1:
        return Ambiguous(tuple(matches))
    number = re.fullmatch(r"(\d{1,3})\.?", text, re.ASCII)
    if number is not None and 1 <= int(number.group(1)) <= len(rule.choices):
        return Accepted(rule.choices[int(number.group(1)) - 1])
    return Rejected("not_a_choice", {"value": text} | _choices_param(rule))


# --------------------------------------------------------------------------- text


def _clean_text(raw: str) -> str:
    return raw.replace("\r\n", "\n").replace("\r", "\n").strip()


def _check_text(rule: IndicatorRule, text: str) -> Rejected | None:
    if not text:
        return Rejected("empty", {})
    if len(text) > rule.max_length:
        return Rejected("too_long", {"max": str(rule.max_length), "length": str(len(text))})
    return None


# --------------------------------------------------------------------------- public API


def parse_answer(rule: IndicatorRule, raw: str) -> ParseResult:
    """Read one answer typed by an officer for an indicator governed by ``rule``.

    An empty answer is always ``Rejected("empty")``; whether the indicator may be skipped is
    decided by the caller (``rule.required``), not by typing nothing.
    """
    if rule.type == "text":
        text = _clean_text(raw)
        rejection = _check_text(rule, text)
        return rejection if rejection is not None else Accepted(text)

    text = raw.strip()
    if not text:
        return Rejected("empty", {})
    if rule.type in NUMERIC_TYPES:
        return _parse_number(rule, text)
    if rule.type == "boolean":
        return _parse_boolean(text)
    if rule.type == "choice":
        return _parse_choice(rule, text)
    raise ValueError(f"unknown indicator type: {rule.type!r}")


def to_decimal(canonical: str) -> Decimal:
    """The numeric value of a canonical integer, decimal or percent string."""
    text = canonical.strip()
    if not _CANONICAL_NUMBER.fullmatch(text):
        raise ValueError(f"not a canonical number: {canonical!r}")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise ValueError(f"not a canonical number: {canonical!r}") from exc


def check_value(rule: IndicatorRule, canonical: str) -> Rejected | None:
    """Re-validate a canonical value (a confirmed candidate, or a value being imported).

    Returns None when the value may be stored as is.
    """
    if rule.type in NUMERIC_TYPES:
        if canonical == "":
            return Rejected("empty", {})
        try:
            value = to_decimal(canonical)
        except ValueError:
            return Rejected("not_a_number", {"value": canonical})
        if _significant_digits(value) > MAX_SIGNIFICANT_DIGITS:
            return Rejected(
                "too_many_digits", {"max": str(MAX_SIGNIFICANT_DIGITS), "value": canonical}
            )
        if rule.type == "integer" and value != value.to_integral_value():
            return Rejected("not_an_integer", {"value": canonical})
        return _range_rejection(rule, value)
    if rule.type == "boolean":
        if canonical in ("true", "false"):
            return None
        return Rejected("not_a_boolean", {"value": canonical})
    if rule.type == "choice":
        if canonical in rule.choices:
            return None
        return Rejected("not_a_choice", {"value": canonical} | _choices_param(rule))
    if rule.type == "text":
        return _check_text(rule, canonical.strip())
    raise ValueError(f"unknown indicator type: {rule.type!r}")
