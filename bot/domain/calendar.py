"""Vietnam's working days: weekends, public holidays, and each cluster's own changes.

Public holidays come from the `holidays` package (``holidays.Vietnam``, alias ``holidays.VN``).
What it covers, checked with holidays 0.109 for 2024-2027:

- New Year's Day (1/1), Hùng Kings' Commemoration Day (10/3 lunar), Reunification Day (30/4),
  Labour Day (1/5), National Day (2/9 plus one adjacent day since 2021) and, from 2026, Vietnam
  Cultural Day (24/11); weekday substitutes ("nghỉ bù") when one falls on a weekend.
- Tết: the lunar New Year's Eve and the first four days of the year (the five days of the Labour
  Code), plus the days the Labour Code shifts onto weekdays when some of them fall on a weekend
  ("29 Tết", "Mùng năm"). This matches the multi-day break the government announced for the
  weekdays of 2024 (8-14/02), 2025 (27/01-01/02) and 2026 (16-20/02, the break being Sat 14/02 to
  Sun 22/02). 2027 (04-10/02) is computed from the lunar calendar, not from a decision.
- Swaps decided by the government (a weekday off made up on a Saturday) for the years the package
  knows: 2024 (Mon 29/04 off, Sat 04/05 worked), 2025 (Fri 02/05 off, Sat 26/04 worked), 2026
  (Mon 31/08 off, Sat 22/08 worked). The worked Saturdays are in ``weekend_workdays``.

What it cannot know: swaps and extra days the government decides later (they are announced each
year) and local decisions. A cluster declares those in its file (``[schedule] days_off`` and
``working_days``); a cluster's declaration always wins over the package.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays

__all__ = ["WorkingCalendar", "public_holiday_name"]

_WEEKEND = (5, 6)  # Saturday, Sunday


@lru_cache(maxsize=2)
def _vietnam(language: str = "vi") -> holidays.HolidayBase:
    # One instance per process and language; it fills in each year on first use (expand=True).
    return _vietnam_class()(language=language)


def _vietnam_class() -> type[holidays.HolidayBase]:
    """The package's Vietnam, without the ~250 other countries.

    ``holidays.country_holidays("VN")`` imports ``holidays.countries``, whose ``__init__``
    imports every country the package knows: ~280 modules, ~8 MiB of a replica's memory for
    its whole life, for one country. The package is set up here as a bare package of the same
    path (its ``__init__`` not run), so importing ``holidays.countries.vietnam`` loads that one
    module and what it imports. A package of another shape falls back to the package's way.
    """
    name = "holidays.countries"
    if name not in sys.modules:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations is not None:
            package = importlib.util.module_from_spec(spec)  # its __init__ not run
            sys.modules[name] = package
            setattr(holidays, "countries", package)  # noqa: B010 - as an import would set it
    try:
        found: type[holidays.HolidayBase] = importlib.import_module(f"{name}.vietnam").Vietnam
    except (ImportError, AttributeError):  # a package of another shape: its own way
        return type(holidays.country_holidays("VN"))
    return found


def public_holiday_name(day: date, lang: str = "vi") -> str | None:
    """The name of the public holiday on ``day`` (Vietnamese, or English for "en"), or None."""
    return _vietnam("en_US" if lang == "en" else "vi").get(day)


def _package_working_day(day: date) -> bool:
    vn = _vietnam()
    if day in vn:  # also fills in the year, so weekend_workdays knows it
        return False
    if day in vn.weekend_workdays:
        return True
    return day.weekday() not in _WEEKEND


class WorkingCalendar:
    """Working days of one cluster: Vietnam's calendar plus the cluster's own changes.

    ``days_off``: extra days nobody works (a local holiday, a swap the package does not know yet).
    ``working_days``: make-up working days (usually a Saturday worked to bridge a holiday).
    A date in both is an error the cluster file reports; here ``working_days`` wins.
    """

    def __init__(self, days_off: Iterable[date] = (), working_days: Iterable[date] = ()) -> None:
        self.days_off = frozenset(days_off)
        self.working_days = frozenset(working_days)

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar(days_off={sorted(self.days_off)}, "
            f"working_days={sorted(self.working_days)})"
        )

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        if day in self.days_off:
            return False
        return _package_working_day(day)

    def why_not_working(self, day: date, lang: str = "vi") -> str | None:
        """None on a working day; else "weekend", "day_off" or the holiday's name."""
        if self.is_working_day(day):
            return None
        if day in self.days_off:
            return "day_off"
        name = public_holiday_name(day, lang)
        return name if name else "weekend"

    def previous_working_day(self, day: date, *, inclusive: bool = True) -> date:
        """``day`` itself when it is a working day (``inclusive``), else the one before it."""
        current = day if inclusive else day - timedelta(days=1)
        for _ in range(366):
            if self.is_working_day(current):
                return current
            current -= timedelta(days=1)
        raise ValueError(f"no working day in the year before {day}")

    def next_working_day(self, day: date, *, inclusive: bool = True) -> date:
        """``day`` itself when it is a working day (``inclusive``), else the one after it."""
        current = day if inclusive else day + timedelta(days=1)
        for _ in range(366):
            if self.is_working_day(current):
                return current
            current += timedelta(days=1)
        raise ValueError(f"no working day in the year after {day}")

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (before it when negative).

        ``add_working_days(d, 0)`` is ``d`` itself, whether or not it is a working day;
        ``add_working_days(Friday, 1)`` is the next Monday unless that is a holiday.
        """
        step = 1 if count >= 0 else -1
        current = day
        remaining = abs(count)
        guard = 0
        while remaining:
            current += timedelta(days=step)
            if self.is_working_day(current):
                remaining -= 1
            guard += 1
            if guard > 366 * 10:
                raise ValueError("no working days found")
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many working days after ``start`` ``end`` is."""
        if end <= start:
            return -self.working_days_between(end, start) if end < start else 0
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def non_working_days(self, start: date, end: date, lang: str = "vi") -> list[tuple[date, str]]:
        """Holidays and declared days off in [start, end], with the reason (for /calendar).

        Plain weekends are left out; a worked weekend day is listed as "working_day".
        """
        found: list[tuple[date, str]] = []
        current = start
        while current <= end:
            working = self.is_working_day(current)
            notable = (
                current.weekday() not in _WEEKEND
                or current in self.days_off
                or public_holiday_name(current) is not None
            )
            if not working and notable:
                reason = self.why_not_working(current, lang)
                assert reason is not None
                found.append((current, reason))
            elif working and current.weekday() in _WEEKEND:
                found.append((current, "working_day"))
            current += timedelta(days=1)
        return found
