"""Parsing one answer for an indicator: numbers in three readings, booleans, choices, text."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain.figures import (
    Accepted,
    Ambiguous,
    IndicatorRule,
    ParseResult,
    Rejected,
    canonical_decimal,
    check_value,
    parse_answer,
    strip_diacritics,
    to_decimal,
)

INTEGER = IndicatorRule("integer")
DECIMAL = IndicatorRule("decimal")
PERCENT = IndicatorRule("percent")
BOOLEAN = IndicatorRule("boolean")
TEXT = IndicatorRule("text", max_length=20)
CHOICE = IndicatorRule("choice", choices=("Đạt", "Không đạt", "Đang thực hiện"))


def reason(result: ParseResult) -> str:
    assert isinstance(result, Rejected), result
    return result.reason


# --------------------------------------------------------------------------- integers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1203", "1203"),
        ("1.203", "1203"),
        ("1 203", "1203"),
        ("1\u00a0203", "1203"),
        ("1\u202f203", "1203"),
        ("  175  ", "175"),
        ("346", "346"),
        ("0", "0"),
        ("-5", "-5"),
        ("+5", "5"),
        ("- 5", "-5"),
        ("\u22125", "-5"),
        ("-0", "0"),
        ("007", "7"),
        ("1.000.000", "1000000"),
        ("12.345.678", "12345678"),
        ("1 234 567", "1234567"),
        ("-1.203", "-1203"),
        ("-1 203", "-1203"),
        ("999999999999999", "999999999999999"),
    ],
)
def test_integer_accepted(raw: str, expected: str) -> None:
    assert parse_answer(INTEGER, raw) == Accepted(expected)


@pytest.mark.parametrize(
    ("raw", "candidates"),
    [
        ("1,203", ("1203",)),
        ("1,500", ("1500",)),
        ("12,345,678", ("12345678",)),
        ("-1,203", ("-1203",)),
        ("1.000", ("1000", "1")),  # VN thousand, or plain 1.000 which is the integer 1
        ("2.000", ("2000", "2")),
    ],
)
def test_integer_ambiguous(raw: str, candidates: tuple[str, ...]) -> None:
    assert parse_answer(INTEGER, raw) == Ambiguous(candidates)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("12,5", "not_an_integer"),
        ("1.20", "not_an_integer"),
        ("0,5", "not_an_integer"),
        ("12.5", "not_an_integer"),
        ("1.203,5", "not_an_integer"),
        ("1,203.5", "not_an_integer"),
        ("abc", "not_a_number"),
        ("1.2.3", "not_a_number"),
        ("1,2,3", "not_a_number"),
        ("12a", "not_a_number"),
        ("1e3", "not_a_number"),
        ("12 5", "not_a_number"),
        ("1 2034", "not_a_number"),
        ("1234 567", "not_a_number"),
        ("12,", "not_a_number"),
        ("12.", "not_a_number"),
        ("--5", "not_a_number"),
        ("+-5", "not_a_number"),
        ("5-", "not_a_number"),
        ("-", "not_a_number"),
        ("+", "not_a_number"),
        (".", "not_a_number"),
        (",", "not_a_number"),
        ("12%", "not_a_number"),
        ("1.23.456", "not_a_number"),
        ("1,23,456", "not_a_number"),
        ("NaN", "not_a_number"),
        ("Infinity", "not_a_number"),
        ("một", "not_a_number"),
        ("", "empty"),
        ("   ", "empty"),
        ("\n\t", "empty"),
        ("1234567890123456", "too_many_digits"),
        ("1.234.567.890.123.456", "too_many_digits"),
    ],
)
def test_integer_rejected(raw: str, code: str) -> None:
    assert reason(parse_answer(INTEGER, raw)) == code


@pytest.mark.parametrize("raw", ["12,5", "abc", "1.20", "1.2.3"])
def test_rejection_params_carry_the_raw_value(raw: str) -> None:
    result = parse_answer(INTEGER, f"  {raw} ")
    assert isinstance(result, Rejected)
    assert result.params["value"] == raw


# --------------------------------------------------------------------------- decimals


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12.5", "12.5"),
        ("12,5", "12.5"),
        ("1.203,5", "1203.5"),
        ("1.203,50", "1203.5"),
        ("1 203,5", "1203.5"),
        ("1 203.5", "1203.5"),
        ("0,25", "0.25"),
        ("0.25", "0.25"),
        (",5", "0.5"),
        (".5", "0.5"),
        ("12.50", "12.5"),
        ("12,000", "12"),  # VN 12.000 -> 12; EN 12000 -> two readings? see ambiguity test
        ("1203", "1203"),
        ("-0,5", "-0.5"),
        ("100", "100"),
        ("0.000001", "0.000001"),
        ("3.14159", "3.14159"),
    ],
)
def test_decimal_accepted_or_ambiguous(raw: str, expected: str) -> None:
    result = parse_answer(DECIMAL, raw)
    if isinstance(result, Ambiguous):
        assert result.candidates[0] == expected
    else:
        assert result == Accepted(expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12.5", Accepted("12.5")),
        ("12,5", Accepted("12.5")),
        ("1.203,5", Accepted("1203.5")),
        ("3.14159", Accepted("3.14159")),
        ("1.203", Ambiguous(("1203", "1.203"))),
        ("1,500", Ambiguous(("1.5", "1500"))),
        ("12,000", Ambiguous(("12", "12000"))),
        ("1,203.5", Ambiguous(("1203.5",))),
        ("1,234,567.25", Ambiguous(("1234567.25",))),
        ("1.234.567", Accepted("1234567")),
        ("1.234.567,25", Accepted("1234567.25")),
        ("-1.203", Ambiguous(("-1203", "-1.203"))),
    ],
)
def test_decimal_exact(raw: str, expected: ParseResult) -> None:
    assert parse_answer(DECIMAL, raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1.2.3", "not_a_number"),
        ("1,2.3", "not_a_number"),
        ("1.203,5.5", "not_a_number"),
        ("abc", "not_a_number"),
        ("12,5%", "not_a_number"),
        ("0.1234567890123456", "too_many_digits"),
        ("", "empty"),
    ],
)
def test_decimal_rejected(raw: str, code: str) -> None:
    assert reason(parse_answer(DECIMAL, raw)) == code


# --------------------------------------------------------------------------- percent


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12,5%", Accepted("12.5")),
        ("12,5 %", Accepted("12.5")),
        ("12,5\u00a0%", Accepted("12.5")),
        ("12,5", Accepted("12.5")),
        ("12.5%", Accepted("12.5")),
        ("100%", Accepted("100")),
        ("100", Accepted("100")),
        ("0%", Accepted("0")),
        ("0", Accepted("0")),
        ("99,99%", Accepted("99.99")),
        ("99.125", Ambiguous(("99.125",))),  # VN 99125 is out of 0..100
        ("1.5", Accepted("1.5")),
        ("50.000", Ambiguous(("50",))),  # VN 50000 out of range, PLAIN 50
    ],
)
def test_percent(raw: str, expected: ParseResult) -> None:
    assert parse_answer(PERCENT, raw) == expected


@pytest.mark.parametrize(
    ("raw", "code", "params"),
    [
        ("101", "above_max", {"max": "100"}),
        ("100,5%", "above_max", {"max": "100"}),
        ("-1", "below_min", {"min": "0"}),
        ("-0,5%", "below_min", {"min": "0"}),
        # Both readings out of range: the rejection reports the first (Vietnamese) one.
        ("150.000", "above_max", {"max": "100", "value": "150000"}),
        ("1.203,5", "above_max", {"max": "100", "value": "1203.5"}),
        ("%", "not_a_number", {}),
        ("12%%", "not_a_number", {}),
        ("%12", "not_a_number", {}),
    ],
)
def test_percent_rejected(raw: str, code: str, params: dict[str, str]) -> None:
    result = parse_answer(PERCENT, raw)
    assert isinstance(result, Rejected)
    assert result.reason == code
    assert params.items() <= result.params.items()


def test_percent_explicit_range_overrides_default() -> None:
    rule = IndicatorRule("percent", min=Decimal(-50), max=Decimal(200))
    assert parse_answer(rule, "150%") == Accepted("150")
    assert parse_answer(rule, "-20") == Accepted("-20")
    assert reason(parse_answer(rule, "201")) == "above_max"


def test_percent_only_one_bound_set_keeps_the_other_default() -> None:
    rule = IndicatorRule("percent", min=Decimal(10))
    assert reason(parse_answer(rule, "5")) == "below_min"
    assert reason(parse_answer(rule, "101")) == "above_max"


# --------------------------------------------------------------------------- ranges


@pytest.mark.parametrize(
    ("rule", "raw", "expected"),
    [
        (IndicatorRule("integer", min=Decimal(0)), "-1", Rejected("below_min", {})),
        (IndicatorRule("integer", min=Decimal(0)), "0", Accepted("0")),
        (IndicatorRule("integer", max=Decimal(10)), "10", Accepted("10")),
        (IndicatorRule("integer", max=Decimal(10)), "11", Rejected("above_max", {})),
        (IndicatorRule("integer", max=Decimal(10)), "1,203", Rejected("above_max", {})),
        (IndicatorRule("integer", max=Decimal(5000)), "1,203", Ambiguous(("1203",))),
        (IndicatorRule("decimal", max=Decimal(10)), "1.203", Ambiguous(("1.203",))),
        (IndicatorRule("decimal", min=Decimal(2)), "1.203", Ambiguous(("1203",))),
        (
            IndicatorRule("decimal", min=Decimal(2), max=Decimal(10)),
            "1.203",
            Rejected("above_max", {}),
        ),
        (IndicatorRule("decimal", min=Decimal("0.5")), "0,25", Rejected("below_min", {})),
    ],
)
def test_range(rule: IndicatorRule, raw: str, expected: ParseResult) -> None:
    result = parse_answer(rule, raw)
    if isinstance(expected, Rejected):
        assert reason(result) == expected.reason
    else:
        assert result == expected


@pytest.mark.parametrize(
    ("bound", "shown"),
    [(Decimal("10.50"), "10.5"), (Decimal("1E+3"), "1000"), (Decimal(7), "7")],
)
def test_range_params_show_canonical_bound(bound: Decimal, shown: str) -> None:
    rule = IndicatorRule("decimal", max=bound)
    result = parse_answer(rule, "99999")
    assert result == Rejected("above_max", {"max": shown, "value": "99999"})
    low = parse_answer(IndicatorRule("decimal", min=bound), "-1")
    assert isinstance(low, Rejected)
    assert low.params["min"] == shown


def test_numbers_ignore_choices_and_required() -> None:
    rule = IndicatorRule("integer", required=False, choices=("a",))
    assert parse_answer(rule, "5") == Accepted("5")
    assert reason(parse_answer(rule, "")) == "empty"


# --------------------------------------------------------------------------- booleans


@pytest.mark.parametrize(
    "raw",
    [
        "có", "Có", "CÓ", "co", "c", "C", "yes", "Yes", "y", "x", "X", "1", "đúng", "Đúng",
        "dung", "true", "TRUE", "rồi", "roi", "đã", "da", "hoàn thành", "Hoàn thành",
        "hoan thanh", "HOÀN  THÀNH", "đạt", "Đạt", "dat", "ok", "OK", "  có  ", "có.",
    ],
)  # fmt: skip
def test_boolean_true(raw: str) -> None:
    assert parse_answer(BOOLEAN, raw) == Accepted("true")


@pytest.mark.parametrize(
    "raw",
    [
        "không", "Không", "KHÔNG", "khong", "k", "K", "ko", "no", "No", "n", "0", "sai",
        "Sai", "false", "chưa", "Chưa", "chua", "chưa hoàn thành", "Chưa hoàn thành",
        "chua hoan thanh", " không ",
    ],
)  # fmt: skip
def test_boolean_false(raw: str) -> None:
    assert parse_answer(BOOLEAN, raw) == Accepted("false")


@pytest.mark.parametrize("raw", ["maybe", "2", "có lẽ", "yes no", "-", "ừm", "10"])
def test_boolean_rejected(raw: str) -> None:
    assert reason(parse_answer(BOOLEAN, raw)) == "not_a_boolean"


def test_boolean_empty() -> None:
    assert reason(parse_answer(BOOLEAN, " ")) == "empty"


# --------------------------------------------------------------------------- choices


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Đạt", "Đạt"),
        ("đạt", "Đạt"),
        ("dat", "Đạt"),
        ("DAT", "Đạt"),
        ("  Đạt  ", "Đạt"),
        ("Không đạt", "Không đạt"),
        ("khong dat", "Không đạt"),
        ("không   đạt", "Không đạt"),
        ("dang thuc hien", "Đang thực hiện"),
        ("1", "Đạt"),
        ("2", "Không đạt"),
        ("3", "Đang thực hiện"),
        ("3.", "Đang thực hiện"),
    ],
)
def test_choice_accepted(raw: str, expected: str) -> None:
    assert parse_answer(CHOICE, raw) == Accepted(expected)


@pytest.mark.parametrize("raw", ["0", "4", "Đạ", "tốt", "1,5", "-1"])
def test_choice_rejected(raw: str) -> None:
    result = parse_answer(CHOICE, raw)
    assert isinstance(result, Rejected)
    assert result.reason == "not_a_choice"
    assert result.params["choices"] == "Đạt, Không đạt, Đang thực hiện"


def test_choice_exact_match_beats_diacritic_match() -> None:
    rule = IndicatorRule("choice", choices=("Ca", "Cá", "Cà"))
    assert parse_answer(rule, "cá") == Accepted("Cá")
    assert parse_answer(rule, "CA") == Accepted("Ca")
    assert parse_answer(rule, "cả") == Ambiguous(("Ca", "Cá", "Cà"))


def test_choice_text_beats_number() -> None:
    rule = IndicatorRule("choice", choices=("2", "1"))
    assert parse_answer(rule, "1") == Accepted("1")
    assert parse_answer(rule, "2") == Accepted("2")


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hoàn thành", "Hoàn thành"),
        ("  spaced  ", "spaced"),
        ("line 1\nline 2", "line 1\nline 2"),
        ("\n line 1\r\nline 2 \n", "line 1\nline 2"),
        ("x" * 20, "x" * 20),
    ],
)
def test_text_accepted(raw: str, expected: str) -> None:
    assert parse_answer(TEXT, raw) == Accepted(expected)


def test_text_rejected() -> None:
    assert reason(parse_answer(TEXT, "   \n ")) == "empty"
    result = parse_answer(TEXT, "x" * 21)
    assert isinstance(result, Rejected)
    assert result.reason == "too_long"
    assert result.params["max"] == "20"


def test_text_default_max_length() -> None:
    rule = IndicatorRule("text")
    assert parse_answer(rule, "a" * 3000) == Accepted("a" * 3000)
    assert reason(parse_answer(rule, "a" * 3001)) == "too_long"


# --------------------------------------------------------------------------- check_value


@pytest.mark.parametrize(
    ("rule", "canonical", "code"),
    [
        (INTEGER, "1203", None),
        (INTEGER, "-5", None),
        (INTEGER, "12.5", "not_an_integer"),
        (INTEGER, "1.203", "not_an_integer"),
        (INTEGER, "1,203", "not_a_number"),
        (INTEGER, "abc", "not_a_number"),
        (INTEGER, "", "empty"),
        (INTEGER, "1e3", "not_a_number"),
        (INTEGER, "1234567890123456", "too_many_digits"),
        (IndicatorRule("integer", max=Decimal(1000)), "1203", "above_max"),
        (IndicatorRule("integer", min=Decimal(0)), "-1", "below_min"),
        (DECIMAL, "12.5", None),
        (DECIMAL, "0.25", None),
        (DECIMAL, "12,5", "not_a_number"),
        (PERCENT, "99.125", None),
        (PERCENT, "100", None),
        (PERCENT, "100.01", "above_max"),
        (PERCENT, "-0.5", "below_min"),
        (BOOLEAN, "true", None),
        (BOOLEAN, "false", None),
        (BOOLEAN, "có", "not_a_boolean"),
        (BOOLEAN, "True", "not_a_boolean"),
        (CHOICE, "Đạt", None),
        (CHOICE, "dat", "not_a_choice"),
        (CHOICE, "1", "not_a_choice"),
        (TEXT, "hello", None),
        (TEXT, "", "empty"),
        (TEXT, "x" * 21, "too_long"),
    ],
)
def test_check_value(rule: IndicatorRule, canonical: str, code: str | None) -> None:
    result = check_value(rule, canonical)
    if code is None:
        assert result is None
    else:
        assert result is not None
        assert result.reason == code


@pytest.mark.parametrize(
    ("rule", "raw"),
    [
        (INTEGER, "1,203"),
        (DECIMAL, "1.203"),
        (DECIMAL, "1,500"),
        (PERCENT, "99.125"),
        (IndicatorRule("decimal", min=Decimal(2)), "1.203"),
    ],
)
def test_every_candidate_passes_check_value(rule: IndicatorRule, raw: str) -> None:
    result = parse_answer(rule, raw)
    assert isinstance(result, Ambiguous)
    for candidate in result.candidates:
        assert check_value(rule, candidate) is None


@pytest.mark.parametrize(
    ("rule", "raw"),
    [
        (INTEGER, "1.203"),
        (DECIMAL, "12,5"),
        (PERCENT, "12,5%"),
        (BOOLEAN, "có"),
        (CHOICE, "dat"),
        (TEXT, " hi "),
    ],
)
def test_accepted_values_pass_check_value(rule: IndicatorRule, raw: str) -> None:
    result = parse_answer(rule, raw)
    assert isinstance(result, Accepted)
    assert check_value(rule, result.value) is None


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("canonical", "expected"),
    [("1203", Decimal(1203)), ("-5", Decimal(-5)), ("12.5", Decimal("12.5")), ("0", Decimal(0))],
)
def test_to_decimal(canonical: str, expected: Decimal) -> None:
    assert to_decimal(canonical) == expected


@pytest.mark.parametrize("bad", ["", "abc", "1,5", "1e3", "NaN", "Infinity", "1.", ".5", "1 000"])
def test_to_decimal_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        to_decimal(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12.50"), "12.5"),
        (Decimal("1E+3"), "1000"),
        (Decimal("-0.0"), "0"),
        (Decimal("0.000100"), "0.0001"),
        (Decimal("100"), "100"),
        (Decimal("-7.10"), "-7.1"),
    ],
)
def test_canonical_decimal(value: Decimal, expected: str) -> None:
    assert canonical_decimal(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hòa Bình", "Hoa Binh"),
        ("Bắc Kạn", "Bac Kan"),
        ("Tuyên Quang", "Tuyen Quang"),
        ("Đạt", "Dat"),
        ("đường", "duong"),
        ("Sở Nội vụ", "So Noi vu"),
        ("Thái Nguyên", "Thai Nguyen"),
        ("plain", "plain"),
        ("", ""),
        ("Ho\u0300a", "Hoa"),  # already decomposed
    ],
)
def test_strip_diacritics(text: str, expected: str) -> None:
    assert strip_diacritics(text) == expected
