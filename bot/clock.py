"""The one clock: what "now" is for handlers, services, jobs and the command line.

Everything that decides by the time (is the deadline past, has the invite expired, is a
reminder due) asks the clock it was given, and storage is handed that ``now`` as a parameter.
The application keeps its clock in ``bot_data["clock"]`` (a test or the demo injects its own);
the command line uses :func:`system_clock`. A clock answers an aware UTC datetime; it is shown
to users in the cluster's time zone only when rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["Clock", "clock_of", "system_clock"]

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The host's time, aware, in UTC."""
    return datetime.now(UTC)


def clock_of(bot_data: Mapping[str, Any]) -> Clock:
    """The application's clock (``bot_data["clock"]``), else the host's."""
    clock = bot_data.get("clock")
    return clock if clock is not None else system_clock
