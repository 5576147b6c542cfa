"""Points and targets as the emulation's file sections write them: exact decimals, never floats.

A TOML number (an integer or a float, never a bool or a string) is read through its decimal
text, so 0.1 is exactly 0.1 and sums of points add up to the scale with no rounding error.
Points carry at most two decimals (a scoring table counts in halves and quarters at most).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import PlainValidator

from bot.domain.file_errors import problem

ZERO = Decimal(0)
CENT = Decimal("0.01")
MAX_POINTS = Decimal(100_000)


def decimal_of(raw: object) -> Decimal | None:
    """An int or float as an exact finite Decimal (through its shortest text); None otherwise."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    value = Decimal(str(raw))
    return value if value.is_finite() else None


def rounded(value: Decimal) -> Decimal:
    """Points as shown and stored: two decimals, halves rounded up (the usual school rule)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _points(raw: object) -> Decimal:
    value = decimal_of(raw)
    if value is None or value < 0 or value > MAX_POINTS or value != rounded(value):
        raise problem("bad_points", value=str(raw))
    return rounded(value)


def _positive_points(raw: object) -> Decimal:
    value = _points(raw)
    if value == 0:
        raise problem("bad_points", value=str(raw))
    return value


def _target(raw: object) -> Decimal:
    value = decimal_of(raw)
    if value is None or value <= 0:
        raise problem("bad_target", value=str(raw))
    return value


# Points from 0 (a bonus may be worth nothing this year) up to 100.000, two decimals at most.
Points = Annotated[Decimal, PlainValidator(_points)]
# A maximum: more than 0.
PositivePoints = Annotated[Decimal, PlainValidator(_positive_points)]
# A target to reach: a number greater than 0 (achievement is actual / target).
Target = Annotated[Decimal, PlainValidator(_target)]


def shown(value: Decimal) -> str:
    """A decimal as an error's params show it: "12.5", "10" (not "1E+1", not "10.00")."""
    return format(value.normalize(), "f")
