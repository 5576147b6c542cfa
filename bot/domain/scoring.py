"""The scoring rules of the emulation year: no Telegram, no SQL, only the scoring table.

A department's points on a criterion come from how the table says it is scored:

- ``auto``: from the department's year figure of the criterion's indicator against its pact
  target (:func:`auto_points`): the achieved share mapped to points by the declared rule,
  ``linear`` (max x share, the share capped at 1) or ``steps`` (the points of the highest step
  reached), never more than the maximum;
- ``timeliness``: from the year's reporting rounds (:func:`timeliness_points`): the maximum, less
  the declared deduction for each round reported late and each one not reported, never below 0;
- ``self``: from the department's self-score (:func:`check_self_score`: within 0..max, with a
  justification of bounded length).

The checker (the head, or the peer of :mod:`bot.domain.rotation`) may adjust any criterion, with
a reason (:func:`check_adjustment`); the last adjustment of a criterion is its final points
(:func:`final_points`). Bonus and deduction items are capped each at their own maximum and in
total at their table's (:func:`extras_total`). :func:`totals` adds it all up: the groups' points
(at most the scale), plus the bonus, less the deductions, never below 0; so a total is never more
than the scale plus the bonus cap.

A refusal is a :class:`ScoreRefused` carrying a code and its params (words are in `messages/`);
its codes: ``not_self_scored``, ``bad_points``, ``over_max``, ``justification_needed``,
``too_long``, ``reason_needed``, ``unknown_criterion``, ``unknown_item``, ``evidence_too_big``,
``evidence_type``, ``evidence_empty``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from bot.domain.points import ZERO, rounded, shown
from bot.domain.scoring_file import CriterionSpec, ExtrasSpec, ScoringTable

MAX_REASON = 1000  # an adjustment's reason and a department's answer fit one message
HUNDRED = Decimal(100)
MB = 1024 * 1024


class ScoreRefused(Exception):
    """What a department or a checker entered is refused; `code` and `params` for the words."""

    def __init__(self, code: str, **params: str) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class Timeliness(StrEnum):
    """How a department reported for one round of the year."""

    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"


# --- computed points ---------------------------------------------------------------------------


def achievement(actual: Decimal | None, target: Decimal | None) -> Decimal:
    """The share of the target reached (1 = 100%); 0 without a figure or a target. A negative
    figure (a correction) counts as nothing reached."""
    if actual is None or target is None or target <= 0:
        return ZERO
    return max(actual, ZERO) / target


def auto_points(
    criterion: CriterionSpec, actual: Decimal | None, target: Decimal | None
) -> Decimal:
    """Points of an ``auto`` criterion for a department's year figure `actual` of the criterion's
    indicator and its pact target; within 0..max, rounded to two decimals."""
    if criterion.method != "auto":
        raise ValueError(f"{criterion.id} is not scored automatically")
    share = achievement(actual, target)
    if criterion.rule == "steps":
        # The steps are sorted highest first when the file is read.
        reached = (s.points for s in criterion.steps if share * HUNDRED >= s.at)
        points = next(reached, ZERO)
    else:
        points = criterion.max * min(share, Decimal(1))
    return min(rounded(points), criterion.max)


def timeliness_points(
    criterion: CriterionSpec, reports: Iterable[tuple[str, Timeliness]]
) -> Decimal:
    """Points of a ``timeliness`` criterion for the year's rounds, given as (round, how the
    department reported). A round listed twice counts once, at its worst."""
    if criterion.method != "timeliness":
        raise ValueError(f"{criterion.id} is not scored on timeliness")
    worst: dict[str, Timeliness] = {}
    order = list(Timeliness)
    for round_code, status in reports:
        status = Timeliness(status)
        earlier = worst.get(round_code)
        if earlier is None or order.index(status) > order.index(earlier):
            worst[round_code] = status
    late = sum(1 for s in worst.values() if s is Timeliness.LATE)
    missing = sum(1 for s in worst.values() if s is Timeliness.MISSING)
    lost = (criterion.per_late or ZERO) * late + (criterion.per_missing or ZERO) * missing
    return max(ZERO, rounded(criterion.max - lost))


# --- what people enter -------------------------------------------------------------------------


@dataclass(frozen=True)
class SelfScore:
    criterion: str
    points: Decimal
    justification: str


@dataclass(frozen=True)
class Adjustment:
    """The checker's points for a criterion, with the reason the department reads."""

    criterion: str
    points: Decimal
    reason: str


def _points_within(points: Decimal, top: Decimal) -> Decimal:
    if not points.is_finite() or points < 0 or points != rounded(points):
        raise ScoreRefused("bad_points", value=str(points), max=shown(top))
    if points > top:
        raise ScoreRefused("over_max", value=shown(points), max=shown(top))
    return rounded(points)


def _text_within(text: str, limit: int, needed: str) -> str:
    text = text.strip()
    if not text:
        raise ScoreRefused(needed)
    if len(text) > limit:
        raise ScoreRefused("too_long", max=str(limit), length=str(len(text)))
    return text


def check_self_score(
    table: ScoringTable, criterion_id: str, points: Decimal, justification: str
) -> SelfScore:
    """A department's score of one of its ``self`` criteria, as kept: points within 0..max (two
    decimals at most), a justification (trimmed, 1..`justification_max` characters).
    Raises ScoreRefused otherwise."""
    criterion = _criterion(table, criterion_id)
    if criterion.method != "self":
        raise ScoreRefused("not_self_scored", criterion=criterion_id)
    kept = _points_within(points, criterion.max)
    return SelfScore(criterion_id, kept, check_justification(table, justification))


