"""Building the summary: figures, coverage, who is late or missing, the year view, history."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.domain.summary import (
    PeriodData,
    RevisionInfo,
    build_summary,
    compile_year,
    revision_history,
)
from tests.summaries import (
    CLASSES,
    DATABASE,
    DEPARTMENTS,
    INDICATORS,
    INSPECTED,
    RATE,
    RESULTS,
    STAFF,
    TASKS,
    full_year_reports,
    report,
    sample_summary,
)


def _line(summary, indicator):  # noqa: ANN001, ANN202
    return next(line for line in summary.indicators if line.indicator.id == indicator.id)


def test_complete_round_gives_the_report_totals() -> None:
    s = sample_summary(skip=(), late=())
    assert [_line(s, i).figure.value for i in (STAFF, INSPECTED, CLASSES)] == [1203, 175, 346]
    assert s.coverage == "7/7" and s.complete and not s.missing and not s.late


def test_missing_and_late_departments() -> None:
    s = sample_summary(skip=(5,), late=(3,))
    assert [d.slug for d in s.missing] == ["yen-bai"]
    assert [st.department.slug for st in s.late] == ["thai-nguyen"]
    assert len(s.submitted) == 6 and s.coverage == "6/7"
    staff = _line(s, STAFF)
    assert staff.figure.value == 1203 - 150 and staff.figure.coverage == "6/7"
    yen_bai = staff.rows[4]
    assert yen_bai[0].slug == "yen-bai" and yen_bai[1] is None and yen_bai[2] is False


def test_rows_keep_the_cluster_order_and_skipped_values() -> None:
    s = sample_summary()
    rate = _line(s, RATE)
    assert [d.slug for d, _, _ in rate.rows] == [d.slug for d in DEPARTMENTS]
    hoa_binh = rate.rows[3]
    assert hoa_binh[1] is None and hoa_binh[2] is True  # submitted, skipped the optional one
    assert rate.figure.coverage == "5/7"


def test_changes_against_previous_round_and_a_year_earlier() -> None:
    s = sample_summary(skip=(), late=())
    staff = _line(s, STAFF)
    assert staff.previous is not None and staff.previous.period == "2023-Q3"
    assert staff.previous.absolute == 0 and staff.previous.percent == 0
    assert staff.year_ago is not None and staff.year_ago.period == "2022-Q4"
    assert staff.year_ago.absolute == -1203 and staff.year_ago.percent == -50
    assert s.previous_period == "2023-Q3" and s.year_ago_period == "2022-Q4"


def test_no_earlier_periods() -> None:
    s = sample_summary(previous=False, year_ago=False)
    assert all(line.previous is None and line.year_ago is None for line in s.indicators)
    assert s.previous_period is None and s.year_ago_period is None


def test_text_indicators_become_narratives_per_department() -> None:
    s = sample_summary()
    assert [line.indicator for line in s.indicators] == [STAFF, INSPECTED, CLASSES, DATABASE, RATE]
    assert s.text_indicators == (RESULTS, TASKS)
    first = s.narratives[0]
    assert first.department.slug == "bac-kan"
    assert [i.slug for i, _ in first.answers] == ["ket-qua", "de-xuat"]
    assert all(n.department.slug != "yen-bai" for n in s.narratives)
    second = next(n for n in s.narratives if n.department.slug == "bac-giang")
    assert [i.slug for i, _ in second.answers] == ["ket-qua"]  # the skipped one is left out


def test_boolean_distribution() -> None:
    s = sample_summary(skip=(), late=())
    db = _line(s, DATABASE)
    assert db.figure.value == 5
    assert db.distribution == (("true", 5), ("false", 2))


def test_report_of_a_department_no_longer_in_the_cluster_is_left_out() -> None:
    reports = full_year_reports()
    reports[99] = report(99, {STAFF.id: "1000"})
    s = build_summary(
        cluster_id="c",
        cluster_name="c",
        cluster_name_en="c",
        departments=DEPARTMENTS,
        indicators=INDICATORS,
        current=PeriodData("2023-Q4", reports),
    )
    assert _line(s, STAFF).figure.value == 1203 and s.coverage == "7/7"


def test_year_compiled_from_quarters() -> None:
    quarters = []
    for q in (1, 2, 3):  # no Q4 round
        reports = full_year_reports(skip=(7,) if q == 3 else ())
        quarters.append(PeriodData(f"2023-Q{q}", reports))
    year = compile_year("2023", INDICATORS, quarters, ("2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"))
    assert year.compiled and year.compiled_from == ("2023-Q1", "2023-Q2", "2023-Q3")
    assert year.missing_periods == ("2023-Q4",)
    s = build_summary(
        cluster_id="c",
        cluster_name="c",
        cluster_name_en="c",
        departments=DEPARTMENTS,
        indicators=INDICATORS,
        current=year,
    )
    staff = _line(s, STAFF)
    # sums add up: three quarters of everyone except Tuyên Quang's third
    assert staff.figure.value == 3 * 1203 - 170
    assert staff.rows[6][1] == "340"
    # averages are averaged over the reported values (Hòa Bình never reported one)
    rate = _line(s, RATE)
    assert rate.rows[3][1] is None
    assert Decimal(rate.rows[0][1]) == Decimal(90)
    assert rate.figure.reported == 6
    assert [st.department.slug for st in s.partial] == ["tuyen-quang"]
    assert s.partial[0].parts == 2 and s.parts_expected == 3
    assert s.compiled_from == ("2023-Q1", "2023-Q2", "2023-Q3")
    assert s.missing_periods == ("2023-Q4",)


def test_year_against_the_previous_year_is_shown_once() -> None:
    this = PeriodData("2023", full_year_reports())
    last = PeriodData("2022", full_year_reports(scale=2))
    s = build_summary(
        cluster_id="c",
        cluster_name="c",
        cluster_name_en="c",
        departments=DEPARTMENTS,
        indicators=INDICATORS,
        current=this,
        previous=last,
        year_ago=last,
    )
    staff = _line(s, STAFF)
    assert staff.previous is not None and staff.year_ago is None
    assert s.year_ago_period is None


def test_late_in_any_quarter_is_late_for_the_year() -> None:
    quarters = [
        PeriodData("2023-Q1", full_year_reports(late=(2,))),
        PeriodData("2023-Q2", full_year_reports()),
    ]
    year = compile_year("2023", INDICATORS, quarters)
    assert year.reports[2].late and not year.reports[1].late


def test_revision_history_lists_changes() -> None:
    at = datetime(2024, 1, 10, tzinfo=UTC)
    revisions = [
        RevisionInfo(
            1, 1, 501, "Nguyễn Văn A", at, False, {STAFF.id: "180", RATE.id: "90"}, "2023"
        ),
        RevisionInfo(1, 2, 502, "Trần Thị B", at, True, {STAFF.id: "185", RATE.id: "90"}, "2023"),
        RevisionInfo(1, 3, 501, "Nguyễn Văn A", at, True, {STAFF.id: "185", RATE.id: None}, "2023"),
        RevisionInfo(2, 1, 503, "Lê C", at, False, {STAFF.id: "205"}, "2023"),
    ]
    entries = revision_history(DEPARTMENTS, INDICATORS, revisions)
    assert [(e.department.slug, e.revision, e.indicator and e.indicator.slug) for e in entries] == [
        ("bac-kan", 1, None),
        ("bac-kan", 2, "tinh-gian"),
        ("bac-kan", 3, "ty-le-so-hoa"),
        ("bac-giang", 1, None),
    ]
    change = entries[1]
    assert (change.old, change.new, change.by, change.late) == ("180", "185", "Trần Thị B", True)
    assert (entries[2].old, entries[2].new) == ("90", None)
