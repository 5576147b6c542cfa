"""Chấm chéo: who checks whose self-score, when the cluster file says `checking = "peer"`.

Every department checks exactly one other and is checked by exactly one other (a permutation
with no fixed point: nobody checks itself). The assignment is a rotation of the departments in
id order by a shift that depends on the year only, so it is the same every time it is computed
for that year (and for the same departments), and changes from one year to the next. When there
are more than two departments, two never check each other (the shift is never half the circle).
"""

from __future__ import annotations

from collections.abc import Iterable


def shifts(count: int) -> list[int]:
    """The rotations a year can pick among: 1..count-1, less count/2 when count > 2."""
    return [k for k in range(1, count) if count == 2 or 2 * k != count]


def peer_rotation(departments: Iterable[str], year: int) -> dict[str, str]:
    """checker -> the department it checks, for `year`. Needs two departments at least."""
    order = sorted(set(departments))
    if len(order) < 2:
        raise ValueError("cross-checking needs at least two departments")
    options = shifts(len(order))
    shift = options[year % len(options)]
    return {department: order[(i + shift) % len(order)] for i, department in enumerate(order)}


def checker_of(departments: Iterable[str], year: int, department: str) -> str:
    """Who checks `department` in `year`."""
    rotation = peer_rotation(departments, year)
    return next(checker for checker, checked in rotation.items() if checked == department)
