"""The cluster's summary report for one period, built from plain inputs.

:func:`build_summary` takes the departments, the indicators and what each department reported
(:class:`PeriodData`) for the period, the previous period of the same kind and the same period a
year earlier, and returns a :class:`Summary`: per indicator the cluster figure, the departments'
values, the coverage and the changes; who submitted, who was late, who is missing; the narrative
answers per department. :func:`compile_year` folds a year's quarters (or months) into one
:class:`PeriodData` when the cluster ran no yearly round. :func:`revision_history` lists what
each revision changed. Nothing here touches storage or Telegram.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.domain.aggregation import (
    Change,
    Figure,
    YearBasis,
    aggregate,
    change,
    compile_values,
    numeric_value,
    previous_year_basis,
)
from bot.domain.mergers import Merger, fold, relevant, unlike
from bot.domain.periods import PeriodError, parse_period
from bot.domain.summary_inputs import DepartmentInfo, IndicatorInfo, PeriodData, Report

__all__ = [
    "Comparison",
    "DepartmentInfo",
    "DepartmentStatus",
    "HistoryEntry",
    "IndicatorInfo",
    "IndicatorSummary",
    "Narrative",
    "PeriodData",
    "Report",
    "RevisionInfo",
    "Summary",
    "Target",
    "build_summary",
    "compile_year",
    "revision_history",
]


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Target:
    """A department's pact target for the year (giao ước) against its year figure."""

    department: DepartmentInfo
    target: Decimal
    actual: Decimal | None
    """None: the department has no figure for the year."""

    @property
    def reached(self) -> bool:
        return self.actual is not None and self.actual >= self.target

    @property
    def share(self) -> Decimal | None:
        """The figure as a share of the target (1 = 100 %); None without a figure or for a
        target of zero."""
        if self.actual is None or self.target <= 0:
            return None
        return self.actual / self.target


@dataclass(frozen=True)
class IndicatorSummary:
    indicator: IndicatorInfo
    figure: Figure
    rows: tuple[tuple[DepartmentInfo, str | None, bool], ...]
    """Every expected department with its value (None: skipped or not submitted) and whether
    it submitted at all."""
    previous: Change | None = None
    year_ago: Change | None = None
    distribution: tuple[tuple[str, int], ...] = ()
    """For a choice or boolean: each answer and how many departments gave it."""
    targets: tuple[Target, ...] = ()
    """For a year: the departments with a pact target for this indicator, in display order."""
    cluster_target: Decimal | None = None
    """The cluster's target by the indicator's rule (the sum, or the average, of the
    departments' targets), when every department has one."""

    @property
    def reached(self) -> int:
        """How many departments reached their target."""
        return sum(1 for t in self.targets if t.reached)

    @property
    def holders(self) -> tuple[DepartmentInfo, ...]:
        by_id = {d.id: d for d, _, _ in self.rows}
        return tuple(by_id[h] for h in self.figure.holders if h in by_id)


@dataclass(frozen=True)
class DepartmentStatus:
    department: DepartmentInfo
    submitted_at: datetime | None
    late: bool
    revision: int
    parts: int = 1


@dataclass(frozen=True)
class Narrative:
    department: DepartmentInfo
    answers: tuple[tuple[IndicatorInfo, str], ...]


