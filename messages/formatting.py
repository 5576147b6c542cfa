"""Numbers, dates and period names as Vietnamese (default) and English readers expect them.

Vietnamese: "." groups thousands and "," marks decimals (1.203; 12,5%); dates are dd/mm/yyyy in
the cluster's time zone (``tz``; Asia/Ho_Chi_Minh unless told otherwise). English uses "," and
"." the other way round, with the same date format.

The symbols come from Babel's locale data (``vi``, ``en``); the rounding (half away from zero,
trailing zeros dropped) and the date patterns are the product's own and stay explicit here. Period names are worded by the gettext catalogs
(messages/locale), like every other text, so a new language needs no change here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import format_decimal

from bot.domain.periods import Period, parse_period
from messages.catalogs import language, translations

__all__ = [
    "DEFAULT_TZ",
    "format_change",
    "format_date",
    "format_datetime",
    "format_number",
    "format_percent",
    "parse_date",
    "period_label",
    "period_part_label",
]

DEFAULT_TZ = "Asia/Ho_Chi_Minh"

def _locale(lang: str) -> str:
    """The Babel locale whose number symbols ``lang``'s readers expect (a catalog's language;
    anything else reads the Vietnamese way, the product's default)."""
    return language(lang)


def _to_decimal(value: Decimal | int | float | str) -> Decimal:
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))  # the shortest repr, so 0.1 stays 0.1
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as exc:
            raise ValueError(f"not a number: {value!r}") from exc
    else:
        raise TypeError(f"not a number: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def format_number(
    value: Decimal | int | float | str, lang: str = "vi", max_decimals: int = 2
) -> str:
    """1203 -> "1.203" (vi) / "1,203" (en); 12.5 -> "12,5" / "12.5".

    Rounds half away from zero to ``max_decimals`` places (Babel would round half to even, so
    the value is rounded here first), then drops trailing zeros; the locale's symbols group the
    thousands and mark the decimals.
    """
    if max_decimals < 0:
        raise ValueError("max_decimals must be >= 0")
    number = _to_decimal(value)
    with localcontext() as ctx:
        # Enough digits for any value: the default 28 would make quantize fail on big numbers.
        ctx.prec = max(28, number.adjusted() + max_decimals + 2)
        rounded = number.quantize(Decimal(1).scaleb(-max_decimals), rounding=ROUND_HALF_UP)
        if rounded == 0:
            return "0"  # never "-0"
        pattern = "#,##0." + "#" * max_decimals if max_decimals else "#,##0"
        return format_decimal(rounded, format=pattern, locale=_locale(lang))


def format_percent(
    value: Decimal | int | float | str, lang: str = "vi", max_decimals: int = 2
) -> str:
    """12.5 -> "12,5%" (vi) / "12.5%" (en). The value is already in percent.

    Not Babel's ``format_percent``: that multiplies by 100 and puts a space before "%" in vi.
    """
    return format_number(value, lang, max_decimals) + "%"


def format_change(
    delta: Decimal | int | float | str, lang: str = "vi", max_decimals: int = 2
) -> str:
    """A signed difference: "+12", "-3", "0" (vi "+1.203,5", en "+1,203.5")."""
    text = format_number(delta, lang, max_decimals)
    if text == "0" or text.startswith("-"):
        return text
    return "+" + text


def _local(dt: datetime, tz: str | ZoneInfo) -> datetime:
    """``dt`` in ``tz``; a naive datetime is taken as UTC (how the database stores them)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz))


# Both languages write dates the same way; explicit patterns, not the locales' own (vi's
# medium date is "2 thg 1, 2024", en's "Jan 2, 2024").
_DATE = "dd/MM/yyyy"
_DATETIME = "dd/MM/yyyy HH:mm"


def format_date(d: date | datetime, tz: str | ZoneInfo = DEFAULT_TZ) -> str:
    """dd/mm/yyyy. A datetime is first converted to ``tz`` (a naive one is taken as UTC)."""
    if isinstance(d, datetime):
        d = _local(d, tz).date()
    return babel_format_date(d, _DATE, locale="vi")


def format_datetime(dt: datetime, tz: str | ZoneInfo = DEFAULT_TZ) -> str:
    """Local time (``tz``) as "dd/mm/yyyy HH:MM"; a naive datetime is taken as UTC."""
    return babel_format_datetime(_local(dt, tz), _DATETIME, locale="vi")


# ASCII digits only: "١٥/٠١/٢٠٢٤" or "１５/０１/２０２４" is no date we understand.
_DMY = re.compile(
    r"(?P<d>\d{1,2})\s*(?P<sep>[/.\-])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<y>\d{4})", re.ASCII
)
_YMD = re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})", re.ASCII)


def parse_date(text: str) -> date:
    """Read "15/01/2024", "15/1/2024", "15-01-2024", "15.01.2024" or "2024-01-15".

    Raises ValueError when the text is not a date in one of these forms or names no real day.
    """
    key = text.strip()
    match = _DMY.fullmatch(key) or _YMD.fullmatch(key)
    if match is None:
        raise ValueError(f"not a date (dd/mm/yyyy): {text!r}")
    try:
        return date(int(match.group("y")), int(match.group("m")), int(match.group("d")))
    except ValueError as exc:
        raise ValueError(f"no such day: {text!r}") from exc


def N_(message: str) -> str:
    """Mark ``message`` for extraction (pybabel finds ``N_``); it is translated when shown."""
    return message


_QUARTERS = (N_("Q1"), N_("Q2"), N_("Q3"), N_("Q4"))
_MONTHS = (
    N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
    N_("July"), N_("August"), N_("September"), N_("October"), N_("November"), N_("December"),
)  # fmt: skip


def _gettext(lang: str) -> Callable[[str], str]:
    return translations(language(lang)).gettext


def period_label(code: str | Period, lang: str = "vi") -> str:
    """The display name of a period code, worded by the catalogs (messages/locale).

    "2023" -> "Năm 2023" / "Year 2023"; "2023-H1" -> "6 tháng đầu năm 2023" / "First half of
    2023"; "2023-Q4" -> "Quý IV/2023" / "Q4 2023"; "2023-11" -> "Tháng 11/2023" / "November 2023".
    """
    period = code if isinstance(code, Period) else parse_period(code)
    _ = _gettext(lang)
    year = period.year
    if period.kind == "year":
        return _("Year %(year)s") % {"year": year}
    if period.kind == "half":
        if period.index == 1:
            return _("First half of %(year)s") % {"year": year}
        return _("Second half of %(year)s") % {"year": year}
    if period.kind == "quarter":
        quarter = _(_QUARTERS[period.index - 1])
        return _("%(quarter)s %(year)s") % {"quarter": quarter, "year": year}
    month = _(_MONTHS[period.index - 1])
    return _("%(month)s %(year)s") % {"month": month, "year": year}


def period_part_label(code: str | Period, lang: str = "vi") -> str:
    """A period named within its year, for lists of a year's parts ("2023 (Q3, Q4)").

    "2023-Q3" -> "Quý III" / "Q3"; "2023-11" -> "Tháng 11" / "November"; "2023-H1" -> "6 tháng
    đầu năm" / "First half"; a year -> "cả năm" / "full year".
    """
    period = code if isinstance(code, Period) else parse_period(code)
    _ = _gettext(lang)
    if period.kind == "year":
        return _("full year")
    if period.kind == "half":
        return _("First half") if period.index == 1 else _("Second half")
    if period.kind == "quarter":
        return _(_QUARTERS[period.index - 1])
    return _(_MONTHS[period.index - 1])
