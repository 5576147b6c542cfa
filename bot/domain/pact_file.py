"""The `[pact]` table of the cluster file: the year's emulation pact (giao ước thi đua).

::

    [pact]
    title = "Giao ước thi đua năm 2023"        # optional
    commitments = [                             # what every member commits to, in order
        "Thực hiện tốt công tác tinh giản biên chế ...",
        "Báo cáo đầy đủ, đúng hạn ...",
    ]

    [[pact.targets]]                            # per indicator; numeric indicators only
    indicator = "csdl-can-bo"
    value = 100                                 # no department: every department's target

    [[pact.targets]]
    indicator = "tinh-gian-bien-che"
    department = "bac-kan"                      # this department's own target
    value = 150

    # When the departments are chased for their signature (optional; these are the defaults):
    sign_by = 2023-01-31                        # the day every department signs by; when the
                                                # pact opens after it (or without it), the day
    sign_within_days = 10                       # this many working days after the opening
    reminders = ["before-3", "due", "after-2"]  # as in [schedule]: before-N, due, after-N

A target without `department` is the target of every department that has none of its own. An
indicator and a department appear together in at most one target. Which indicators and
departments exist is checked against the whole file (:func:`pact_references`).

The reminders to the departments that have not signed go out on the cluster's working days,
outside its quiet hours, at its `send_at` (all from [schedule]), through the delivery log as
a round's do (bot/jobs/pact_reminders.py). Why the defaults: a pact is usually opened at or
just after the conference and signed within two working weeks; three reminders (a few days
before the day, on it, and two working days after) chase without nagging, the same shape as a
round's plan. `sign_by` alone cannot serve every year the file is used for (the pact of 2024 is
opened with the file of 2023's conference), hence the fallback counted from the opening.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, StrictInt, WrapValidator
from pydantic_core import InitErrorDetails

from bot.domain.calendar import WorkingCalendar
from bot.domain.file_entries import TABLES, Ref, Text, Texts, rows_of, text_of
from bot.domain.file_errors import FileTable, at, each, otherwise, validated
from bot.domain.points import Target
from bot.domain.schedule_file import Day, Reminder

DEFAULT_SIGN_WITHIN = 10  # working days after the opening, when no `sign_by` is ahead
MAX_SIGN_WITHIN = 60
DEFAULT_PACT_REMINDERS = ("before-3", "due", "after-2")
SignWithin = Annotated[
    StrictInt,
    Field(ge=1, le=MAX_SIGN_WITHIN),
    otherwise("bad_count", min="1", max=str(MAX_SIGN_WITHIN)),
]

NUMERIC = ("integer", "decimal", "percent")


class TargetSpec(FileTable):
    indicator: Ref
    department: Ref | None = None  # None: the cluster-wide target
    value: Target


def _target_key(row: dict[str, Any]) -> str:
    indicator = text_of(row.get("indicator"))
    department = text_of(row.get("department"))
    return f"{indicator} {department}".strip() if indicator else ""


# The same indicator and department twice is one target too many (the error is at the repeat's
# `indicator`, which is what repeats).
def _same_target(rows: list[dict[str, Any]], handler: Callable[[Any], Any]) -> Any:
    keys = [_target_key(row) for row in rows]
    repeats = [
        at((i, "indicator"), "duplicate", value=key)
        for i, key in enumerate(keys)
        if key and key in keys[:i]
    ]
    return validated(handler, rows, repeats)


class PactTable(FileTable):
    """The pact as the file states it; a department signs a snapshot of it (see storage)."""

    title: Text | None = None
    commitments: Texts
    targets: Annotated[
        tuple[TargetSpec, ...],
        each(TargetSpec),
        WrapValidator(_same_target),
        TABLES,
    ] = ()
    sign_by: Day | None = None
    sign_within_days: SignWithin = DEFAULT_SIGN_WITHIN
    reminders: Annotated[tuple[str, ...], each(Reminder)] = DEFAULT_PACT_REMINDERS

    def sign_deadline(self, opened: date, calendar: WorkingCalendar) -> date:
        """The day the departments sign by, for a pact opened on `opened` (local day)."""
        if self.sign_by is not None and self.sign_by >= opened:
            return self.sign_by
        return calendar.add_working_days(opened, self.sign_within_days)

    def target_for(
        self, indicator: str, department: str, agreed: Mapping[str, Decimal] | None = None
    ) -> Decimal | None:
        """The department's target for the indicator: the one it proposed and the head accepted
        (`agreed`, indicator -> target), else its own in the file, else the cluster-wide one."""
        if agreed and indicator in agreed:
            return agreed[indicator]
        general = None
        for target in self.targets:
            if target.indicator != indicator:
                continue
            if target.department == department:
                return target.value
            if target.department is None:
                general = target.value
        return general

    def targeted(self) -> tuple[str, ...]:
        """The indicators with at least one target, in the order of the file."""
        return tuple(dict.fromkeys(t.indicator for t in self.targets))


def pact_references(
    data: dict[str, Any], indicator_types: dict[str, str], active: set[str]
) -> list[InitErrorDetails]:
    """The targets' indicators and departments, checked against the file as written: each
    problem at its place, found even when the pact has other problems."""
    pact = data.get("pact")
    if not isinstance(pact, dict):
        return []
    found = []
    for i, row in enumerate(rows_of(pact.get("targets"))):
        indicator = text_of(row.get("indicator"))
        department = text_of(row.get("department"))
        if indicator and indicator not in indicator_types:
            found.append(
                at(("pact", "targets", i, "indicator"), "unknown_indicator", value=indicator)
            )
        elif indicator and indicator_types[indicator] not in (*NUMERIC, ""):
            found.append(
                at(
                    ("pact", "targets", i, "indicator"),
                    "target_needs_number",
                    value=indicator,
                    type=indicator_types[indicator],
                )
            )
        if department and department not in active:
            found.append(
                at(("pact", "targets", i, "department"), "unknown_department", value=department)
            )
    return found
