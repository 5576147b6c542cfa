"""The `[scoring]` table of the cluster file: the scoring table (bảng chấm điểm).

::

    [scoring]
    scale = 100                        # the groups' maxima add up to it (100 or 1000 points...)
    checking = "head"                  # "head": the head checks; "peer": chấm chéo in rotation
    tie_break = ["group:chi-dao-dieu-hanh", "fewer_deductions"]   # in order, after the total

    [[scoring.groups]]
    id = "chi-dao-dieu-hanh"
    name = "Công tác chỉ đạo, điều hành"
    name_en = "Direction and management"
    max = 20                           # its criteria's maxima add up to it

    [[scoring.groups.criteria]]
    id = "ke-hoach"
    name = "Ban hành kế hoạch ..."
    name_en = "..."
    max = 10
    method = "self"                    # scored by the department, with evidence

    [[scoring.groups.criteria]]
    method = "auto"                    # from an indicator's year figure against its pact target
    indicator = "tinh-gian-bien-che"
    rule = "linear"                    # max x achieved share (capped at 1), or:
    # rule = "steps", steps = [{ at = 100, points = 10 }, { at = 80, points = 6 }]
    #   (the points of the highest step reached; `at` is the achieved share of the target in %)

    [[scoring.groups.criteria]]
    method = "timeliness"              # max, less a deduction per late and per missing report
    per_late = 0.5
    per_missing = 1

    [scoring.bonus]                    # điểm thưởng; likewise [scoring.deductions] (điểm trừ)
    max = 5                            # the total is capped at this
    [[scoring.bonus.items]]
    id = "co-thi-dua-chinh-phu"
    name = "..."
    name_en = "..."
    max = 3                            # one item gives at most this

Tie-break keys: ``group:<id>`` (more points in that group), ``fewer_deductions``,
``more_bonus``. Ids of groups, criteria and items are unique in the whole table (a score is
kept by criterion id). Which indicators exist, and that each automatic criterion's indicator has
a target in `[pact]`, is checked against the whole file (:func:`scoring_references`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    Field,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from bot.domain.file_entries import (
    TABLES,
    UNIQUE_IDS,
    Ref,
    Slug,
    Text,
    by_id,
    rows_of,
    text_of,
)
from bot.domain.file_errors import FileTable, at, each, fail, otherwise, problem, table, validated
from bot.domain.points import Points, PositivePoints, Target, shown

Method = Literal["auto", "timeliness", "self"]
AutoRule = Literal["linear", "steps"]
Checking = Literal["head", "peer"]
METHODS: tuple[str, ...] = get_args(Method)
AUTO_RULES: tuple[str, ...] = get_args(AutoRule)
CHECKINGS: tuple[str, ...] = get_args(Checking)
TIE_BREAKS = ("group:<id>", "fewer_deductions", "more_bonus")
NUMERIC = ("integer", "decimal", "percent")
# Telegram lets a bot download files of up to 20 MB: a larger limit could not be kept.
MAX_EVIDENCE_MB = 20
DEFAULT_EVIDENCE_TYPES = ("pdf", "doc", "docx", "xls", "xlsx", "jpg", "jpeg", "png")
DEFAULT_JUSTIFICATION_MAX = 1000
MAX_STEPS = 20


class StepSpec(FileTable):
    """At least `at` % of the target achieved: `points`."""

    at: Target
    points: Points


def _not_for(method: object, value: object, default: object) -> None:
    """A key that only one method reads, written for another: say so rather than ignore it."""
    if value != default and method in METHODS:
        raise problem("not_for_method", method=str(method))


class CriterionSpec(FileTable):
    id: Slug
    name: Text
    name_en: Text
    max: PositivePoints
    method: Annotated[Method, otherwise("bad_choice", allowed=", ".join(METHODS))]
    indicator: Ref | None = Field(None, validate_default=True)
    rule: Annotated[AutoRule, otherwise("bad_choice", allowed=", ".join(AUTO_RULES))] | None = (
        Field(None, validate_default=True)
    )
    steps: Annotated[tuple[StepSpec, ...], each(Annotated[StepSpec, table("not_a_table")])] = Field(
        [], validate_default=True
    )
    per_late: Points | None = Field(None, validate_default=True)
    per_missing: Points | None = Field(None, validate_default=True)

    @field_validator("indicator")
    @classmethod
    def _indicator_for_auto(cls, indicator: str | None, info: ValidationInfo) -> str | None:
        method = info.data.get("method")
        if method == "auto" and indicator is None:
            raise problem("needs_indicator")
        if method != "auto":
            _not_for(method, indicator, None)
        return indicator

    @field_validator("rule")
    @classmethod
    def _rule_for_auto(cls, rule: str | None, info: ValidationInfo) -> str | None:
        method = info.data.get("method")
        if method == "auto":
            return rule or "linear"
        _not_for(method, rule, None)
        return rule

    @field_validator("steps")
    @classmethod
    def _steps_for_steps(
        cls, steps: tuple[StepSpec, ...], info: ValidationInfo
    ) -> tuple[StepSpec, ...]:
        rule, top = info.data.get("rule"), info.data.get("max")
        if rule != "steps":
            if "rule" in info.data and steps:  # the rule is valid: the steps are not for it
                raise problem("only_with_steps")
            return steps
        if not 1 <= len(steps) <= MAX_STEPS:
            raise problem("steps_needed", max=str(MAX_STEPS))
        found = []
        seen: set[Decimal] = set()
        for i, step in enumerate(steps):
            if step.at in seen:
                found.append(at((i, "at"), "duplicate", value=shown(step.at)))
            seen.add(step.at)
            if top is not None and step.points > top:
                found.append(
                    at((i, "points"), "over_max", value=shown(step.points), max=shown(top))
                )
        if found:
            fail(found)
        return tuple(sorted(steps, key=lambda step: step.at, reverse=True))

    @field_validator("per_late", "per_missing")
    @classmethod
    def _for_timeliness(cls, points: Decimal | None, info: ValidationInfo) -> Decimal | None:
        method = info.data.get("method")
        if method == "timeliness":
            return Decimal("0.00") if points is None else points
        _not_for(method, points, None)
        return points


def _criteria_ids(groups: list[dict[str, Any]]) -> list[InitErrorDetails]:
    """Criterion ids are unique across groups (a score is kept by criterion id)."""
    found = []
    earlier = {by_id(row) for row in groups}  # a criterion is not named like a group either
    for g, group in enumerate(groups):
        names = [by_id(row) for row in rows_of(group.get("criteria"))]
        # A repeat within the group is the group's own `duplicate` (UNIQUE_IDS).
        found += [
            at((g, "criteria", c, "id"), "duplicate", value=name)
            for c, name in enumerate(names)
            if name and name in earlier
        ]
        earlier.update(names)
    return found


class GroupSpec(FileTable):
    id: Slug
    name: Text
    name_en: Text
    max: PositivePoints
    criteria: Annotated[tuple[CriterionSpec, ...], each(CriterionSpec), UNIQUE_IDS, TABLES]

    @model_validator(mode="after")
    def _criteria_add_up(self) -> GroupSpec:
        total = sum((c.max for c in self.criteria), Decimal(0))
        if total != self.max:
            fail([at(("max",), "criteria_sum_not_max", sum=shown(total), max=shown(self.max))])
        return self


class ItemSpec(FileTable):
    """A bonus (điểm thưởng) or a deduction (điểm trừ): at most `max` points."""

    id: Slug
    name: Text
    name_en: Text
    max: PositivePoints


class ExtrasSpec(FileTable):
    """`[scoring.bonus]` or `[scoring.deductions]`: the items, and the cap on their total."""

    max: PositivePoints
    items: Annotated[tuple[ItemSpec, ...], each(ItemSpec), UNIQUE_IDS, TABLES]

    @model_validator(mode="after")
    def _items_within_the_cap(self) -> ExtrasSpec:
        found = [
            at(("items", i, "max"), "over_max", value=shown(item.max), max=shown(self.max))
            for i, item in enumerate(self.items)
            if item.max > self.max
        ]
        if found:
            fail(found)
        return self


def _tie_break(text: str) -> str:
    key = text.strip()
    if key in ("fewer_deductions", "more_bonus") or (
        key.startswith("group:") and key.removeprefix("group:")
    ):
        return key
    raise problem("bad_tie_break", value=text, allowed=", ".join(TIE_BREAKS))


def _extension(text: str) -> str:
    key = text.strip().lower().removeprefix(".")
    if not key.isascii() or not key.isalnum() or len(key) > 10:
        raise problem("bad_extension", value=text)
    return key


TieBreak = Annotated[
    StrictStr,
    AfterValidator(_tie_break),
    otherwise("bad_tie_break", allowed=", ".join(TIE_BREAKS)),
]
Extension = Annotated[StrictStr, AfterValidator(_extension), otherwise("bad_extension")]
EvidenceMb = Annotated[
    StrictInt,
    Field(ge=1, le=MAX_EVIDENCE_MB),
    otherwise("bad_count", min="1", max=str(MAX_EVIDENCE_MB)),
]
JustificationMax = Annotated[
    StrictInt, Field(ge=20, le=4000), otherwise("bad_count", min="20", max="4000")
]


class ScoringTable(FileTable):
    """The scoring table as the file states it. Ids of groups, criteria and items are unique."""

    scale: PositivePoints
    checking: Annotated[Checking, otherwise("bad_choice", allowed=", ".join(CHECKINGS))] = "head"
    groups: Annotated[tuple[GroupSpec, ...], each(GroupSpec), UNIQUE_IDS, TABLES]
    bonus: Annotated[ExtrasSpec, table("not_a_table")] | None = None
    deductions: Annotated[ExtrasSpec, table("not_a_table")] | None = None
    tie_break: Annotated[tuple[str, ...], each(TieBreak)] = ()
    justification_max: JustificationMax = DEFAULT_JUSTIFICATION_MAX
    evidence_max_mb: EvidenceMb = MAX_EVIDENCE_MB
    evidence_types: Annotated[tuple[str, ...], each(Extension)] = DEFAULT_EVIDENCE_TYPES

    @field_validator("groups", mode="wrap")
    @classmethod
    def _ids_across_groups(cls, raw: Any, handler: Callable[[Any], Any]) -> Any:
        return validated(handler, raw, _criteria_ids(rows_of(raw)))

    @model_validator(mode="wrap")
    @classmethod
    def _tie_break_groups(cls, data: Any, handler: Callable[[Any], Any]) -> Any:
        """Read on their own, so that the problem shows even when a group has another one."""
        if not isinstance(data, dict):
            return handler(data)
        groups = {by_id(row) for row in rows_of(data.get("groups"))}
        keys = data.get("tie_break")
        found = [
            at(("tie_break", i), "unknown_group", value=key.strip().removeprefix("group:"))
            for i, key in enumerate(keys if isinstance(keys, list) else [])
            if isinstance(key, str)
            and key.strip().startswith("group:")
            and key.strip().removeprefix("group:")
            and key.strip().removeprefix("group:") not in groups
        ]
        return validated(handler, data, found)

    @model_validator(mode="after")
    def _adds_up(self) -> ScoringTable:
        found = []
        total = sum((g.max for g in self.groups), Decimal(0))
        if total != self.scale:
            found.append(at(("scale",), "sum_not_scale", sum=shown(total), scale=shown(self.scale)))
        if found:
            fail(found)
        return self

    # --- what the rules read ------------------------------------------------------------

    def criteria(self) -> tuple[CriterionSpec, ...]:
        """Every criterion, group by group, in the order of the file."""
        return tuple(c for g in self.groups for c in g.criteria)

    def group_of(self, criterion: str) -> GroupSpec:
        for group in self.groups:
            if any(c.id == criterion for c in group.criteria):
                return group
        raise KeyError(criterion)

    def criterion(self, criterion: str) -> CriterionSpec:
        for c in self.criteria():
            if c.id == criterion:
                return c
        raise KeyError(criterion)

    @property
    def bonus_max(self) -> Decimal:
        return self.bonus.max if self.bonus else Decimal(0)

    @property
    def deductions_max(self) -> Decimal:
        return self.deductions.max if self.deductions else Decimal(0)


def scoring_references(
    data: dict[str, Any],
    indicator_types: dict[str, str],
    active: set[str],
) -> list[InitErrorDetails]:
    """The automatic criteria's indicators against the file as written: the indicator exists,
    is numeric, and the pact gives every active department a target for it. And chấm chéo needs
    two departments at least."""
    scoring = data.get("scoring")
    if not isinstance(scoring, dict):
        return []
    pact_targets = _targeted(data.get("pact"))
    found = []
    if text_of(scoring.get("checking")) == "peer" and len(active) < 2:
        found.append(at(("scoring", "checking"), "peer_needs_two"))
    for g, group in enumerate(rows_of(scoring.get("groups"))):
        for c, row in enumerate(rows_of(group.get("criteria"))):
            indicator = text_of(row.get("indicator"))
            if text_of(row.get("method")) != "auto" or not indicator:
                continue
            loc = ("scoring", "groups", g, "criteria", c, "indicator")
            if indicator not in indicator_types:
                found.append(at(loc, "unknown_indicator", value=indicator))
            elif indicator_types[indicator] not in (*NUMERIC, ""):
                found.append(
                    at(loc, "target_needs_number", value=indicator, type=indicator_types[indicator])
                )
            elif indicator_types[indicator] and pact_targets is not None:
                targeted = pact_targets.get(indicator, set())
                lacking = sorted(active - targeted) if None not in targeted else []
                if lacking:
                    found.append(
                        at(loc, "no_target", value=indicator, departments=", ".join(lacking))
                    )
    return found


def _targeted(pact: object) -> dict[str, set[str | None]] | None:
    """indicator -> the departments with a target of their own (None: the cluster-wide one);
    None when [pact] is there but not a table: it has its own problem, and a "no target" for
    every automatic criterion would only hide it."""
    if pact is not None and not isinstance(pact, dict):
        return None
    found: dict[str, set[str | None]] = {}
    for row in rows_of(pact.get("targets") if isinstance(pact, dict) else None):
        department = text_of(row.get("department")) or None
        found.setdefault(text_of(row.get("indicator")), set()).add(department)
    return found
