"""Numbers, dates and period names in the Vietnamese and English styles."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bot.domain.periods import Period, PeriodError
from messages.formatting import (
    format_change,
    format_date,
    format_datetime,
    format_number,
    format_percent,
    parse_date,
    period_label,
)


@pytest.mark.parametrize(
    ("value", "vi", "en"),
    [
        (0, "0", "0"),
        (5, "5", "5"),
        (175, "175", "175"),
        (346, "346", "346"),
        (1203, "1.203", "1,203"),
        (12345, "12.345", "12,345"),
        (123456, "123.456", "123,456"),
        (1234567, "1.234.567", "1,234,567"),
        (-1234567, "-1.234.567", "-1,234,567"),
        (Decimal("12.5"), "12,5", "12.5"),
        (Decimal("12.50"), "12,5", "12.5"),
        (Decimal("12.00"), "12", "12"),
        (Decimal("1203.5"), "1.203,5", "1,203.5"),
        (Decimal("-1234567.891"), "-1.234.567,89", "-1,234,567.89"),
        (Decimal("0.25"), "0,25", "0.25"),
        (Decimal("0.005"), "0,01", "0.01"),
        (Decimal("0.004"), "0", "0"),
        (Decimal("-0.004"), "0", "0"),
        (Decimal("-0.005"), "-0,01", "-0.01"),
        (Decimal("2.675"), "2,68", "2.68"),
        (Decimal("1E+3"), "1.000", "1,000"),
        (Decimal("-0"), "0", "0"),
        (12.5, "12,5", "12.5"),
        (0.1, "0,1", "0.1"),
        (2.675, "2,68", "2.68"),
        (1e6, "1.000.000", "1,000,000"),
        ("1203", "1.203", "1,203"),
        ("12.5", "12,5", "12.5"),
        ("-5", "-5", "-5"),
        (" 99.125 ", "99,13", "99.13"),
        (Decimal("999999999999999"), "999.999.999.999.999", "999,999,999,999,999"),
        (Decimal("99.999"), "100", "100"),
    ],
)
def test_format_number(value: Decimal | int | float | str, vi: str, en: str) -> None:
    assert format_number(value) == vi
    assert format_number(value, "vi") == vi
    assert format_number(value, "en") == en


@pytest.mark.parametrize(
    ("value", "max_decimals", "expected"),
    [
        (Decimal("3.14159"), 0, "3"),
        (Decimal("2.5"), 0, "3"),
        (Decimal("-2.5"), 0, "-3"),
        (Decimal("3.14159"), 1, "3,1"),
        (Decimal("3.14159"), 4, "3,1416"),
        (Decimal("1234.5678"), 3, "1.234,568"),
        (Decimal("0.1"), 5, "0,1"),
    ],
)
def test_format_number_max_decimals(value: Decimal, max_decimals: int, expected: str) -> None:
    assert format_number(value, "vi", max_decimals) == expected


@pytest.mark.parametrize("lang", ["en-US", "EN", "en_GB"])
def test_english_variants(lang: str) -> None:
    assert format_number(1203, lang) == "1,203"


@pytest.mark.parametrize("lang", ["vi", "vi-VN", "fr", ""])
def test_other_languages_fall_back_to_vietnamese(lang: str) -> None:
    assert format_number(Decimal("1203.5"), lang) == "1.203,5"


@pytest.mark.parametrize("bad", ["abc", "", "NaN", "Infinity", float("nan"), float("inf")])
def test_format_number_rejects(bad: str | float) -> None:
    with pytest.raises(ValueError):
        format_number(bad)


def test_format_number_rejects_bool_and_negative_decimals() -> None:
    with pytest.raises(TypeError):
        format_number(True)
    with pytest.raises(ValueError):
        format_number(1, max_decimals=-1)


@pytest.mark.parametrize(
    ("value", "vi", "en"),
    [
        (Decimal("12.5"), "12,5%", "12.5%"),
        (100, "100%", "100%"),
        (0, "0%", "0%"),
        ("99.125", "99,13%", "99.13%"),
        (Decimal("33.3333"), "33,33%", "33.33%"),
    ],
)
def test_format_percent(value: Decimal | int | str, vi: str, en: str) -> None:
    assert format_percent(value) == vi
    assert format_percent(value, "en") == en


@pytest.mark.parametrize(
    ("delta", "vi", "en"),
    [
        (12, "+12", "+12"),
        (-3, "-3", "-3"),
        (0, "0", "0"),
        (Decimal("0.001"), "0", "0"),
        (Decimal("-0.001"), "0", "0"),
        (Decimal("1203.5"), "+1.203,5", "+1,203.5"),
        (Decimal("-1203.5"), "-1.203,5", "-1,203.5"),
        (2.5, "+2,5", "+2.5"),
    ],
)
def test_format_change(delta: Decimal | int | float, vi: str, en: str) -> None:
    assert format_change(delta, "vi") == vi
    assert format_change(delta, "en") == en


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2024, 1, 15), "15/01/2024"),
        (date(2023, 12, 5), "05/12/2023"),
        (date(999, 1, 1), "01/01/0999"),
        # 20:00 UTC is 03:00 the next day in Vietnam (UTC+7).
        (datetime(2024, 1, 14, 20, 0, tzinfo=UTC), "15/01/2024"),
        (datetime(2024, 1, 14, 16, 59, tzinfo=UTC), "14/01/2024"),
        (datetime(2024, 1, 14, 17, 0, tzinfo=UTC), "15/01/2024"),
        (datetime(2024, 1, 14, 20, 0), "15/01/2024"),  # naive = UTC
        (datetime(2024, 1, 15, 1, 0, tzinfo=timezone(timedelta(hours=7))), "15/01/2024"),
        (datetime(2024, 12, 31, 18, 0, tzinfo=UTC), "01/01/2025"),
    ],
)
def test_format_date(value: date, expected: str) -> None:
    assert format_date(value) == expected


def test_format_date_other_timezone() -> None:
    moment = datetime(2024, 1, 14, 20, 0, tzinfo=UTC)
    assert format_date(moment, tz="UTC") == "14/01/2024"
    assert format_date(moment, tz="America/New_York") == "14/01/2024"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2024, 1, 14, 20, 5, tzinfo=UTC), "15/01/2024 03:05"),
        (datetime(2024, 1, 14, 20, 5), "15/01/2024 03:05"),
        (datetime(2024, 1, 15, 0, 0, tzinfo=UTC), "15/01/2024 07:00"),
        (datetime(2024, 1, 15, 9, 30, 59, tzinfo=timezone(timedelta(hours=7))), "15/01/2024 09:30"),
        (datetime(2024, 6, 30, 16, 59, tzinfo=UTC), "30/06/2024 23:59"),
    ],
)
def test_format_datetime(value: datetime, expected: str) -> None:
    assert format_datetime(value) == expected


def test_format_datetime_other_timezone() -> None:
    assert format_datetime(datetime(2024, 1, 15, 9, 0, tzinfo=UTC), tz="UTC") == "15/01/2024 09:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/01/2024", date(2024, 1, 15)),
        ("15/1/2024", date(2024, 1, 15)),
        ("5/1/2024", date(2024, 1, 5)),
        ("15-01-2024", date(2024, 1, 15)),
        ("15.01.2024", date(2024, 1, 15)),
        ("2024-01-15", date(2024, 1, 15)),
        ("2024-1-5", date(2024, 1, 5)),
        (" 29/02/2024 ", date(2024, 2, 29)),
        ("31/12/2023", date(2023, 12, 31)),
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "15/01/24",
        "15/13/2024",
        "32/01/2024",
        "29/02/2023",
        "00/01/2024",
        "15/01",
        "2024/01/15",
        "15/01-2024",
        "2024-13-01",
        "15 01 2024",
        "115/01/2024",
    ],
)
def test_parse_date_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.parametrize(
    ("code", "vi", "en"),
    [
        ("2023", "Năm 2023", "Year 2023"),
        ("2023-H1", "6 tháng đầu năm 2023", "First half of 2023"),
        ("2023-H2", "6 tháng cuối năm 2023", "Second half of 2023"),
        ("2023-Q1", "Quý I/2023", "Q1 2023"),
        ("2023-Q2", "Quý II/2023", "Q2 2023"),
        ("2023-Q3", "Quý III/2023", "Q3 2023"),
        ("2023-Q4", "Quý IV/2023", "Q4 2023"),
        ("2023-01", "Tháng 1/2023", "January 2023"),
        ("2023-11", "Tháng 11/2023", "November 2023"),
        ("2024-12", "Tháng 12/2024", "December 2024"),
    ],
)
def test_period_label(code: str, vi: str, en: str) -> None:
    assert period_label(code, "vi") == vi
    assert period_label(code, "en") == en


@pytest.mark.parametrize("code", ["2023", "2023-H1", "2023-H2", "2023-Q3", "2023-07"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_period_label_parses_back(code: str, lang: str) -> None:
    from bot.domain.periods import parse_period

    assert parse_period(period_label(code, lang)).code == code


def test_period_label_accepts_a_period() -> None:
    assert period_label(Period("quarter", 2023, 4), "vi") == "Quý IV/2023"


def test_period_label_rejects_bad_code() -> None:
    with pytest.raises(PeriodError):
        period_label("2023-Q5", "vi")


@pytest.mark.parametrize(
    "raw", ["١٥/٠١/٢٠٢٤", "１５/０１/２０２４", "15/01/２０２４", "²⁵/01/2024"]
)
def test_dates_in_other_scripts_digits_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_date(raw)
