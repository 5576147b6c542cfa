"""Reporting periods: codes, bounds, navigation, parsing."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.periods import (
    Period,
    PeriodError,
    PeriodKind,
    containing,
    latest_completed,
    parse_period,
    roman,
)

Y2023 = Period("year", 2023, 1)


@pytest.mark.parametrize(
    ("period", "code"),
    [
        (Period("year", 2023, 1), "2023"),
        (Period("half", 2023, 1), "2023-H1"),
        (Period("half", 2023, 2), "2023-H2"),
        (Period("quarter", 2023, 1), "2023-Q1"),
        (Period("quarter", 2023, 4), "2023-Q4"),
        (Period("month", 2023, 1), "2023-01"),
        (Period("month", 2023, 11), "2023-11"),
    ],
)
def test_code_round_trips(period: Period, code: str) -> None:
    assert period.code == code
    assert str(period) == code
    assert parse_period(code) == period


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        (Period("year", 2023, 1), date(2023, 1, 1), date(2023, 12, 31)),
        (Period("half", 2023, 1), date(2023, 1, 1), date(2023, 6, 30)),
        (Period("half", 2023, 2), date(2023, 7, 1), date(2023, 12, 31)),
        (Period("quarter", 2023, 1), date(2023, 1, 1), date(2023, 3, 31)),
        (Period("quarter", 2023, 2), date(2023, 4, 1), date(2023, 6, 30)),
        (Period("quarter", 2023, 3), date(2023, 7, 1), date(2023, 9, 30)),
        (Period("quarter", 2023, 4), date(2023, 10, 1), date(2023, 12, 31)),
        (Period("month", 2023, 2), date(2023, 2, 1), date(2023, 2, 28)),
        (Period("month", 2024, 2), date(2024, 2, 1), date(2024, 2, 29)),
        (Period("month", 2023, 4), date(2023, 4, 1), date(2023, 4, 30)),
        (Period("month", 2023, 12), date(2023, 12, 1), date(2023, 12, 31)),
    ],
)
def test_start_and_end(period: Period, start: date, end: date) -> None:
    assert period.start == start
    assert period.end == end


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        (Period("year", 2023, 1), Period("year", 2022, 1)),
        (Period("half", 2023, 2), Period("half", 2023, 1)),
        (Period("half", 2023, 1), Period("half", 2022, 2)),
        (Period("quarter", 2023, 3), Period("quarter", 2023, 2)),
        (Period("quarter", 2023, 1), Period("quarter", 2022, 4)),
        (Period("month", 2023, 5), Period("month", 2023, 4)),
        (Period("month", 2023, 1), Period("month", 2022, 12)),
    ],
)
def test_previous_and_next(period: Period, previous: Period) -> None:
    assert period.previous() == previous
    assert previous.next() == period


@pytest.mark.parametrize(
    "period",
    [Period("year", 2023, 1), Period("half", 2023, 2), Period("quarter", 2023, 1),
     Period("month", 2024, 2)],
)  # fmt: skip
def test_same_period_last_year(period: Period) -> None:
    last = period.same_period_last_year()
    assert (last.kind, last.year, last.index) == (period.kind, period.year - 1, period.index)


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        (Y2023, Period("quarter", 2023, 1), True),
        (Y2023, Period("quarter", 2023, 4), True),
        (Y2023, Period("month", 2023, 12), True),
        (Y2023, Period("half", 2023, 2), True),
        (Y2023, Y2023, True),
        (Y2023, Period("quarter", 2024, 1), False),
        (Y2023, Period("year", 2022, 1), False),
        (Period("half", 2023, 1), Period("quarter", 2023, 2), True),
        (Period("half", 2023, 1), Period("quarter", 2023, 3), False),
        (Period("half", 2023, 2), Period("month", 2023, 7), True),
        (Period("half", 2023, 2), Period("month", 2023, 6), False),
        (Period("quarter", 2023, 4), Period("month", 2023, 10), True),
        (Period("quarter", 2023, 4), Period("month", 2023, 9), False),
        (Period("quarter", 2023, 4), Y2023, False),
        (Period("month", 2023, 4), Period("quarter", 2023, 2), False),
    ],
)
def test_contains(outer: Period, inner: Period, expected: bool) -> None:
    assert outer.contains(inner) is expected


def test_months() -> None:
    assert [p.code for p in Period("quarter", 2023, 2).months()] == [
        "2023-04",
        "2023-05",
        "2023-06",
    ]
    assert len(Y2023.months()) == 12
    assert Period("month", 2023, 7).months() == (Period("month", 2023, 7),)


def test_sort_key_is_chronological_longest_first() -> None:
    periods = [
        Period("month", 2023, 4),
        Period("quarter", 2023, 2),
        Period("year", 2024, 1),
        Period("month", 2023, 1),
        Period("half", 2023, 1),
        Y2023,
        Period("quarter", 2023, 1),
        Period("year", 2022, 1),
    ]
    ordered = [p.code for p in sorted(periods, key=lambda p: p.sort_key)]
    assert ordered == [
        "2022", "2023", "2023-H1", "2023-Q1", "2023-01", "2023-Q2", "2023-04", "2024",
    ]  # fmt: skip


def test_periods_are_hashable_and_comparable() -> None:
    assert len({Period("month", 2023, 1), Period("month", 2023, 1)}) == 1
    assert Period("month", 2023, 1) < Period("month", 2023, 2)


@pytest.mark.parametrize(
    ("kind", "year", "index"),
    [
        ("year", 2023, 2),
        ("year", 2023, 0),
        ("half", 2023, 3),
        ("half", 2023, 0),
        ("quarter", 2023, 5),
        ("quarter", 2023, 0),
        ("month", 2023, 13),
        ("month", 2023, 0),
        ("month", 2023, -1),
        ("week", 2023, 1),
        ("year", 1899, 1),
        ("year", 3000, 1),
    ],
)
def test_invalid_periods(kind: PeriodKind, year: int, index: int) -> None:
    with pytest.raises(PeriodError):
        Period(kind, year, index)


def test_period_error_is_a_value_error() -> None:
    assert issubclass(PeriodError, ValueError)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2023", "2023"),
        (" 2023 ", "2023"),
        ("Năm 2023", "2023"),
        ("năm 2023", "2023"),
        ("nam 2023", "2023"),
        ("Year 2023", "2023"),
        ("2023-H1", "2023-H1"),
        ("2023-h2", "2023-H2"),
        ("2023 - H2", "2023-H2"),
        ("H1/2023", "2023-H1"),
        ("6 tháng đầu năm 2023", "2023-H1"),
        ("6 tháng cuối năm 2023", "2023-H2"),
        ("First half of 2023", "2023-H1"),
        ("Second half of 2023", "2023-H2"),
        ("2023-Q4", "2023-Q4"),
        ("2023-q4", "2023-Q4"),
        ("Q4/2023", "2023-Q4"),
        ("q1/2024", "2024-Q1"),
        ("Q4 2023", "2023-Q4"),
        ("Quý 4/2023", "2023-Q4"),
        ("Quý IV/2023", "2023-Q4"),
        ("Quý iii/2023", "2023-Q3"),
        ("quy ii/2023", "2023-Q2"),
        ("Quý I năm 2023", "2023-Q1"),
        ("QUÝ 2 - 2023", "2023-Q2"),
        ("2023-11", "2023-11"),
        ("2023-1", "2023-01"),
        ("2023-01", "2023-01"),
        ("T11/2023", "2023-11"),
        ("t1/2024", "2024-01"),
        ("Tháng 11/2023", "2023-11"),
        ("tháng 3 năm 2024", "2024-03"),
        ("Tháng 03/2024", "2024-03"),
        ("11/2023", "2023-11"),
        ("1/2023", "2023-01"),
        ("11-2023", "2023-11"),
        ("November 2023", "2023-11"),
        ("nov 2023", "2023-11"),
        ("Sept 2023", "2023-09"),
    ],
)
def test_parse_period(text: str, code: str) -> None:
    assert parse_period(text).code == code


@pytest.mark.parametrize(
    "text",
    [
        "2023-Q5",
        "2023-Q0",
        "2023-13",
        "2023-0",
        "2023-H3",
        "13/2023",
        "0/2023",
        "T13/2023",
        "Quý V/2023",
        "Quý IIII/2023",
        "Quý X/2023",
        "abc",
        "",
        "   ",
        "23",
        "202",
        "20234",
        "2023-",
        "2023-Q",
        "Q/2023",
        "Năm",
        "Smarch 2023",
        "1899",
        "2023/11/01",
    ],
)
def test_parse_period_rejects(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text)


@pytest.mark.parametrize(
    ("kind", "day", "code"),
    [
        ("year", date(2023, 7, 15), "2023"),
        ("half", date(2023, 6, 30), "2023-H1"),
        ("half", date(2023, 7, 1), "2023-H2"),
        ("quarter", date(2023, 3, 31), "2023-Q1"),
        ("quarter", date(2023, 4, 1), "2023-Q2"),
        ("quarter", date(2023, 12, 31), "2023-Q4"),
        ("month", date(2024, 2, 29), "2024-02"),
    ],
)
def test_containing(kind: PeriodKind, day: date, code: str) -> None:
    period = containing(kind, day)
    assert period.code == code
    assert period.contains_date(day)


@pytest.mark.parametrize(
    ("kind", "today", "code"),
    [
        ("year", date(2024, 1, 1), "2023"),
        ("year", date(2023, 12, 31), "2022"),
        ("year", date(2024, 6, 15), "2023"),
        ("half", date(2024, 7, 1), "2024-H1"),
        ("half", date(2024, 6, 30), "2023-H2"),
        ("half", date(2024, 1, 1), "2023-H2"),
        ("quarter", date(2024, 1, 1), "2023-Q4"),
        ("quarter", date(2024, 4, 1), "2024-Q1"),
        ("quarter", date(2024, 3, 31), "2023-Q4"),
        ("quarter", date(2024, 8, 20), "2024-Q2"),
        ("month", date(2024, 3, 1), "2024-02"),
        ("month", date(2024, 1, 15), "2023-12"),
        ("month", date(2024, 1, 31), "2023-12"),
    ],
)
def test_latest_completed(kind: PeriodKind, today: date, code: str) -> None:
    period = latest_completed(kind, today)
    assert period.code == code
    assert period.end < today
    assert period.next().end >= today


@pytest.mark.parametrize(
    ("n", "numeral"),
    [(1, "I"), (2, "II"), (3, "III"), (4, "IV"), (9, "IX"), (12, "XII"), (1994, "MCMXCIV")],
)
def test_roman(n: int, numeral: str) -> None:
    assert roman(n) == numeral


@pytest.mark.parametrize("n", [0, -1, 4000])
def test_roman_out_of_range(n: int) -> None:
    with pytest.raises(ValueError):
        roman(n)
