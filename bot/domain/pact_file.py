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

A target without `department` is the target of every department that has none of its own. An
indicator and a department appear together in at most one target. Which indicators and
departments exist is checked against the whole file (:func:`pact_references`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any

from pydantic import WrapValidator
from pydantic_core import InitErrorDetails

from bot.domain.file_entries import TABLES, Ref, Text, Texts, rows_of, text_of
from bot.domain.file_errors import FileTable, at, each, validated
from bot.domain.points import Target

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
