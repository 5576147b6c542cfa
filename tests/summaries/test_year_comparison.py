"""A year is compared with the year before only when both hold the same periods."""

from __future__ import annotations

import pytest

from bot.domain.aggregation import YearBasis, previous_year_basis
from bot.domain.summary import (
    DepartmentInfo,
    IndicatorInfo,
    PeriodData,
    Report,
    build_summary,
    compile_year,
)
from messages.render import render

STAFF = IndicatorInfo(
    id=1, slug="staff", label="Số trường hợp", label_en="Positions", type="integer"
)
DEPTS = [DepartmentInfo(id=n, slug=f"d{n}", name=f"Sở {n}", name_en=f"Dept {n}") for n in (1, 2)]


@pytest.mark.parametrize(
    ("parts", "available", "expected", "missing"),
    [
        # Q3+Q4 against Q3+Q4 of the year before, whatever else that year had.
        (("2023-Q3", "2023-Q4"), {"2022-Q2", "2022-Q3", "2022-Q4"}, ("2022-Q3", "2022-Q4"), ()),
        # The case that was reported: 2022 holds Q4 alone.
        (("2023-Q3", "2023-Q4"), {"2022-Q4"}, ("2022-Q4",), ("2022-Q3",)),
        # A partial year is not compared with a whole yearly round.
        (("2023-Q3", "2023-Q4"), {"2022"}, (), ("2022-Q3", "2022-Q4")),
        # A whole year (every quarter) may be compared with a yearly round.
        (tuple(f"2023-Q{q}" for q in range(1, 5)), {"2022"}, ("2022",), ()),
        # A yearly round against a yearly round, else against all the quarters of the year.
        ((), {"2022", "2022-Q1"}, ("2022",), ()),
        ((), {f"2022-Q{q}" for q in range(1, 5)}, tuple(f"2022-Q{q}" for q in range(1, 5)), ()),
        ((), {"2022-Q4"}, ("2022-Q4",), ("2022-Q1", "2022-Q2", "2022-Q3")),
        # Months are matched with months.
        (("2023-11", "2023-12"), {"2022-12", "2022-11"}, ("2022-11", "2022-12"), ()),
    ],
)
def test_previous_year_basis(
    parts: tuple[str, ...], available: set[str], expected: tuple[str, ...], missing: tuple[str, ...]
) -> None:
    basis = previous_year_basis(2023, parts, available | {"2021", "2023-Q1"})
    assert basis == YearBasis(2022, expected, missing)
    assert basis.comparable == (not missing)


def test_no_basis_when_the_year_before_has_no_round() -> None:
    assert previous_year_basis(2023, ("2023-Q3",), {"2023-Q3", "2021"}) is None


def _period(code: str, staff: dict[int, str]) -> PeriodData:
    return PeriodData(code, {d: Report(d, {STAFF.id: v}) for d, v in staff.items()})


def _summary(previous_parts: list[PeriodData]) -> tuple[object, YearBasis | None]:
    current = compile_year(
        "2023",
        [STAFF],
        [_period("2023-Q3", {1: "300", 2: "330"}), _period("2023-Q4", {1: "300", 2: "330"})],
        [f"2023-Q{q}" for q in range(1, 5)],
    )
    basis = previous_year_basis(2023, current.compiled_from, {p.period for p in previous_parts})
    assert basis is not None
    held = [p for p in previous_parts if p.period in basis.periods]
    previous = compile_year("2022", [STAFF], held, basis.expected)
    summary = build_summary(
        cluster_id="c",
        cluster_name="Cụm",
        cluster_name_en="Cluster",
        departments=DEPTS,
        indicators=[STAFF],
        current=current,
        previous=previous,
        previous_basis=basis,
    )
    return summary, basis


def test_q3_q4_against_q4_alone_shows_no_change_and_says_why() -> None:
    summary, _ = _summary([_period("2022-Q4", {1: "300", 2: "302"})])
    line = summary.indicators[0]  # type: ignore[attr-defined]  # a summary was built (asserted above)
    assert line.figure.value == 1260
    assert line.previous is None  # not "+109,49%"
    assert summary.comparison.missing == ("2022-Q3",)  # type: ignore[attr-defined]  # a summary was built (asserted above)
    vi = render("vi", "summary.summary", s=summary, tables={STAFF.id: ""})
    assert "So với" not in vi
    assert (
        "Không so sánh với Năm 2022: Năm 2022 chưa có số liệu Quý III/2022, nên không cùng kỳ"
        " với Năm 2023 (Quý III, Quý IV)." in vi
    )
    en = render("en", "summary.summary", s=summary, tables={STAFF.id: ""})
    assert "Not compared with Year 2022: it has no figures for Q3 2022" in en


def test_q3_q4_against_q3_q4_compares_and_names_the_periods() -> None:
    summary, _ = _summary(
        [
            _period("2022-Q2", {1: "999", 2: "999"}),  # not the same period: left out
            _period("2022-Q3", {1: "250", 2: "250"}),
            _period("2022-Q4", {1: "100", 2: "100"}),
        ]
    )
    line = summary.indicators[0]  # type: ignore[attr-defined]  # a summary was built (asserted above)
    assert line.previous is not None and line.previous.previous == 700
    assert line.previous.percent == 80
    vi = render("vi", "summary.summary", s=summary, tables={STAFF.id: ""})
    assert "So sánh: Năm 2023 (Quý III, Quý IV) so với Năm 2022 (Quý III, Quý IV)" in vi
    assert "So với Năm 2022: <b>+560</b> (+80%)" in vi
    en = render("en", "summary.summary", s=summary, tables={STAFF.id: ""})
    assert "Compared: Year 2023 (Q3, Q4) against Year 2022 (Q3, Q4)" in en


def test_a_counterpart_round_nobody_reported_in_is_missing_too() -> None:
    summary, _ = _summary([_period("2022-Q3", {}), _period("2022-Q4", {1: "1", 2: "1"})])
    assert summary.indicators[0].previous is None  # type: ignore[attr-defined]  # a summary was built (asserted above)
    assert summary.comparison.missing == ("2022-Q3",)  # type: ignore[attr-defined]  # a summary was built (asserted above)
