"""The self-scoring template's builder and reader directly (bot/reports/score_template.py): a
round trip, what each cell reads as, and damaged files (bits flipped, bytes overwritten, cut
short, cells filled with anything): the reader returns what the file says or raises
UploadRejected, never anything else."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from bot.domain.summary import DepartmentInfo
from bot.reports.score_template import (
    FilledScores,
    ScoreTemplateTarget,
    TemplateCriterion,
    build_score_template,
    read_score_template,
)
from bot.reports.template_io import UploadRejected
from tests.file_mutations import FLIPS, JUNK, WHERE, flipped, overwritten, truncated

D = Decimal
CRITERIA = (
    TemplateCriterion(
        "ke-hoach", "Ban hành kế hoạch", "Plans", "Chỉ đạo", "Direction", D(10), True
    ),
    TemplateCriterion(
        "hoat-dong", "Tham gia hoạt động", None, "Chỉ đạo", None, D(10), True, None, D("7.5"), "Đủ"
    ),
    TemplateCriterion("dung-han", "Báo cáo đúng hạn", None, "Báo cáo", None, D(10), False, D(9)),
    TemplateCriterion("cai-cach", "Cải cách hành chính", None, "Báo cáo", None, D(20), True),
)
TARGET = ScoreTemplateTarget(
    cluster_id="cum",
    session_id=3,
    year=2023,
    deadline=date(2024, 2, 15),
    department=DepartmentInfo(id=5, slug="yen-bai", name="Sở Nội vụ tỉnh Yên Bái", name_en=""),
    criteria=CRITERIA,
)
# Rows: 7 group, 8 ke-hoach, 9 hoat-dong, 10 group, 11 dung-han, 12 cai-cach.
ROWS = {"ke-hoach": 8, "hoat-dong": 9, "cai-cach": 12}


@cache
def template() -> bytes:
    return build_score_template(TARGET, "vi")


def fill(cells: dict[str, Any]) -> bytes:
    wb = load_workbook(io.BytesIO(template()))
    ws = wb.worksheets[0]
    for ref, value in cells.items():
        ws[ref] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@cache
def filled() -> bytes:
    return fill({"F8": 7.25, "G8": "Kế hoạch 12", "F12": "15,5", "G12": "Một cửa"})


def test_the_template_reads_back() -> None:
    result = read_score_template(filled())
    identity = result.identity
    assert (identity.cluster_id, identity.session_id, identity.year) == ("cum", 3, 2023)
    assert (identity.department_id, identity.department_slug) == (5, "yen-bai")
    assert identity.rows == ROWS
    assert [(c.criterion, c.points_cell, c.points, c.justification) for c in result.filled] == [
        ("ke-hoach", "F8", D("7.25"), "Kế hoạch 12"),
        ("hoat-dong", "F9", D("7.5"), "Đủ"),  # prefilled: what is recorded
        ("cai-cach", "F12", D("15.5"), "Một cửa"),
    ]
    assert result.problems == [] and result.formula_cells == []
    ws = load_workbook(io.BytesIO(template())).worksheets[0]
    assert ws["E11"].value == 9 and ws["F11"].protection.locked  # computed: read-only


@pytest.mark.parametrize(
    ("value", "points", "raw"),
    [
        (10, D(10), None),
        (0.1 + 0.2, D("0.3"), None),  # what Excel shows
        ("8.5", D("8.5"), None),
        (" 8,5 ", D("8.5"), None),
        ("mười", None, "mười"),
        ("50%", None, "50%"),
        (True, None, "True"),
        (datetime(2024, 1, 1), None, "2024-01-01 00:00:00"),
    ],
)
def test_a_points_cell_reads(value: object, points: Decimal | None, raw: str | None) -> None:
    result = read_score_template(fill({"F8": value, "G8": "Có"}))
    if raw is None:
        assert result.filled[0].points == points and not result.problems
    else:
        assert [(p.cell, p.code, p.raw) for p in result.problems] == [("F8", "bad_points", raw)]


def test_formulas_take_their_cached_value_or_are_refused() -> None:
    # openpyxl writes no cached value: the formula is refused for its cell.
    result = read_score_template(fill({"F8": "=5+2", "G8": "Có"}))
    assert [(p.cell, p.code) for p in result.problems] == [("F8", "formula_without_value")]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"not a zip at all", "not_xlsx"),
        (b"PK\x03\x04" + b"\0" * 100, "corrupt"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "not_xlsx"),
    ],
)
def test_files_that_are_no_workbook(data: bytes, code: str) -> None:
    with pytest.raises(UploadRejected) as rejected:
        read_score_template(data)
    assert rejected.value.code == code


def test_a_workbook_without_the_identity_is_no_scoring_template() -> None:
    wb = load_workbook(io.BytesIO(template()))
    del wb["_clusterbot_scoring"]
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(UploadRejected) as rejected:
        read_score_template(out.getvalue())
    assert rejected.value.code == "not_scoring_template"


def _read(data: bytes) -> None:
    try:
        result = read_score_template(data)
    except UploadRejected as rejected:
        assert rejected.code  # a code the message template explains
        return
    assert isinstance(result, FilledScores)
    assert all(c.criterion in result.identity.rows for c in result.filled)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flips=FLIPS)
def test_bit_flips(flips: list[tuple[float, int]]) -> None:
    _read(flipped(filled(), flips))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=WHERE, junk=JUNK)
def test_overwritten_bytes(where: float, junk: bytes) -> None:
    _read(overwritten(filled(), where, junk))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keep=WHERE)
def test_truncation(keep: float) -> None:
    _read(truncated(filled(), keep))


CELL_VALUES = st.one_of(
    st.none(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=30),
    st.booleans(),
    st.dates(min_value=date(1900, 3, 1)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cells=st.dictionaries(
        st.sampled_from(["B8", "B9", "B12", "F8", "G8", "F9", "F12", "G12", "F11", "A1"]),
        CELL_VALUES,
        max_size=6,
    )
)
def test_any_cell_values(cells: dict[str, Any]) -> None:
    """Whatever an officer types in any cell (the hidden ids too): a result or a refusal, and
    a points cell read is a finite number."""
    try:
        result = read_score_template(fill(cells))
    except UploadRejected as rejected:
        assert rejected.code == "cells_moved"
        return
    for cell in result.filled:
        assert cell.points is None or cell.points.is_finite()
