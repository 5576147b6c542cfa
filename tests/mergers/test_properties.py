"""Property tests of the mergers: the cluster file's merger fields (any combination answers with
the file's own errors, exactly the rules' ones), and folding a period's reports under successors
(nothing lost, nothing counted twice, idempotent) and which comparisons it forbids."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.cluster_file import ClusterFileInvalid, parse_cluster_data
from bot.domain.mergers import Merger, fold, unlike
from bot.domain.periods import Period
from bot.domain.summary import DepartmentInfo, IndicatorInfo, PeriodData, Report
from tests.conftest import EXAMPLE

FEW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BASE = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
SLUGS = [d["id"] for d in BASE["departments"]]
ON = date(2025, 7, 1)

# Per department: whom it merged into (None, another, itself), and whether it dates a merger
# and names departments from outside.
ENTRY = st.tuples(st.one_of(st.none(), st.sampled_from(SLUGS)), st.booleans(), st.booleans())


def expected_errors(entries: list[tuple[str | None, bool, bool]]) -> dict[str, str]:
    """The rules, written out independently of the validator."""
    active = {slug for slug, (into, _, _) in zip(SLUGS, entries, strict=True) if into is None}
    successors = {into for into, _, _ in entries if into}
    found: dict[str, str] = {}
    for i, (slug, (into, dated, outside)) in enumerate(zip(SLUGS, entries, strict=True)):
        where = f"departments[{i}]"
        if into is not None:
            if into not in active:
                found[f"{where}.merged_into"] = "unknown_department"
            if dated:
                found[f"{where}.merged_on"] = "successor_only"
            if outside:
                found[f"{where}.merged_from_outside"] = "successor_only"
        elif (slug in successors or outside) and not dated:
            found[f"{where}.merged_on"] = "merger_needs_date"
        elif dated and slug not in successors and not outside:
            found[f"{where}.merged_on"] = "merger_without_parts"
    if not active:
        found["departments"] = "no_active_department"
    return found


@FEW
@given(st.lists(ENTRY, min_size=len(SLUGS), max_size=len(SLUGS)))
def test_merger_fields_give_exactly_the_rules_errors(
    entries: list[tuple[str | None, bool, bool]],
) -> None:
    data: dict[str, Any] = {**BASE, "departments": [dict(d) for d in BASE["departments"]]}
    for name in ("offices", "pact", "scoring"):  # they name members: not what this is about
        data.pop(name, None)
    for row, (into, dated, outside) in zip(data["departments"], entries, strict=True):
        if into is not None:
            row["merged_into"] = into
        if dated:
            row["merged_on"] = ON
        if outside:
            row["merged_from_outside"] = ["Sở Nội vụ tỉnh Hà Giang"]
    wanted = expected_errors(entries)
    try:
        spec = parse_cluster_data(data)
    except ClusterFileInvalid as exc:
        assert {e.path: e.code for e in exc.errors} == wanted
    else:
        assert wanted == {}
        for d, (into, dated, outside) in zip(spec.departments, entries, strict=True):
            assert d.merged_into == into
            assert d.merged_on == (ON if dated else None)
            assert d.merged_from_outside == (("Sở Nội vụ tỉnh Hà Giang",) if outside else ())


# --------------------------------------------------------------------------- folding

DEPARTMENTS = [DepartmentInfo(n, f"d{n}", f"Sở {n}", f"Dept {n}") for n in range(1, 8)]
INDICATORS = [
    IndicatorInfo(1, "sum", "Sum", "Sum", "integer", aggregate="sum"),
    IndicatorInfo(2, "avg", "Average", "Average", "percent", aggregate="average"),
    IndicatorInfo(3, "yes", "Done", "Done", "boolean", aggregate="count"),
    IndicatorInfo(4, "txt", "Text", "Text", "text", aggregate="none"),
]


@st.composite
def merged_period(draw: st.DrawFn) -> tuple[PeriodData, list[Merger]]:
    """Some departments' reports, and mergers among them (each predecessor into one successor)."""
    successor_of = {
        d.id: draw(st.one_of(st.none(), st.sampled_from(DEPARTMENTS[:3]))) for d in DEPARTMENTS[3:]
    }
    mergers = [
        Merger(s, ON, tuple(d for d in DEPARTMENTS[3:] if successor_of[d.id] == s))
        for s in DEPARTMENTS[:3]
        if any(v == s for v in successor_of.values())
    ]
    reporting = draw(st.sets(st.sampled_from([d.id for d in DEPARTMENTS])))
    reports = {
        i: Report(
            department_id=i,
            values={
                1: draw(st.one_of(st.none(), st.integers(0, 10_000).map(str))),
                2: draw(st.one_of(st.none(), st.integers(0, 100).map(str))),
                3: draw(st.sampled_from([None, "true", "false"])),
                4: draw(st.one_of(st.none(), st.sampled_from(["Tốt", "Khá"]))),
            },
            late=draw(st.booleans()),
        )
        for i in sorted(reporting)
    }
    return PeriodData("2025-Q2", reports), mergers


@FEW
@given(merged_period())
def test_folding_loses_nothing_counts_nothing_twice_and_is_idempotent(
    case: tuple[PeriodData, list[Merger]],
) -> None:
    data, mergers = case
    folded = fold(data, INDICATORS, mergers)
    predecessors = {p.id: m.successor.id for m in mergers for p in m.predecessors}
    assert not set(folded.reports) & set(predecessors)  # every one under its successor
    owners = {predecessors.get(i, i) for i in data.reports}
    assert set(folded.reports) == owners

    def total(d: PeriodData) -> int:
        return sum(int(v) for r in d.reports.values() if (v := r.values.get(1)) is not None)

    assert total(folded) == total(data)
    for owner, report in folded.reports.items():
        parts = [r for i, r in data.reports.items() if predecessors.get(i, i) == owner]
        assert report.late == any(r.late for r in parts)
        answers = [r.values.get(3) for r in parts if r.values.get(3) is not None]
        assert report.values.get(3) == (
            None if not answers else "true" if all(a == "true" for a in answers) else "false"
        )
        averages = [Decimal(v) for r in parts if (v := r.values.get(2)) is not None]
        if averages:
            assert Decimal(report.values[2] or "0") == sum(averages) / len(averages)
    assert fold(folded, INDICATORS, mergers) == folded


PERIODS = st.sampled_from(
    [Period.of_quarter(2025, q).code for q in (1, 2, 3, 4)] + ["2024", "2025", "2026"]
)


@FEW
@given(st.lists(PERIODS, min_size=1, max_size=3), st.lists(PERIODS, min_size=1, max_size=3))
def test_only_a_merger_from_outside_the_cluster_makes_periods_unlike(
    one: list[str], other: list[str]
) -> None:
    inside = Merger(DEPARTMENTS[0], ON, (DEPARTMENTS[3],))
    outside = Merger(DEPARTMENTS[1], ON, (), ("Sở Nội vụ tỉnh Hà Giang",))
    assert unlike([inside], one, other) == ()
    found = unlike([outside], one, other)
    assert found == unlike([outside], other, one)  # symmetric
    all_before = all(outside.before(c) for c in one + other)
    all_after = not any(outside.before(c) for c in one + other)
    assert (found == ()) == (all_before or all_after)
