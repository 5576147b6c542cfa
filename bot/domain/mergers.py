"""Mergers of member departments, and how a summary crosses them.

In 2025 the provinces merged (63 became 34): a department of the cluster may be merged into
another one (its *successor*), and a successor may also absorb departments that were outside the
cluster. The cluster file says so: the predecessor names its successor (``merged_into``), the
successor the day the merger took effect and what it absorbed from outside.

A predecessor's reports stay its own in storage; here they are shown under the successor.
:func:`fold` adds up, period by period, the reports of a successor's predecessors into the
successor's (each indicator by its aggregate rule), so that an earlier period holds the same
departments as a later one: like is compared with like, never a merged province with one of its
predecessors alone. Where a successor absorbed departments from outside the cluster, the
cluster holds no earlier figures for them: a comparison across that merger would set the whole
province against a part of it, so :func:`unlike` names the mergers that forbid it and no change
is computed. Nothing here touches storage or Telegram.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from bot.domain.aggregation import compile_values
from bot.domain.periods import PeriodError, parse_period
from bot.domain.summary_inputs import DepartmentInfo, IndicatorInfo, PeriodData, Report

__all__ = ["Merger", "fold", "relevant", "unlike"]


@dataclass(frozen=True)
class Merger:
    """One successor and what merged into it on ``on``: ``predecessors`` were members of the
    cluster (their reports are added up under it), ``outside`` (names) were not."""

    successor: DepartmentInfo
    on: date
    predecessors: tuple[DepartmentInfo, ...] = ()
    outside: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """The cluster holds the earlier figures of every part of the successor."""
        return not self.outside

    def before(self, code: str) -> bool:
        """The period ended before the merger took effect."""
        try:
            return parse_period(code).end < self.on
        except PeriodError:
            return False


def _combined(indicator: IndicatorInfo, values: Sequence[str | None]) -> str | None:
    """One value for the merged department from its parts' values (predecessors first, the
    successor last). Numbers by the indicator's rule (a sum adds up, an average is averaged); a
    yes/no is yes only when every part answered yes (a merged province's database is complete
    when each part's is); a choice is the successor's own answer, else the last predecessor's."""
    if indicator.type == "boolean":
        answered = [v for v in values if v is not None]
        if not answered:
            return None
        return "true" if all(v == "true" for v in answered) else "false"
    if indicator.type == "text":
        texts = [v for v in values if v]
        return "\n\n".join(texts) if texts else None
    return compile_values(indicator.aggregate, indicator.type, values)


def fold(
    data: PeriodData, indicators: Sequence[IndicatorInfo], mergers: Iterable[Merger]
) -> PeriodData:
    """``data`` with each predecessor's report added into its successor's (a successor that did
    not report itself reports what its predecessors did). Idempotent; other reports unchanged."""
    into = {p.id: m for m in mergers for p in m.predecessors}
    if not any(dept_id in into for dept_id in data.reports):
        return data
    names = {p.id: p.name for m in into.values() for p in m.predecessors}
    names.update({m.successor.id: m.successor.name for m in into.values()})
    groups: dict[int, list[Report]] = {}
    for dept_id, report in data.reports.items():
        merger = into.get(dept_id)
        groups.setdefault(merger.successor.id if merger else dept_id, []).append(report)
    reports: dict[int, Report] = {}
    for dept_id, parts in groups.items():
        if len(parts) == 1 and parts[0].department_id == dept_id:
            reports[dept_id] = parts[0]
            continue
        parts.sort(key=lambda r: r.department_id == dept_id)  # the successor's own last
        reports[dept_id] = _folded(dept_id, parts, indicators, names)
    return replace(data, reports=reports)


def _folded(
    dept_id: int,
    parts: Sequence[Report],
    indicators: Sequence[IndicatorInfo],
    names: Mapping[int, str],
) -> Report:
    values: dict[int, str | None] = {}
    for indicator in indicators:
        own = [r.values.get(indicator.id) for r in parts]
        if indicator.type == "text" and len(parts) > 1:
            # Each part's account, under its name: the narratives were written per department.
            own = [
                f"{names.get(r.department_id, '')}: {v}" if v else v
                for r, v in zip(parts, own, strict=True)
            ]
        values[indicator.id] = _combined(indicator, own)
    firsts = [r.first_submitted_at for r in parts if r.first_submitted_at is not None]
    latest = [r.submitted_at for r in parts if r.submitted_at is not None]
    return replace(
        parts[-1],
        department_id=dept_id,
        values=values,
        revision=max(r.revision for r in parts),
        submitted_at=max(latest, default=None),
        first_submitted_at=min(firsts, default=None),
        late=any(r.late for r in parts),
        submitted_by=parts[-1].submitted_by,
        parts=max(r.parts for r in parts),
    )


def relevant(mergers: Iterable[Merger], periods: Iterable[str]) -> tuple[Merger, ...]:
    """The mergers a summary of these periods must mention: those that took effect after one
    of the periods ended (its figures are added up, or lack what was outside the cluster)."""
    codes = list(periods)
    return tuple(m for m in mergers if any(m.before(code) for code in codes))


def unlike(
    mergers: Iterable[Merger], one: Sequence[str], other: Sequence[str]
) -> tuple[Merger, ...]:
    """The mergers that make the periods ``one`` and ``other`` unlike: a successor that absorbed
    departments from outside the cluster, with one side (wholly or partly) before its merger and
    the other not wholly before it, or both partly."""

    def side(codes: Sequence[str], merger: Merger) -> str:
        before = {merger.before(code) for code in codes}
        return "before" if before == {True} else "after" if before == {False} else "mixed"

    found = []
    for merger in mergers:
        if merger.complete or not one or not other:
            continue
        a, b = side(one, merger), side(other, merger)
        if a != b or a == "mixed":
            found.append(merger)
    return tuple(found)