def check_adjustment(
    table: ScoringTable, criterion_id: str, points: Decimal, reason: str
) -> Adjustment:
    """The checker's points for any criterion (an automatic one too: a figure may be wrong),
    within 0..max, with a reason. Raises ScoreRefused otherwise."""
    criterion = _criterion(table, criterion_id)
    return Adjustment(
        criterion_id,
        _points_within(points, criterion.max),
        _text_within(reason, MAX_REASON, "reason_needed"),
    )


def check_justification(table: ScoringTable, text: str) -> str:
    """A self-score's or a bonus/deduction claim's justification: 1..`justification_max`
    characters once trimmed."""
    return _text_within(text, table.justification_max, "justification_needed")


def check_answer(note: str) -> str:
    """The department's one answer to the adjustments: a note of 1..MAX_REASON characters."""
    return _text_within(note, MAX_REASON, "reason_needed")


def check_extra(extras: ExtrasSpec | None, item_id: str, points: Decimal) -> Decimal:
    """Points claimed (or set by the checker) on a bonus or deduction item: within its max."""
    item = next((i for i in extras.items if i.id == item_id), None) if extras else None
    if item is None:
        raise ScoreRefused("unknown_item", item=item_id)
    return _points_within(points, item.max)


def check_evidence(table: ScoringTable, file_name: str, size: int) -> str:
    """The evidence file's kind (its extension, lowercase) when the table accepts it: not
    empty, at most `evidence_max_mb`, of one of the `evidence_types`."""
    if size <= 0:
        raise ScoreRefused("evidence_empty")
    if size > table.evidence_max_mb * MB:
        raise ScoreRefused("evidence_too_big", max_mb=str(table.evidence_max_mb))
    stem, dot, extension = file_name.rpartition(".")
    kind = extension.lower() if dot and stem else ""
    if kind not in table.evidence_types:
        raise ScoreRefused("evidence_type", allowed=", ".join(table.evidence_types))
    return kind


def _criterion(table: ScoringTable, criterion_id: str) -> CriterionSpec:
    try:
        return table.criterion(criterion_id)
    except KeyError:
        raise ScoreRefused("unknown_criterion", criterion=criterion_id) from None


# --- adding up ---------------------------------------------------------------------------------


def final_points(
    table: ScoringTable,
    computed: Mapping[str, Decimal],
    self_scores: Iterable[SelfScore],
    adjustments: Sequence[Adjustment] = (),
) -> dict[str, Decimal]:
    """criterion -> final points: the computed points of ``auto`` and ``timeliness`` criteria,
    the self-score of ``self`` ones (0 when not scored), then the checker's adjustments in the
    order made (the last one of a criterion counts). Unknown criteria are ignored; every value
    is within the criterion's 0..max."""
    own = {s.criterion: s.points for s in self_scores}
    found: dict[str, Decimal] = {}
    for criterion in table.criteria():
        source = own if criterion.method == "self" else computed
        found[criterion.id] = source.get(criterion.id, ZERO)
    for adjustment in adjustments:
        if adjustment.criterion in found:
            found[adjustment.criterion] = adjustment.points
    return {c.id: min(max(found[c.id], ZERO), c.max) for c in table.criteria()}


def extras_total(extras: ExtrasSpec | None, points: Mapping[str, Decimal]) -> Decimal:
    """The bonus (or deductions) counted: each item within 0..its max, the sum within the cap.
    Unknown items count nothing."""
    if extras is None:
        return ZERO
    total = sum(
        (min(max(points.get(item.id, ZERO), ZERO), item.max) for item in extras.items), ZERO
    )
    return min(total, extras.max)


@dataclass(frozen=True)
class Totals:
    """A department's scores, added up as the table says."""

    department: str
    groups: tuple[tuple[str, Decimal], ...]  # (group id, points), in the order of the table
    bonus: Decimal
    deductions: Decimal
    criteria: tuple[tuple[str, Decimal], ...] = field(default=())  # (criterion id, final points)

    @property
    def base(self) -> Decimal:
        """The groups' points: at most the scale."""
        return sum((points for _, points in self.groups), ZERO)

    @property
    def total(self) -> Decimal:
        """Base plus bonus less deductions, never below 0."""
        return max(ZERO, self.base + self.bonus - self.deductions)

    def group(self, group_id: str) -> Decimal:
        return dict(self.groups).get(group_id, ZERO)


def totals(
    table: ScoringTable,
    department: str,
    criteria: Mapping[str, Decimal],
    bonus: Mapping[str, Decimal] | None = None,
    deductions: Mapping[str, Decimal] | None = None,
) -> Totals:
    """A department's totals from its final points per criterion (:func:`final_points`) and its
    bonus and deduction items; every amount is brought within its bounds first."""
    kept = {c.id: min(max(criteria.get(c.id, ZERO), ZERO), c.max) for c in table.criteria()}
    groups = tuple(
        (g.id, min(sum((kept[c.id] for c in g.criteria), ZERO), g.max)) for g in table.groups
    )
    return Totals(
        department=department,
        groups=groups,
        bonus=extras_total(table.bonus, bonus or {}),
        deductions=extras_total(table.deductions, deductions or {}),
        criteria=tuple(kept.items()),
    )
