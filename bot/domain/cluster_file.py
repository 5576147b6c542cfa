"""The cluster file: a TOML file an administrator edits, validated in full before anything is written."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainValidator,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from bot.domain.elections import RulesTable
from bot.domain.file_errors import (
    FileError,
    FileTable,
    at,
    each,
    fail,
    file_errors,
    otherwise,
    problem,
    table,
    validated,
)
from bot.domain.pact_file import PactTable, pact_references
from bot.domain.schedule_file import DEFAULT_SCHEDULE, Day, ScheduleSpec, ScheduleTable
from bot.domain.scoring_file import ScoringTable, scoring_references

IndicatorType = Literal["integer", "decimal", "percent", "boolean", "choice", "text"]
Aggregate = Literal["sum", "average", "min", "max", "count", "none"]
INDICATOR_TYPES: tuple[str, ...] = get_args(IndicatorType)
AGGREGATES: tuple[str, ...] = get_args(Aggregate)
NUMERIC_TYPES = ("integer", "decimal", "percent")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class ClusterFileInvalid(Exception):
    def __init__(self, errors: list[FileError]) -> None:
        super().__init__(f"{len(errors)} error(s) in the cluster file")
        self.errors = errors


def load_cluster_file(path: Path) -> ClusterSpec:
    """Read and validate; raises ClusterFileInvalid listing every problem found."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ClusterFileInvalid(
            [FileError(str(path), "unreadable", {"reason": exc.strerror or ""})]
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ClusterFileInvalid([FileError(str(path), "not_utf8")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ClusterFileInvalid([FileError(str(path), "bad_toml", {"reason": str(exc)})]) from None
    return parse_cluster_data(data)


def parse_cluster_data(data: dict[str, Any]) -> ClusterSpec:
    try:
        file = _ClusterFile.model_validate(data)
    except ValidationError as exc:
        raise ClusterFileInvalid(file_errors(exc)) from None
    return ClusterSpec(
        id=file.cluster.id,
        name=file.cluster.name,
        name_en=file.cluster.name_en,
        departments=file.departments,
        indicators=file.indicators,
        offices=file.offices,
        schedule=file.schedule.spec() if file.schedule else DEFAULT_SCHEDULE,
        elections=dict(data["elections"]) if file.elections else None,
        pact=file.pact,
        scoring=file.scoring,
        emulation={key: data[key] for key in ("pact", "scoring") if key in data},
    )


# --- what a value must be; each failure is the one problem named ----------------------------


def _stripped(text: str) -> str:
    if not text.strip():
        raise ValueError(text)
    return text.strip()


def _slug(text: str) -> str:
    if not SLUG.match(text):
        raise problem("bad_slug", value=text)
    return text


def _number(raw: object) -> str:
    """An int, float or numeric string (not a bool), as canonical decimal text: "1.50" -> "1.5"."""
    return format(_DECIMAL.validate_python(raw).normalize(), "f")


_DECIMAL = TypeAdapter(Annotated[Decimal, Field(allow_inf_nan=False)])


Text = Annotated[StrictStr, AfterValidator(_stripped), otherwise("missing_text", value=False)]
Slug = Annotated[Text, AfterValidator(_slug)]
Unit = Annotated[StrictStr, AfterValidator(str.strip), otherwise("missing_text", value=False)]
Flag = Annotated[StrictBool, otherwise("bad_bool")]
Number = Annotated[str, PlainValidator(_number), otherwise("bad_number")]
Year = Annotated[StrictInt, Field(ge=2000, le=2100), otherwise("bad_year")]


def _rows(raw: object) -> object:
    if isinstance(raw, list) and raw and all(isinstance(row, dict) for row in raw):
        return raw
    raise problem("missing_array")


def _text(raw: object) -> str:
    """A value as the rules between entries see it: the text, or "" when it is not one."""
    return raw.strip() if isinstance(raw, str) else ""


def _unique_ids(rows: list[dict[str, Any]], handler: Callable[[Any], Any]) -> Any:
    """Read on their own, so that a repeated id shows even when its entry has another problem."""
    ids = [_text(row.get("id")) for row in rows]
    repeats = [
        at((i, "id"), "duplicate", value=slug)
        for i, slug in enumerate(ids)
        if slug in ids[:i] and slug
    ]
    return validated(handler, rows, repeats)


E = TypeVar("E", bound=FileTable)
Entries = Annotated[tuple[E, ...], WrapValidator(_unique_ids), BeforeValidator(_rows)]


# --- the tables -----------------------------------------------------------------------------


class _Entry(FileTable):
    closed = False  # an entry may carry keys for other tools


class _ClusterTable(_Entry):
    id: Slug
    name: Text
    name_en: Text


class DepartmentSpec(_Entry):
    """A member. A merger is written on both sides (see ``_mergers`` below): the predecessor
    names its successor (``merged_into``); the successor gives the day it took effect
    (``merged_on``) and the departments from outside the cluster it absorbed
    (``merged_from_outside``, names: their history is not the cluster's)."""

    slug: Slug = Field(validation_alias="id")
    name: Text
    name_en: Text
    merged_into: Text | None = None
    merged_on: Day | None = None
    merged_from_outside: Annotated[tuple[str, ...], each(Text)] = ()


class IndicatorSpec(_Entry):
    # The rules between fields read the fields above them that are valid (`info.data`).
    slug: Slug = Field(validation_alias="id")
    label: Text
    label_en: Text
    type: Annotated[IndicatorType, otherwise("bad_choice", allowed=", ".join(INDICATOR_TYPES))]
    unit: Unit = ""
    unit_en: Unit | None = None  # default: the unit
    required: Flag = True
    min_value: Number | None = Field(None, validation_alias="min")
    max_value: Number | None = Field(None, validation_alias="max")
    aggregate: Annotated[Aggregate, otherwise("bad_choice", allowed=", ".join(AGGREGATES))] = Field(
        None, validate_default=True
    )
    choices: tuple[str, ...] = Field((), validate_default=True)
    headline: Flag = False

    @field_validator("min_value", "max_value")
    @classmethod
    def _bound(cls, bound: str | None, info: ValidationInfo) -> str | None:
        if bound is None:
            return bound
        kind = info.data.get("type")
        # For the max: the min as read; None when left out, "" when it has a problem of its own.
        low = info.data.get("min_value", "") if info.field_name == "max_value" else None
        found = []
        if kind and kind not in NUMERIC_TYPES and low is None:  # once, for min and max
            found.append(at((), "range_needs_number", type=kind))
        if low and Decimal(low) > Decimal(bound):
            found.append(at((), "max_below_min", min=low, max=bound))
        if kind == "integer" and Decimal(bound) != Decimal(bound).to_integral_value():
            found.append(at((), "bound_not_integer", value=bound))
        if found:
            fail(found)
        return bound

    @field_validator("aggregate", mode="before")
    @classmethod
    def _default_aggregate(cls, aggregate: Any, info: ValidationInfo) -> Any:
        if aggregate is None:
            return "none" if info.data.get("type") in ("text", "choice") else "sum"
        return aggregate

    @field_validator("aggregate")
    @classmethod
    def _aggregate_of_numbers(cls, aggregate: str, info: ValidationInfo) -> str:
        kind = info.data.get("type")
        if aggregate in ("sum", "average", "min", "max") and kind and kind not in NUMERIC_TYPES:
            raise problem("aggregate_needs_number", value=aggregate, type=kind)
        return aggregate

    @field_validator("choices", mode="before")
    @classmethod
    def _choices(cls, raw: Any, info: ValidationInfo) -> tuple[str, ...]:
        kind = info.data.get("type")
        if kind != "choice":
            if kind is not None and raw != ():
                raise problem("choices_only_for_choice")
            return ()
        if not (
            isinstance(raw, list)
            and len(raw) >= 2
            and all(isinstance(choice, str) and choice.strip() for choice in raw)
        ):
            raise problem("choices_needed")
        choices = tuple(choice.strip() for choice in raw)
        if len(set(choices)) != len(choices):
            raise problem("duplicate", value=", ".join(choices))
        return choices

    @field_validator("headline")
    @classmethod
    def _headline_is_a_number(cls, headline: bool, info: ValidationInfo) -> bool:
        kind = info.data.get("type")
        if headline and kind is not None and kind not in NUMERIC_TYPES:
            raise problem("range_needs_number", type=kind)
        return headline

    @model_validator(mode="after")
    def _defaults(self) -> IndicatorSpec:
        """The English unit is the unit unless given; a percentage runs from 0 to 100."""
        percent = self.type == "percent"
        return self.model_copy(
            update={
                "unit_en": self.unit if self.unit_en is None else self.unit_en,
                "min_value": "0" if percent and self.min_value is None else self.min_value,
                "max_value": "100" if percent and self.max_value is None else self.max_value,
            }
        )


class OfficesSpec(_Entry):
    term: Year
    head: Text
    deputy: Text | None = None

    @field_validator("deputy")
    @classmethod
    def _not_the_head(cls, deputy: str | None, info: ValidationInfo) -> str | None:
        if deputy is not None and deputy == info.data.get("head"):
            raise problem("same_as_head", value=deputy)
        return deputy


class _ClusterFile(FileTable):
    cluster: Annotated[_ClusterTable, table("missing_table", and_its_fields=True)]
    departments: Entries[DepartmentSpec]
    indicators: Entries[IndicatorSpec]
    offices: Annotated[OfficesSpec, table("missing_table", and_its_fields=True)] | None = None
    schedule: ScheduleTable | None = None
    elections: Annotated[RulesTable, table("missing_table")] | None = None
    pact: Annotated[PactTable, table("not_a_table")] | None = None
    scoring: Annotated[ScoringTable, table("not_a_table")] | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _department_references(cls, data: Any, handler: Callable[[Any], Any]) -> Any:
        """Departments and offices name departments by id. Read on their own, so that these
        problems show even when an entry has another problem."""
        if not isinstance(data, dict):
            return handler(data)
        rows = data.get("departments")
        rows = rows if isinstance(rows, list) and all(isinstance(r, dict) for r in rows) else []
        named = [(_text(row.get("id")), _text(row.get("merged_into")) or None) for row in rows]
        active = {slug for slug, merged_into in named if merged_into is None}
        # A successor is a member now: no chain of mergers (a -> b -> c), no merging into itself.
        found = [
            at(("departments", i, "merged_into"), "unknown_department", value=merged_into)
            for i, (slug, merged_into) in enumerate(named)
            if merged_into is not None and merged_into not in active
        ]
        found += _mergers(rows, named)
        if rows and not active:
            found.append(at(("departments",), "no_active_department"))
        offices = data.get("offices")
        for key in ("head", "deputy"):
            slug = _text(offices.get(key)) if isinstance(offices, dict) else ""
            if slug and slug not in active:
                found.append(at(("offices", key), "unknown_department", value=slug))
        found += _emulation_references(data, active)
        return validated(handler, data, found)


def _emulation_references(data: dict[str, Any], active: set[str]) -> list[Any]:
    """[pact] and [scoring] name indicators and departments of the file."""
    rows = data.get("indicators")
    rows = rows if isinstance(rows, list) else []
    # An indicator whose type is itself wrong is "" here: its one problem is its type.
    types = {
        _text(r.get("id")): _text(r.get("type")) if r.get("type") in INDICATOR_TYPES else ""
        for r in rows
        if isinstance(r, dict)
    }
    return [
        *pact_references(data, types, active),
        *scoring_references(data, types, active),
    ]


def _mergers(
    rows: list[dict[str, Any]], named: list[tuple[str, str | None]]
) -> list[InitErrorDetails]:
    """A successor says when its merger took effect; only a successor says so."""
    successors = {merged_into for _, merged_into in named if merged_into}
    found = []
    for i, ((slug, merged_into), row) in enumerate(zip(named, rows, strict=True)):
        dated = row.get("merged_on") is not None
        outside = bool(row.get("merged_from_outside"))
        if merged_into is not None:
            for key in ("merged_on", "merged_from_outside"):
                if row.get(key) is not None:
                    found.append(at(("departments", i, key), "successor_only"))
        elif (slug in successors or outside) and not dated:
            found.append(at(("departments", i, "merged_on"), "merger_needs_date"))
        elif dated and slug not in successors and not outside:
            found.append(at(("departments", i, "merged_on"), "merger_without_parts"))
    return found


@dataclass(frozen=True)
class ClusterSpec:
    id: str
    name: str
    name_en: str
    departments: tuple[DepartmentSpec, ...]
    indicators: tuple[IndicatorSpec, ...]
    offices: OfficesSpec | None
    schedule: ScheduleSpec = DEFAULT_SCHEDULE
    elections: dict[str, Any] | None = None  # the validated [elections] table, as written
    pact: PactTable | None = None
    scoring: ScoringTable | None = None
    # The validated [pact] and [scoring] tables as written (what `init` stores).
    emulation: dict[str, Any] = field(default_factory=dict)
