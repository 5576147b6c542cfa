"""The aggregation rules, changes and the year compiled from its periods."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain.aggregation import (
    Figure,
    aggregate,
    change,
    compile_values,
    numeric_value,
    year_sources,
)

SEVEN = {1: "180", 2: "205", 3: "170", 4: "160", 5: "150", 6: "168", 7: "170"}


def test_sum_of_the_report_totals() -> None:
    figure = aggregate("sum", "integer", SEVEN, 7)
    assert figure.value == Decimal(1203)
    assert figure.coverage == "7/7" and figure.complete


def test_missing_department_is_not_zero() -> None:
    six = {k: v for k, v in SEVEN.items() if k != 5}
    total = aggregate("sum", "integer", six, 7)
    assert total.value == Decimal(1053) and total.coverage == "6/7" and not total.complete
    average = aggregate("average", "integer", six, 7)
    assert average.value == Decimal(1053) / 6  # over the six that reported, not seven
    assert aggregate("min", "integer", six, 7).value == Decimal(160)


def test_skipped_value_is_left_out_of_figure_and_coverage() -> None:
    values = {1: "90", 2: "87.5", 3: None, 4: "100"}
    figure = aggregate("average", "percent", values, 5)
    assert figure.value == Decimal("92.5")
    assert figure.reported == 3 and figure.coverage == "3/5"


def test_decimal_arithmetic_is_exact() -> None:
    figure = aggregate("sum", "decimal", {1: "0.1", 2: "0.2"}, 2)
    assert figure.value == Decimal("0.3")
    big = aggregate("sum", "integer", {i: "999999999999999" for i in range(34)}, 34)
    assert big.value == Decimal("33999999999999966")


def test_min_and_max_name_every_holder() -> None:
    values = {1: "5", 2: "9", 3: "5", 4: "9"}
    low = aggregate("min", "integer", values, 4)
    high = aggregate("max", "integer", values, 4)
    assert (low.value, low.holders) == (Decimal(5), (1, 3))
    assert (high.value, high.holders) == (Decimal(9), (2, 4))
    assert aggregate("sum", "integer", values, 4).holders == ()


def test_negative_values() -> None:
    values = {1: "-3", 2: "2"}
    assert aggregate("sum", "integer", values, 2).value == Decimal(-1)
    assert aggregate("min", "integer", values, 2).value == Decimal(-3)


def test_count_of_yes_answers() -> None:
    values = {1: "true", 2: "false", 3: "true", 4: None}
    figure = aggregate("count", "boolean", values, 5)
    assert figure.value == Decimal(2)
    assert figure.coverage == "3/5"


def test_count_of_answers_for_other_types() -> None:
    figure = aggregate("count", "choice", {1: "Đạt", 2: None, 3: "Không đạt"}, 3)
    assert figure.value == Decimal(2) and figure.reported == 2


def test_none_rule_has_no_figure() -> None:
    figure = aggregate("none", "text", {1: "Tốt", 2: ""}, 2)
    assert figure.value is None and figure.reported == 1


def test_nothing_reported() -> None:
    figure = aggregate("sum", "integer", {}, 7)
    assert figure.value is None and figure.coverage == "0/7" and not figure.has_value


def test_numeric_rule_ignores_values_that_are_not_numbers() -> None:
    figure = aggregate("sum", "integer", {1: "12", 2: "abc"}, 2)
    assert figure.value == Decimal(12) and figure.reported == 1


def test_unknown_rule() -> None:
    with pytest.raises(ValueError):
        aggregate("median", "integer", {}, 1)
    with pytest.raises(ValueError):
        compile_values("median", "integer", [])


def test_numeric_value() -> None:
    assert numeric_value("percent", "12.5") == Decimal("12.5")
    assert numeric_value("boolean", "true") == 1 and numeric_value("boolean", "false") == 0
    assert numeric_value("text", "12") is None
    assert numeric_value("integer", None) is None


# --------------------------------------------------------------------------- changes


def test_change_absolute_and_percent() -> None:
    now = Figure("sum", Decimal(1203), 7, 7)
    before = Figure("sum", Decimal(1000), 7, 7)
    c = change(now, before, "2022")
    assert c is not None
    assert c.absolute == Decimal(203) and c.percent == Decimal("20.3")
    assert c.previous == Decimal(1000) and c.comparable and c.period == "2022"


def test_change_down_and_against_negative() -> None:
    c = change(Figure("sum", Decimal(50), 2, 2), Figure("sum", Decimal(100), 2, 2), "p")
    assert c is not None and c.absolute == -50 and c.percent == -50
    c = change(Figure("sum", Decimal(-50), 2, 2), Figure("sum", Decimal(-100), 2, 2), "p")
    assert c is not None and c.absolute == 50 and c.percent == 50


def test_change_from_zero_has_no_percent() -> None:
    c = change(Figure("sum", Decimal(5), 1, 1), Figure("sum", Decimal(0), 1, 1), "p")
    assert c is not None and c.absolute == 5 and c.percent is None


def test_change_says_when_coverage_differs() -> None:
    c = change(Figure("sum", Decimal(5), 6, 7), Figure("sum", Decimal(4), 7, 7), "p")
    assert c is not None and not c.comparable and c.previous_coverage == "7/7"


def test_no_change_without_both_figures() -> None:
    assert change(Figure("sum", Decimal(5), 1, 1), None, "p") is None
    assert change(Figure("sum", None, 0, 1), Figure("sum", Decimal(4), 1, 1), "p") is None
    assert change(Figure("none", None, 1, 1), Figure("none", None, 1, 1), "p") is None


# --------------------------------------------------------------------------- the year


def test_year_from_quarters_says_what_is_missing() -> None:
    sources = year_sources(2023, ["2023-Q1", "2023-Q2", "2023-Q4", "2022-Q3", "2024-Q1"])
    assert sources is not None
    assert sources.kind == "quarter"
    assert sources.used == ("2023-Q1", "2023-Q2", "2023-Q4")
    assert sources.missing == ("2023-Q3",) and not sources.complete


def test_quarters_are_preferred_to_months_then_halves() -> None:
    assert year_sources(2023, ["2023-01", "2023-Q1", "2023-H1"]).kind == "quarter"  # type: ignore[union-attr]  # the periods make a year: not None
    months = year_sources(2023, ["2023-01", "2023-02", "2023-H1"])
    assert months is not None and months.kind == "month" and len(months.expected) == 12
    halves = year_sources(2023, ["2023-H1", "2023-H2"])
    assert halves is not None and halves.kind == "half" and halves.complete


def test_no_source_for_a_year() -> None:
    assert year_sources(2023, ["2022-Q1", "2023", "garbage"]) is None


def test_compile_sums_add_up() -> None:
    assert compile_values("sum", "integer", ["300", "300", None, "603"]) == "1203"


def test_compile_averages_over_reported_values() -> None:
    assert compile_values("average", "percent", ["80", None, "90"]) == "85"
    assert compile_values("average", "decimal", ["1", "2"]) == "1.5"


def test_compile_min_max() -> None:
    assert compile_values("min", "integer", ["5", "3", "9"]) == "3"
    assert compile_values("max", "integer", ["5", "3", "9"]) == "9"


def test_compile_states_take_the_latest_answer() -> None:
    assert compile_values("count", "boolean", ["false", "true", None]) == "true"
    assert compile_values("none", "text", ["đầu năm", "cuối năm"]) == "cuối năm"


def test_compile_nothing_reported() -> None:
    assert compile_values("sum", "integer", [None, None]) is None
    assert compile_values("sum", "integer", []) is None
