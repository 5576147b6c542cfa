"""What a summary is built from: the departments, the indicators and what each department
reported for a period. Apart from `bot.domain.summary` (which builds the summary) so that
`bot.domain.mergers`, which adds predecessors' reports up into their successors', can use them
without the two modules importing each other."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.aggregation import NUMERIC_TYPES

__all__ = ["DepartmentInfo", "IndicatorInfo", "PeriodData", "Report"]


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    slug: str
    name: str
    name_en: str


@dataclass(frozen=True)
class IndicatorInfo:
    id: int
    slug: str
    label: str
    label_en: str
    type: str
    unit: str = ""
    unit_en: str = ""
    aggregate: str = "sum"
    required: bool = True
    choices: tuple[str, ...] = ()
    min_value: str | None = None
    max_value: str | None = None
    headline: bool = False  # charted in the automatic summary post

    @property
    def numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def narrative(self) -> bool:
        """Free text: shown as the department's narrative, not in a table."""
        return self.type == "text"


@dataclass(frozen=True)
class Report:
    """A department's report for a period: its latest revision's values.

    ``first_submitted_at`` and ``late`` come from the first revision (lateness is judged on
    it); ``submitted_at`` and ``revision`` from the latest. ``parts`` counts, for a compiled
    year, the periods the department reported in.
    """

    department_id: int
    values: Mapping[int, str | None]
    revision: int = 1
    submitted_at: datetime | None = None
    first_submitted_at: datetime | None = None
    late: bool = False
    submitted_by: int | None = None
    parts: int = 1


@dataclass(frozen=True)
class PeriodData:
    """What the departments reported for one period (a round, or a compiled year)."""

    period: str
    reports: Mapping[int, Report]
    deadline: date | None = None
    state: str | None = None  # "open" | "closed"; None for a compiled year
    compiled_from: tuple[str, ...] = ()  # the periods a compiled year used
    missing_periods: tuple[str, ...] = ()  # the periods of its kind that had no round

    @property
    def compiled(self) -> bool:
        return bool(self.compiled_from)
