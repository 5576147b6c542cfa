"""The cluster's figure for one indicator, and how it changed.

Every function here is pure: values come in as the canonical strings storage keeps
(``"1203"``, ``"12.5"``, ``"true"``, text as typed; ``None`` = skipped) keyed by department,
and the results are :class:`~decimal.Decimal`. Missing departments never count as zero: a
figure covers the departments that reported, and says so (``"6/7"``).

A yearly view can be compiled from the quarters (or months, or halves) of the year when the
cluster ran no yearly round; :func:`year_sources` picks the periods and :func:`compile_values`
folds one department's values over them.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Literal, TypeVar

from bot.domain.figures import canonical_decimal, to_decimal
from bot.domain.periods import Period, PeriodKind, parse_period

__all__ = [
    "AGGREGATES",
    "NUMERIC_TYPES",
    "Change",
    "Figure",
    "YearBasis",
    "YearSources",
    "aggregate",
    "change",
    "compile_values",
    "numeric_value",
    "previous_year_basis",
    "year_sources",
]

Rule = Literal["sum", "average", "min", "max", "count", "none"]
AGGREGATES: tuple[str, ...] = ("sum", "average", "min", "max", "count", "none")
NUMERIC_TYPES: frozenset[str] = frozenset({"integer", "decimal", "percent"})
_NUMERIC_RULES = frozenset({"sum", "average", "min", "max"})

K = TypeVar("K", bound=Hashable)


def numeric_value(indicator_type: str, canonical: str | None) -> Decimal | None:
    """The number a stored value stands for, or None (skipped, or not a number).

    A boolean counts as 1/0 so that ``count`` can tally the "yes" answers.
    """
    if canonical is None:
        return None
    if indicator_type in NUMERIC_TYPES:
        try:
            return to_decimal(canonical)
        except ValueError:
            return None  # a value stored before the indicator changed type: not a number now
    if indicator_type == "boolean":
        if canonical == "true":
            return Decimal(1)
        if canonical == "false":
            return Decimal(0)
    return None


@dataclass(frozen=True)
class Figure:
    """One indicator's cluster figure.

    ``value`` is None for the rule ``none`` and when no department reported a usable value.
    ``reported`` counts the departments whose value entered the figure, ``expected`` the
    departments that should have reported. ``holders`` are the departments at the minimum or
    maximum (empty for the other rules).
    """

    rule: str
    value: Decimal | None
    reported: int
    expected: int
    holders: tuple[Hashable, ...] = ()

    @property
    def coverage(self) -> str:
        """ "6/7": how many of the expected departments the figure covers."""
        return f"{self.reported}/{self.expected}"

    @property
    def complete(self) -> bool:
        return self.reported >= self.expected

    @property
    def has_value(self) -> bool:
        return self.value is not None


def aggregate(
    rule: str, indicator_type: str, values: Mapping[K, str | None], expected: int | None = None
) -> Figure:
    """The cluster figure for one indicator by its ``aggregate`` rule.

    ``values`` maps each department that submitted to its canonical value (None = skipped);
    departments that did not submit are simply absent. ``expected`` defaults to ``len(values)``.

    - sum, average, min, max: over the departments with a numeric value (average = their mean).
    - count: for a boolean, the departments that answered yes; otherwise the departments that
      gave any answer.
    - none: no figure; ``reported`` still counts the answers.
    """
    if rule not in AGGREGATES:
        raise ValueError(f"unknown aggregate rule: {rule!r}")
    expected = len(values) if expected is None else expected
    if rule in _NUMERIC_RULES:
        numbers = {
            key: number
            for key, raw in values.items()
            if (number := numeric_value(indicator_type, raw)) is not None
            and indicator_type != "boolean"
        }
        if not numbers:
            return Figure(rule, None, 0, expected)
        if rule == "sum":
            return Figure(rule, _sum(numbers.values()), len(numbers), expected)
        if rule == "average":
            return Figure(rule, _mean(list(numbers.values())), len(numbers), expected)
        best = min(numbers.values()) if rule == "min" else max(numbers.values())
        holders = tuple(key for key, number in numbers.items() if number == best)
        return Figure(rule, best, len(numbers), expected, holders)

    answered = {key: raw for key, raw in values.items() if raw is not None and raw != ""}
    if rule == "count":
        if indicator_type == "boolean":
            yes = sum(1 for raw in answered.values() if raw == "true")
            return Figure(rule, Decimal(yes), len(answered), expected)
        return Figure(rule, Decimal(len(answered)), len(answered), expected)
    return Figure(rule, None, len(answered), expected)


def _sum(numbers: Iterable[Decimal]) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60  # 34 departments x 15 significant digits never round
        return sum(numbers, Decimal(0))


def _mean(numbers: Sequence[Decimal]) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        total = sum(numbers, Decimal(0))
    return total / Decimal(len(numbers))  # default context: 28 significant digits


@dataclass(frozen=True)
class Change:
    """How a figure moved against an earlier one.

    ``percent`` is None when the earlier figure was zero. ``comparable`` is False when the two
    figures cover a different number of departments (a sum over 6 against one over 7).
    """

    period: str
    previous: Decimal
    absolute: Decimal
    percent: Decimal | None
    previous_coverage: str
    comparable: bool


def change(current: Figure, previous: Figure | None, period: str) -> Change | None:
    """The change of ``current`` against ``previous`` (None when either has no value)."""
    if previous is None or current.value is None or previous.value is None:
        return None
    with localcontext() as ctx:
        ctx.prec = 60
        absolute = current.value - previous.value
    percent = None if previous.value == 0 else absolute * 100 / abs(previous.value)
    return Change(
        period=period,
        previous=previous.value,
        absolute=absolute,
        percent=percent,
        previous_coverage=previous.coverage,
        comparable=current.reported == previous.reported,
    )


# --------------------------------------------------------------------------- the year view


@dataclass(frozen=True)
class YearSources:
    """The periods a year is compiled from: all of one kind, those with a round, those without."""

    year: int
    kind: PeriodKind
    expected: tuple[str, ...]
    used: tuple[str, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(code for code in self.expected if code not in self.used)

    @property
    def complete(self) -> bool:
        return not self.missing


_PREFERENCE: tuple[PeriodKind, ...] = ("quarter", "month", "half")


def year_sources(year: int, available: Iterable[str]) -> YearSources | None:
    """Which rounds a year's view is compiled from, when the year had no yearly round.

    Quarters are preferred, then months, then halves: the kind with rounds in that year that
    comes first in this order. None when the year has no round of any of these kinds.
    """
    periods: dict[PeriodKind, list[Period]] = {kind: [] for kind in _PREFERENCE}
    for code in available:
        try:
            period = parse_period(code)
        except ValueError:
            continue
        if period.year == year and period.kind in periods:
            periods[period.kind].append(period)
    for kind in _PREFERENCE:
        if periods[kind]:
            count = {"quarter": 4, "month": 12, "half": 2}[kind]
            expected = tuple(Period(kind, year, i).code for i in range(1, count + 1))
            used = tuple(p.code for p in sorted(set(periods[kind]), key=lambda p: p.sort_key))
            return YearSources(year, kind, expected, used)
    return None


@dataclass(frozen=True)
class YearBasis:
    """What a year is compared with: the year before, made of the same periods.

    ``periods`` are the previous year's periods to load: its yearly round (``("2022",)``) or
    the counterparts of the periods the current year is compiled from. ``missing`` are the
    counterparts that have no round: then the two years hold unlike periods and no change is
    computed. ``expected`` lists both, in calendar order.
    """

    year: int
    periods: tuple[str, ...]
    missing: tuple[str, ...] = ()

    @property
    def code(self) -> str:
        return Period.of_year(self.year).code

    @property
    def comparable(self) -> bool:
        return bool(self.periods) and not self.missing

    @property
    def expected(self) -> tuple[str, ...]:
        return tuple(sorted(self.periods + self.missing, key=lambda c: parse_period(c).sort_key))


_PARTS = {"quarter": 4, "month": 12, "half": 2}


def previous_year_basis(
    year: int, current_parts: Sequence[str], available: Iterable[str]
) -> YearBasis | None:
    """What ``year`` is compared with: the previous year held by the same periods.

    ``current_parts`` are the periods the current year is compiled from (empty: its own yearly
    round, the whole year). ``available`` are the period codes that have a round. Like is
    compared with like:

    - the whole year (a yearly round, or every quarter/month/half) against the previous year's
      yearly round, else against that year compiled from all its periods of one kind;
    - a year compiled from some periods (Q3 and Q4) against the same periods a year earlier
      (Q3 and Q4 of the year before).

    When the previous year lacks some of those periods, the basis lists them as ``missing`` (no
    change is shown, and the summary says why). None when the previous year has no round at all.
    """
    have = set(available)
    previous = year - 1
    previous_code = Period.of_year(previous).code
    sources = year_sources(previous, have)
    if previous_code not in have and sources is None:
        return None
    parts = [parse_period(code) for code in current_parts]
    whole = not parts or (
        len({p.kind for p in parts}) == 1
        and len(set(parts)) == _PARTS.get(parts[0].kind, 0)
        and all(p.year == year for p in parts)
    )
    if not parts:
        if previous_code in have:
            return YearBasis(previous, (previous_code,))
        assert sources is not None
        return YearBasis(previous, sources.used, sources.missing)
    ordered = sorted(set(parts), key=lambda p: p.sort_key)
    counterparts = tuple(p.same_period_last_year().code for p in ordered)
    present = tuple(c for c in counterparts if c in have)
    if len(present) == len(counterparts):
        return YearBasis(previous, counterparts)
    if whole and previous_code in have:
        return YearBasis(previous, (previous_code,))
    return YearBasis(previous, present, tuple(c for c in counterparts if c not in have))


def compile_values(rule: str, indicator_type: str, values: Sequence[str | None]) -> str | None:
    """One department's yearly value from its values in the year's periods (oldest first).

    Sums add up, averages are averaged over the reported values, min and max are taken over
    them. For ``count`` and ``none`` (states such as "database complete", choices and text)
    the latest reported value stands for the year. Skipped values are left out; None when
    nothing was reported.
    """
    if rule not in AGGREGATES:
        raise ValueError(f"unknown aggregate rule: {rule!r}")
    reported = [v for v in values if v is not None and v != ""]
    if not reported:
        return None
    if rule in _NUMERIC_RULES and indicator_type in NUMERIC_TYPES:
        numbers = [n for v in reported if (n := numeric_value(indicator_type, v)) is not None]
        if not numbers:
            return None
        if rule == "sum":
            result = _sum(numbers)
        elif rule == "average":
            result = _mean(numbers)
        elif rule == "min":
            result = min(numbers)
        else:
            result = max(numbers)
        return canonical_decimal(result)
    return reported[-1]