@dataclass(frozen=True)
class Comparison:
    """What a year's changes compare: the periods each side holds.

    ``parts`` and ``other_parts`` are the periods each year is compiled from (empty: the
    year's own round). ``missing`` are the periods the earlier year would need to hold the
    same periods as this one: when there are any, no change is computed.
    """

    period: str
    parts: tuple[str, ...]
    other: str
    other_parts: tuple[str, ...]
    missing: tuple[str, ...] = ()

    @property
    def comparable(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class Summary:
    cluster_id: str
    cluster_name: str
    cluster_name_en: str
    period: str
    deadline: date | None
    state: str | None
    generated_at: datetime | None
    departments: tuple[DepartmentInfo, ...]
    indicators: tuple[IndicatorSummary, ...]
    """The indicators with a table (every type but text), in the cluster's order."""
    narratives: tuple[Narrative, ...]
    submitted: tuple[DepartmentStatus, ...]
    late: tuple[DepartmentStatus, ...]
    partial: tuple[DepartmentStatus, ...]
    """For a compiled year: departments that reported in some of its periods only."""
    missing: tuple[DepartmentInfo, ...]
    previous_period: str | None = None
    year_ago_period: str | None = None
    compiled_from: tuple[str, ...] = ()
    missing_periods: tuple[str, ...] = ()
    parts_expected: int = 1
    text_indicators: tuple[IndicatorInfo, ...] = ()
    """The narrative (text) indicators, answered or not."""
    comparison: Comparison | None = None
    """For a year: which periods it and the year before hold (and whether they match)."""
    mergers: tuple[Merger, ...] = ()
    """The mergers that took effect after a period shown ended: its figures of the successor
    add up the predecessors' (bot/domain/mergers.py)."""
    not_compared: tuple[str, ...] = ()
    """Earlier periods no change is computed against because of ``unlike_mergers``."""
    unlike_mergers: tuple[Merger, ...] = ()

    @property
    def expected(self) -> int:
        return len(self.departments)

    @property
    def coverage(self) -> str:
        return f"{len(self.submitted)}/{self.expected}"

    @property
    def compiled(self) -> bool:
        return bool(self.compiled_from)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.partial


# --------------------------------------------------------------------------- building


def _figure(indicator: IndicatorInfo, data: PeriodData, expected_ids: Sequence[int]) -> Figure:
    """The figure over every report of ``data``; expected are ``expected_ids`` and anyone else
    who reported then (a department merged since still counted in its own period)."""
    values = {dept_id: report.values.get(indicator.id) for dept_id, report in data.reports.items()}
    expected = len(set(expected_ids) | set(data.reports))
    return aggregate(indicator.aggregate, indicator.type, values, expected)


def _distribution(
    indicator: IndicatorInfo, values: Sequence[str | None]
) -> tuple[tuple[str, int], ...]:
    if indicator.type == "boolean":
        order: list[str] = ["true", "false"]
    elif indicator.type == "choice":
        order = list(indicator.choices)
    else:
        return ()
    counts = dict.fromkeys(order, 0)
    for value in values:
        if value is not None:
            counts[value] = counts.get(value, 0) + 1  # an answer no longer among the choices
    return tuple(counts.items())


def _is_year(code: str) -> bool:
    try:
        return parse_period(code).kind == "year"
    except PeriodError:
        return False


def year_comparison(
    current: PeriodData, previous: PeriodData, basis: YearBasis | None = None
) -> Comparison:
    """How a year compares with the year before: like with like, or not and why.

    ``basis`` (from :func:`~bot.domain.aggregation.previous_year_basis`, over the rounds that
    exist) says which periods the earlier year must hold; without it, it is worked out from
    what ``previous`` holds. A period of the basis nobody reported in is missing too.
    """
    if previous.compiled:
        held = set(previous.compiled_from)
    else:
        held = {previous.period} if previous.reports else set()
    year = parse_period(current.period).year
    if basis is None:
        basis = previous_year_basis(year, current.compiled_from, held)
    if basis is None:  # the earlier year holds nothing
        missing: tuple[str, ...] = (previous.period,)
    else:
        missing = basis.missing + tuple(c for c in basis.periods if c not in held)
        missing = tuple(c for c in basis.expected if c in missing)
    return Comparison(
        period=current.period,
        parts=current.compiled_from,
        other=previous.period,
        other_parts=previous.compiled_from,
        missing=missing,
    )


def build_summary(
    *,
    cluster_id: str,
    cluster_name: str,
    cluster_name_en: str,
    departments: Sequence[DepartmentInfo],
    indicators: Sequence[IndicatorInfo],
    current: PeriodData,
    previous: PeriodData | None = None,
    year_ago: PeriodData | None = None,
    generated_at: datetime | None = None,
    previous_basis: YearBasis | None = None,
    mergers: Sequence[Merger] = (),
    targets: Mapping[int, Mapping[str, Decimal | None]] | None = None,
) -> Summary:
    """The summary of ``current`` for the expected ``departments`` (in display order).

    A report from a department that is not expected (merged since) is left out of the
    current figures. The earlier periods' figures cover whoever reported then, and each
    change says whether the coverage matches. A year is compared with the year before only
    when both hold the same periods (``previous_basis``: which periods the earlier year was
    built from); otherwise the summary's ``comparison`` says which are missing and no change
    is computed.

    Across ``mergers`` every period's predecessor reports are added up under their successor
    (:func:`~bot.domain.mergers.fold`), and no change is computed against an earlier period that
    a merger with parts from outside the cluster makes unlike (``not_compared``).

    For a year, ``targets`` (department id -> indicator slug -> the pact's target) puts each
    department's target beside its figure (:class:`Target`).
    """
    if mergers:
        current = fold(current, indicators, mergers)
        previous = fold(previous, indicators, mergers) if previous is not None else None
        year_ago = fold(year_ago, indicators, mergers) if year_ago is not None else None
    expected_ids = [d.id for d in departments]
    expected_set = set(expected_ids)
    reports = {k: r for k, r in current.reports.items() if k in expected_set}
    parts_expected = max(1, len(current.compiled_from))
    # A previous period identical to the year-ago one (a year compared to the year before)
    # is shown once, as the previous period.
    if previous is not None and year_ago is not None and previous.period == year_ago.period:
        year_ago = None
    comparison: Comparison | None = None
    if previous is not None and _is_year(current.period) and _is_year(previous.period):
        comparison = year_comparison(current, previous, previous_basis)
        if not comparison.comparable:
            previous = None  # unlike periods: no change at all, the comparison says why
    not_compared: list[str] = []
    unlike_mergers: list[Merger] = []
    for before in (previous, year_ago):
        found = unlike(mergers, _periods(current), _periods(before)) if before else ()
        if before is not None and before.reports and found:
            not_compared.append(before.period)
            unlike_mergers += [m for m in found if m not in unlike_mergers]
    if previous is not None and previous.period in not_compared:
        previous, comparison = None, None  # the summary's merger note says why
    if year_ago is not None and year_ago.period in not_compared:
        year_ago = None
    # What the figures shown hold: a merger matters when one of these periods predates it.
    shown = [*_periods(current), *_periods(previous), *_periods(year_ago)]

    lines: list[IndicatorSummary] = []
    narratives: dict[int, list[tuple[IndicatorInfo, str]]] = {}
    for indicator in indicators:
        if indicator.narrative:
            for dept in departments:
                report = reports.get(dept.id)
                text = report.values.get(indicator.id) if report else None
                if text:
                    narratives.setdefault(dept.id, []).append((indicator, text))
            continue
        figure = _figure(indicator, PeriodData(current.period, reports), expected_ids)
        earlier = {
            name: change(figure, _figure(indicator, data, expected_ids), data.period)
            for name, data in (("previous", previous), ("year_ago", year_ago))
            if data is not None and data.reports
        }
        rows = tuple(
            (
                dept,
                reports[dept.id].values.get(indicator.id) if dept.id in reports else None,
                dept.id in reports,
            )
            for dept in departments
        )
        lines.append(
            IndicatorSummary(
                indicator=indicator,
                figure=figure,
                rows=rows,
                previous=earlier.get("previous"),
                year_ago=earlier.get("year_ago"),
                distribution=_distribution(indicator, [value for _, value, _ in rows]),
                **_targets(indicator, rows, targets if _is_year(current.period) else None),
            )
        )

    statuses = [
        DepartmentStatus(
            department=dept,
            submitted_at=reports[dept.id].first_submitted_at or reports[dept.id].submitted_at,
            late=reports[dept.id].late,
            revision=reports[dept.id].revision,
            parts=reports[dept.id].parts,
        )
        for dept in departments
        if dept.id in reports
    ]
    return Summary(
        cluster_id=cluster_id,
        cluster_name=cluster_name,
        cluster_name_en=cluster_name_en,
        period=current.period,
        deadline=current.deadline,
        state=current.state,
        generated_at=generated_at,
        departments=tuple(departments),
        indicators=tuple(lines),
        narratives=tuple(
            Narrative(dept, tuple(narratives[dept.id]))
            for dept in departments
            if dept.id in narratives
        ),
        submitted=tuple(statuses),
        late=tuple(s for s in statuses if s.late),
        partial=tuple(s for s in statuses if current.compiled and s.parts < parts_expected),
        missing=tuple(dept for dept in departments if dept.id not in reports),
        previous_period=previous.period if previous is not None and previous.reports else None,
        year_ago_period=year_ago.period if year_ago is not None and year_ago.reports else None,
        compiled_from=current.compiled_from,
        missing_periods=current.missing_periods,
        parts_expected=parts_expected,
        text_indicators=tuple(i for i in indicators if i.narrative),
        comparison=comparison,
        mergers=relevant(mergers, shown),
        not_compared=tuple(not_compared),
        unlike_mergers=tuple(unlike_mergers),
    )


def _targets(
    indicator: IndicatorInfo,
    rows: Sequence[tuple[DepartmentInfo, str | None, bool]],
    targets: Mapping[int, Mapping[str, Decimal | None]] | None,
) -> dict[str, Any]:
    """The ``targets`` and ``cluster_target`` of an indicator's line (none: no fields)."""
    if not targets or not indicator.numeric:
        return {}
    found = []
    for dept, raw, _submitted in rows:
        target = targets.get(dept.id, {}).get(indicator.slug)
        if target is not None:
            found.append(Target(dept, target, numeric_value(indicator.type, raw)))
    if not found:
        return {}
    cluster: Decimal | None = None
    if len(found) == len(rows) and indicator.aggregate in ("sum", "average"):
        total = sum((t.target for t in found), Decimal(0))
        cluster = total if indicator.aggregate == "sum" else total / len(found)
    return {"targets": tuple(found), "cluster_target": cluster}


def _periods(data: PeriodData | None) -> tuple[str, ...]:
    """The periods ``data`` holds: those a year was compiled from, or its own."""
    if data is None:
        return ()
    return data.compiled_from or (data.period,)


def compile_year(
    year_code: str,
    indicators: Sequence[IndicatorInfo],
    parts: Sequence[PeriodData],
    expected_periods: Sequence[str] = (),
) -> PeriodData:
    """A year's data compiled from its periods' data (``parts``, in chronological order).

    Each department's yearly value folds its reported values by the indicator's rule (see
    :func:`~bot.domain.aggregation.compile_values`). A department is late for the year if it
    was late in any period; ``parts`` counts the periods it reported in.
    """
    used = tuple(p.period for p in parts if p.reports)
    department_ids: list[int] = []
    for part in parts:
        for dept_id in part.reports:
            if dept_id not in department_ids:
                department_ids.append(dept_id)
    reports: dict[int, Report] = {}
    for dept_id in department_ids:
        own = [part.reports[dept_id] for part in parts if dept_id in part.reports]
        values = {
            indicator.id: compile_values(
                indicator.aggregate,
                indicator.type,
                [report.values.get(indicator.id) for report in own],
            )
            for indicator in indicators
        }
        reports[dept_id] = Report(
            department_id=dept_id,
            values=values,
            revision=max(r.revision for r in own),
            submitted_at=max((r.submitted_at for r in own if r.submitted_at), default=None),
            first_submitted_at=None,
            late=any(r.late for r in own),
            parts=len(own),
        )
    return PeriodData(
        period=year_code,
        reports=reports,
        deadline=None,
        state=None,
        compiled_from=used,
        missing_periods=tuple(code for code in expected_periods if code not in used),
    )


# --------------------------------------------------------------------------- revision history


@dataclass(frozen=True)
class RevisionInfo:
    """One stored revision, as storage gives it."""

    department_id: int
    revision: int
    submitted_by: int
    submitted_by_name: str
    submitted_at: datetime
    late: bool
    values: Mapping[int, str | None]
    period: str = ""


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the history: a first submission (indicator None) or one changed value."""

    department: DepartmentInfo
    revision: int
    by: str
    by_id: int
    at: datetime
    late: bool
    indicator: IndicatorInfo | None = None
    old: str | None = None
    new: str | None = None
    period: str = ""


def revision_history(
    departments: Sequence[DepartmentInfo],
    indicators: Sequence[IndicatorInfo],
    revisions: Sequence[RevisionInfo],
) -> list[HistoryEntry]:
    """Who changed what, when: per period, per department (display order), oldest revision first.

    The first revision is one entry without an indicator; each later revision gives one entry
    per value that differs from the revision before it.
    """
    grouped: dict[tuple[str, int], list[RevisionInfo]] = {}
    for rev in revisions:
        grouped.setdefault((rev.period, rev.department_id), []).append(rev)
    periods = sorted({rev.period for rev in revisions})
    entries: list[HistoryEntry] = []
    for period in periods:
        for dept in departments:
            before: Mapping[int, str | None] | None = None
            for rev in sorted(grouped.get((period, dept.id), []), key=lambda r: r.revision):
                common: dict[str, Any] = {
                    "department": dept,
                    "revision": rev.revision,
                    "by": rev.submitted_by_name,
                    "by_id": rev.submitted_by,
                    "at": rev.submitted_at,
                    "late": rev.late,
                    "period": period,
                }
                if before is None:
                    entries.append(HistoryEntry(**common))
                else:
                    for indicator in indicators:
                        old, new = before.get(indicator.id), rev.values.get(indicator.id)
                        if old != new:
                            entries.append(
                                HistoryEntry(**common, indicator=indicator, old=old, new=new)
                            )
                before = rev.values
    return entries
