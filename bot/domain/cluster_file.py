"""The cluster file: a TOML file an administrator edits, validated in full before anything is written."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from bot.domain.elections import parse_election_rules
from bot.domain.file_errors import FileError
from bot.domain.schedule_file import DEFAULT_SCHEDULE, ScheduleSpec, parse_schedule

INDICATOR_TYPES = ("integer", "decimal", "percent", "boolean", "choice", "text")
AGGREGATES = ("sum", "average", "min", "max", "count", "none")
NUMERIC_TYPES = ("integer", "decimal", "percent")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
TOP_LEVEL_KEYS = ("cluster", "departments", "indicators", "offices", "schedule", "elections")


@dataclass(frozen=True)
class DepartmentSpec:
    slug: str
    name: str
    name_en: str
    merged_into: str | None = None


@dataclass(frozen=True)
class IndicatorSpec:
    slug: str
    label: str
    label_en: str
    type: str
    unit: str = ""
    unit_en: str = ""
    required: bool = True
    min_value: str | None = None
    max_value: str | None = None
    aggregate: str = "sum"
    choices: tuple[str, ...] = ()
    headline: bool = False


@dataclass(frozen=True)
class OfficesSpec:
    term: int
    head: str
    deputy: str | None


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
    errors: list[FileError] = []
    reader = _Reader(errors)

    cluster = reader.table(data, "cluster")
    cluster_id = reader.slug(cluster, "cluster", "id")
    name = reader.text(cluster, "cluster", "name")
    name_en = reader.text(cluster, "cluster", "name_en")

    departments: list[DepartmentSpec] = []
    dept_tables = reader.array(data, "departments")
    for i, item in enumerate(dept_tables):
        where = f"departments[{i}]"
        slug = reader.slug(item, where, "id")
        if slug and any(d.slug == slug for d in departments):
            errors.append(FileError(f"{where}.id", "duplicate", {"value": slug}))
        departments.append(
            DepartmentSpec(
                slug=slug,
                name=reader.text(item, where, "name"),
                name_en=reader.text(item, where, "name_en"),
                merged_into=reader.optional_text(item, where, "merged_into"),
            )
        )
    known = {d.slug for d in departments}
    for i, d in enumerate(departments):
        if d.merged_into is not None and (d.merged_into not in known or d.merged_into == d.slug):
            errors.append(
                FileError(
                    f"departments[{i}].merged_into", "unknown_department", {"value": d.merged_into}
                )
            )
    active = {d.slug for d in departments if d.merged_into is None}
    if dept_tables and not active:
        errors.append(FileError("departments", "no_active_department"))

    indicators: list[IndicatorSpec] = []
    for i, item in enumerate(reader.array(data, "indicators")):
        indicators.append(reader.indicator(item, f"indicators[{i}]", indicators))

    offices: OfficesSpec | None = None
    if "offices" in data:
        table = reader.table(data, "offices")
        term = table.get("term")
        if not isinstance(term, int) or isinstance(term, bool) or not 2000 <= term <= 2100:
            errors.append(FileError("offices.term", "bad_year", {"value": str(term)}))
            term = 0
        head = reader.text(table, "offices", "head")
        deputy = reader.optional_text(table, "offices", "deputy")
        for key, value in (("head", head), ("deputy", deputy)):
            if value and value not in active:
                errors.append(FileError(f"offices.{key}", "unknown_department", {"value": value}))
        if head and deputy and head == deputy:
            errors.append(FileError("offices.deputy", "same_as_head", {"value": deputy}))
        offices = OfficesSpec(term=term, head=head, deputy=deputy)

    schedule, schedule_errors = parse_schedule(data)
    errors.extend(schedule_errors)
    elections: dict[str, Any] | None = None
    if "elections" in data:
        table = data["elections"]
        if not isinstance(table, dict):
            errors.append(FileError("elections", "missing_table"))
        else:
            errors.extend(parse_election_rules(table)[1])
            elections = dict(table)

    for key in data:
        if key not in TOP_LEVEL_KEYS:
            errors.append(FileError(key, "unknown_key", {"allowed": ", ".join(TOP_LEVEL_KEYS)}))

    if errors:
        raise ClusterFileInvalid(errors)
    return ClusterSpec(
        id=cluster_id,
        name=name,
        name_en=name_en,
        departments=tuple(departments),
        indicators=tuple(indicators),
        offices=offices,
        schedule=schedule or DEFAULT_SCHEDULE,
        elections=elections,
    )


class _Reader:
    def __init__(self, errors: list[FileError]) -> None:
        self.errors = errors

    def table(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key)
        if not isinstance(value, dict):
            self.errors.append(FileError(key, "missing_table"))
            return {}
        return value

    def array(self, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
        value = data.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            self.errors.append(FileError(key, "missing_array"))
            return []
        return value

    def text(self, table: dict[str, Any], where: str, key: str) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            self.errors.append(FileError(f"{where}.{key}", "missing_text"))
            return ""
        return value.strip()

    def optional_text(self, table: dict[str, Any], where: str, key: str) -> str | None:
        if key not in table:
            return None
        return self.text(table, where, key) or None

    def slug(self, table: dict[str, Any], where: str, key: str) -> str:
        value = self.text(table, where, key)
        if value and not SLUG.match(value):
            self.errors.append(FileError(f"{where}.{key}", "bad_slug", {"value": value}))
        return value

    def number(self, table: dict[str, Any], where: str, key: str) -> str | None:
        if key not in table:
            return None
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.errors.append(FileError(f"{where}.{key}", "bad_number", {"value": str(value)}))
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.errors.append(FileError(f"{where}.{key}", "bad_number", {"value": str(value)}))
            return None
        if not number.is_finite():
            self.errors.append(FileError(f"{where}.{key}", "bad_number", {"value": str(value)}))
            return None
        text = format(number.normalize(), "f")
        return text

    def indicator(
        self, item: dict[str, Any], where: str, previous: list[IndicatorSpec]
    ) -> IndicatorSpec:
        slug = self.slug(item, where, "id")
        if slug and any(p.slug == slug for p in previous):
            self.errors.append(FileError(f"{where}.id", "duplicate", {"value": slug}))
        kind = item.get("type")
        if kind not in INDICATOR_TYPES:
            self.errors.append(
                FileError(
                    f"{where}.type",
                    "bad_choice",
                    {"value": str(kind), "allowed": ", ".join(INDICATOR_TYPES)},
                )
            )
            kind = "text"
        aggregate = item.get("aggregate", "none" if kind in ("text", "choice") else "sum")
        if aggregate not in AGGREGATES:
            self.errors.append(
                FileError(
                    f"{where}.aggregate",
                    "bad_choice",
                    {"value": str(aggregate), "allowed": ", ".join(AGGREGATES)},
                )
            )
            aggregate = "none"
        elif aggregate in ("sum", "average", "min", "max") and kind not in NUMERIC_TYPES:
            self.errors.append(
                FileError(
                    f"{where}.aggregate",
                    "aggregate_needs_number",
                    {"value": aggregate, "type": str(kind)},
                )
            )
        required = item.get("required", True)
        if not isinstance(required, bool):
            self.errors.append(FileError(f"{where}.required", "bad_bool", {"value": str(required)}))
            required = True
        headline = item.get("headline", False)
        if not isinstance(headline, bool):
            self.errors.append(FileError(f"{where}.headline", "bad_bool", {"value": str(headline)}))
            headline = False
        elif headline and kind not in NUMERIC_TYPES:
            self.errors.append(
                FileError(f"{where}.headline", "range_needs_number", {"type": str(kind)})
            )
        low = self.number(item, where, "min")
        high = self.number(item, where, "max")
        if (low is not None or high is not None) and kind not in NUMERIC_TYPES:
            self.errors.append(FileError(f"{where}.min", "range_needs_number", {"type": str(kind)}))
        if low is not None and high is not None and Decimal(low) > Decimal(high):
            self.errors.append(
                FileError(f"{where}.max", "max_below_min", {"min": low, "max": high})
            )
        if kind == "integer":
            for key, bound in (("min", low), ("max", high)):
                if bound is not None and Decimal(bound) != Decimal(bound).to_integral_value():
                    self.errors.append(
                        FileError(f"{where}.{key}", "bound_not_integer", {"value": bound})
                    )
        choices: tuple[str, ...] = ()
        if kind == "choice":
            raw = item.get("choices")
            if (
                not isinstance(raw, list)
                or len(raw) < 2
                or not all(isinstance(c, str) and c.strip() for c in raw)
            ):
                self.errors.append(FileError(f"{where}.choices", "choices_needed"))
            else:
                choices = tuple(c.strip() for c in raw)
                if len(set(choices)) != len(choices):
                    self.errors.append(
                        FileError(f"{where}.choices", "duplicate", {"value": ", ".join(choices)})
                    )
        elif "choices" in item:
            self.errors.append(FileError(f"{where}.choices", "choices_only_for_choice"))
        unit = item.get("unit", "")
        unit_en = item.get("unit_en", unit)
        if not isinstance(unit, str) or not isinstance(unit_en, str):
            self.errors.append(FileError(f"{where}.unit", "missing_text"))
            unit, unit_en = "", ""
        if kind == "percent" and low is None:
            low = "0"
        if kind == "percent" and high is None:
            high = "100"
        return IndicatorSpec(
            slug=slug,
            label=self.text(item, where, "label"),
            label_en=self.text(item, where, "label_en"),
            type=str(kind),
            unit=unit.strip(),
            unit_en=unit_en.strip(),
            required=required,
            min_value=low,
            max_value=high,
            aggregate=str(aggregate),
            choices=choices,
            headline=headline,
        )
