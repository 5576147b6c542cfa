"""Ranking the locked totals (xếp hạng): no Telegram, no SQL.

Departments are ordered by their total, highest first, then by the table's tie-break rules in
the order declared:

- ``group:<id>``: more points in that group first;
- ``fewer_deductions``: fewer deduction points first;
- ``more_bonus``: more bonus points first.

Departments equal on the total and on every rule share a rank (competition ranking: 1, 2, 2,
4); among them, the list is ordered by department id, so the same totals always give the same
list whatever order they came in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.domain.scoring import Totals


@dataclass(frozen=True)
class Ranked:
    rank: int  # 1 for the first; shared by departments tied on everything the rules compare
    totals: Totals

    @property
    def department(self) -> str:
        return self.totals.department


def standing(totals: Totals, tie_break: Sequence[str]) -> tuple[Decimal, ...]:
    """What the ranking compares, as a tuple that sorts best first (smaller is better)."""
    key = [-totals.total]
    for rule in tie_break:
        if rule.startswith("group:"):
            key.append(-totals.group(rule.removeprefix("group:")))
        elif rule == "fewer_deductions":
            key.append(totals.deductions)
        elif rule == "more_bonus":
            key.append(-totals.bonus)
        else:
            raise ValueError(f"unknown tie-break rule {rule!r}")
    return tuple(key)


def rank(entries: Iterable[Totals], tie_break: Sequence[str] = ()) -> list[Ranked]:
    """The departments in ranking order, each with its rank. A department listed twice is an
    error (its totals are locked once)."""
    listed = list(entries)
    departments = [t.department for t in listed]
    if len(set(departments)) != len(departments):
        raise ValueError("a department is ranked twice")
    keyed = sorted(((standing(t, tie_break), t.department, t) for t in listed), key=lambda k: k[:2])
    ranked: list[Ranked] = []
    for position, (key, _, totals) in enumerate(keyed, start=1):
        shared = ranked and standing(ranked[-1].totals, tie_break) == key
        ranked.append(Ranked(ranked[-1].rank if shared else position, totals))
    return ranked
