"""The `[schedule]` table of the cluster file: when rounds open, their deadlines, reminders.

Every key is optional; a file without `[schedule]` gets :data:`DEFAULT_SCHEDULE` (no round opens
by itself, but rounds the head opens get the default reminder plan)::

    [schedule]
    auto_open = ["quarter", "year"]          # period kinds opened by the bot (default: none)
    open = { working_days_after_end = 1 }    # the first working day after the period ends
    deadline = { working_days_after_end = 10 }
    # or a fixed day counted from the period's last day, e.g. the 15th of the next month:
    # deadline = { days_after_end = 15, if_not_working = "next" }   # "next" | "previous" | "keep"
    grace_days = 3                           # working days after the deadline; then it closes
    reminders = ["before-7", "before-3", "before-1", "due", "after-1", "after-2", "after-3"]
    escalate = "after-1"                     # head and deputy get the late list (false: never)
    send_at = "08:00"                        # local time reminders go out
    quiet_hours = { start = "21:00", end = "07:00" }   # nothing is sent in between
    days_off = [2026-02-13]                  # extra days off (TOML dates or "dd/mm/yyyy")
    working_days = [2026-02-28]              # make-up working days
    timezone = "Asia/Ho_Chi_Minh"            # default: CLUSTERBOT_TIMEZONE

    [schedule.year]                          # per kind (year, half, quarter, month):
    open = { days_after_end = -30 }          # open, deadline and grace_days override the above
    deadline = { days_after_end = -16 }      # the yearly report is due on 15/12

Reminder kinds: ``before-N`` goes out N calendar days before the deadline, on the previous working
day when that day is not one; ``due`` on the deadline day (likewise); ``after-N`` on the N-th
working day after the deadline. Reminders that fall on the same day are sent once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.calendar import WorkingCalendar
from bot.domain.file_errors import FileError
from bot.domain.periods import KINDS, Period, PeriodKind


def _error(path: str, code: str, params: dict[str, str] | None = None) -> FileError:
    return FileError(path, code, params or {})


__all__ = [
    "DEFAULT_REMINDERS",
    "DEFAULT_SCHEDULE",
    "DayRule",
    "KindRules",
    "ScheduleSpec",
    "parse_schedule",
    "reminder_kind",
]

DayBase = Literal["days_after_end", "working_days_after_end"]
IfNotWorking = Literal["next", "previous", "keep"]

DEFAULT_REMINDERS: tuple[str, ...] = (
    "before-7",
    "before-3",
    "before-1",
    "due",
    "after-1",
    "after-2",
    "after-3",
)
_REMINDER = re.compile(r"^(?:(before|after)-([1-9][0-9]?)|due)$")
_HHMM = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", re.ASCII)  # ASCII digits only
_KEYS = (
    "auto_open",
    "open",
    "deadline",
    "grace_days",
    "reminders",
    "escalate",
    "send_at",
    "quiet_hours",
    "days_off",
    "working_days",
    "timezone",
)
_KIND_KEYS = ("open", "deadline", "grace_days")
MAX_OFFSET = 366
MAX_GRACE = 60


def reminder_kind(text: str) -> tuple[str, int] | None:
    """("before", 7) for "before-7", ("due", 0), ("after", 2); None when not a reminder kind."""
    match = _REMINDER.match(text)
    if match is None:
        return None
    if text == "due":
        return ("due", 0)
    return (match.group(1), int(match.group(2)))


@dataclass(frozen=True)
class DayRule:
    """A day counted from the last day of a period.

    ``days_after_end``: calendar days (15 after a quarter = the 15th of the next month; negative
    numbers fall inside the period); a day that is not a working day moves as ``if_not_working``
    says. ``working_days_after_end``: the N-th working day after the period (N >= 1).
    """

    base: DayBase
    days: int
    if_not_working: IfNotWorking = "next"

    def resolve(self, period: Period, calendar: WorkingCalendar) -> date:
        end = period.end
        if self.base == "working_days_after_end":
            return calendar.add_working_days(end, self.days)
        day = date.fromordinal(end.toordinal() + self.days)
        if self.if_not_working == "next":
            return calendar.next_working_day(day)
        if self.if_not_working == "previous":
            return calendar.previous_working_day(day)
        return day

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {self.base: self.days}
        if self.base == "days_after_end":
            data["if_not_working"] = self.if_not_working
        return data


@dataclass(frozen=True)
class KindRules:
    open: DayRule
    deadline: DayRule
    grace_days: int


DEFAULT_OPEN = DayRule("working_days_after_end", 1)
DEFAULT_DEADLINE = DayRule("working_days_after_end", 10)
DEFAULT_GRACE = 3


@dataclass(frozen=True)
class ScheduleSpec:
    auto_open: tuple[PeriodKind, ...] = ()
    open: DayRule = DEFAULT_OPEN
    deadline: DayRule = DEFAULT_DEADLINE
    grace_days: int = DEFAULT_GRACE
    per_kind: tuple[tuple[PeriodKind, KindRules], ...] = ()
    reminders: tuple[str, ...] = DEFAULT_REMINDERS
    escalate: str | None = "after-1"
    send_at: time = time(8, 0)
    quiet_start: time | None = time(21, 0)
    quiet_end: time | None = time(7, 0)
    days_off: frozenset[date] = field(default_factory=frozenset)
    working_days: frozenset[date] = field(default_factory=frozenset)
    timezone: str | None = None

    def rules_for(self, kind: PeriodKind) -> KindRules:
        for k, rules in self.per_kind:
            if k == kind:
                return rules
        return KindRules(self.open, self.deadline, self.grace_days)

    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(self.days_off, self.working_days)

    def tz(self, default: str | ZoneInfo = "Asia/Ho_Chi_Minh") -> ZoneInfo:
        if self.timezone:
            return ZoneInfo(self.timezone)
        return default if isinstance(default, ZoneInfo) else ZoneInfo(default)

    def in_quiet_hours(self, local: time) -> bool:
        if self.quiet_start is None or self.quiet_end is None:
            return False
        start, end = self.quiet_start, self.quiet_end
        if start == end:
            return False
        if start < end:
            return start <= local < end
        return local >= start or local < end

    def to_data(self) -> dict[str, Any]:
        """A JSON-safe `[schedule]` table that :func:`parse_schedule` reads back unchanged."""
        data: dict[str, Any] = {
            "auto_open": list(self.auto_open),
            "open": self.open.to_data(),
            "deadline": self.deadline.to_data(),
            "grace_days": self.grace_days,
            "reminders": list(self.reminders),
            "escalate": self.escalate if self.escalate is not None else False,
            "send_at": self.send_at.strftime("%H:%M"),
            "quiet_hours": (
                {
                    "start": self.quiet_start.strftime("%H:%M"),
                    "end": self.quiet_end.strftime("%H:%M"),
                }
                if self.quiet_start is not None and self.quiet_end is not None
                else False
            ),
            "days_off": [d.isoformat() for d in sorted(self.days_off)],
            "working_days": [d.isoformat() for d in sorted(self.working_days)],
        }
        if self.timezone:
            data["timezone"] = self.timezone
        for kind, rules in self.per_kind:
            data[kind] = {
                "open": rules.open.to_data(),
                "deadline": rules.deadline.to_data(),
                "grace_days": rules.grace_days,
            }
        return data


DEFAULT_SCHEDULE = ScheduleSpec()


def parse_schedule(data: dict[str, Any]) -> tuple[ScheduleSpec | None, list[FileError]]:
    """Read `[schedule]` from the whole parsed cluster file.

    Returns (spec, []) when valid; :data:`DEFAULT_SCHEDULE` when the table is absent; (None,
    errors) listing every problem otherwise. Paths read like ``schedule.reminders[1]``.
    """
    if "schedule" not in data:
        return DEFAULT_SCHEDULE, []
    table = data["schedule"]
    errors: list[FileError] = []
    if not isinstance(table, dict):
        return None, [_error("schedule", "not_a_table")]
    reader = _Reader(errors)

    for key in table:
        if key not in _KEYS and key not in KINDS:
            errors.append(
                _error(
                    f"schedule.{key}",
                    "unknown_key",
                    {"allowed": ", ".join(_KEYS + KINDS)},
                )
            )

    auto_open: list[PeriodKind] = []
    raw_auto = table.get("auto_open", [])
    if not isinstance(raw_auto, list):
        errors.append(_error("schedule.auto_open", "not_a_list"))
    else:
        for i, kind in enumerate(raw_auto):
            if kind not in KINDS:
                errors.append(
                    _error(
                        f"schedule.auto_open[{i}]",
                        "bad_choice",
                        {"value": str(kind), "allowed": ", ".join(KINDS)},
                    )
                )
            elif kind in auto_open:
                errors.append(_error(f"schedule.auto_open[{i}]", "duplicate", {"value": kind}))
            else:
                auto_open.append(kind)

    open_rule = reader.day_rule(table, "schedule.open", "open", DEFAULT_OPEN)
    deadline_rule = reader.day_rule(table, "schedule.deadline", "deadline", DEFAULT_DEADLINE)
    grace = reader.count(table, "schedule", "grace_days", DEFAULT_GRACE, 0, MAX_GRACE)

    per_kind: list[tuple[PeriodKind, KindRules]] = []
    for kind in KINDS:
        if kind not in table:
            continue
        sub = table[kind]
        where = f"schedule.{kind}"
        if not isinstance(sub, dict):
            errors.append(_error(where, "not_a_table"))
            continue
        for key in sub:
            if key not in _KIND_KEYS:
                errors.append(
                    _error(f"{where}.{key}", "unknown_key", {"allowed": ", ".join(_KIND_KEYS)})
                )
        per_kind.append(
            (
                kind,
                KindRules(
                    open=reader.day_rule(sub, f"{where}.open", "open", open_rule),
                    deadline=reader.day_rule(sub, f"{where}.deadline", "deadline", deadline_rule),
                    grace_days=reader.count(sub, where, "grace_days", grace, 0, MAX_GRACE),
                ),
            )
        )

    reminders: list[str] = []
    raw_reminders = table.get("reminders", list(DEFAULT_REMINDERS))
    if not isinstance(raw_reminders, list):
        errors.append(_error("schedule.reminders", "not_a_list"))
    else:
        for i, item in enumerate(raw_reminders):
            where = f"schedule.reminders[{i}]"
            if not isinstance(item, str) or reminder_kind(item.strip()) is None:
                errors.append(
                    _error(
                        where,
                        "bad_reminder",
                        {"value": str(item), "allowed": "before-N, due, after-N (N = 1..99)"},
                    )
                )
                continue
            item = item.strip()
            if item in reminders:
                errors.append(_error(where, "duplicate", {"value": item}))
                continue
            reminders.append(item)

    escalate: str | None = "after-1"
    if "escalate" in table:
        raw = table["escalate"]
        if raw is False:
            escalate = None
        elif (
            isinstance(raw, str) and (parsed := reminder_kind(raw.strip())) and parsed[0] == "after"
        ):
            escalate = raw.strip()
        else:
            errors.append(
                _error(
                    "schedule.escalate",
                    "bad_escalate",
                    {"value": str(raw), "allowed": "after-N or false"},
                )
            )

    send_at = reader.clock(table, "schedule.send_at", table.get("send_at"), time(8, 0))
    quiet_start: time | None = time(21, 0)
    quiet_end: time | None = time(7, 0)
    if "quiet_hours" in table:
        raw = table["quiet_hours"]
        if raw is False:
            quiet_start = quiet_end = None
        elif isinstance(raw, dict):
            for key in raw:
                if key not in ("start", "end"):
                    errors.append(
                        _error(
                            f"schedule.quiet_hours.{key}", "unknown_key", {"allowed": "start, end"}
                        )
                    )
            quiet_start = reader.clock(
                raw, "schedule.quiet_hours.start", raw.get("start"), time(21, 0)
            )
            quiet_end = reader.clock(raw, "schedule.quiet_hours.end", raw.get("end"), time(7, 0))
        else:
            errors.append(_error("schedule.quiet_hours", "not_a_table"))

    days_off = reader.dates(table, "days_off")
    working_days = reader.dates(table, "working_days")
    for i, day in enumerate(reader.raw_dates(table, "working_days")):
        if day is not None and day in days_off:
            errors.append(
                _error(f"schedule.working_days[{i}]", "both_off_and_working", {"value": _dmy(day)})
            )

    timezone: str | None = None
    if "timezone" in table:
        raw = table["timezone"]
        try:
            if not isinstance(raw, str) or not raw:
                raise ValueError(raw)
            ZoneInfo(raw)
            timezone = raw
        except (ZoneInfoNotFoundError, ValueError):
            errors.append(_error("schedule.timezone", "bad_timezone", {"value": str(raw)}))

    spec = ScheduleSpec(
        auto_open=tuple(auto_open),
        open=open_rule,
        deadline=deadline_rule,
        grace_days=grace,
        per_kind=tuple(per_kind),
        reminders=tuple(reminders),
        escalate=escalate,
        send_at=send_at,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        days_off=frozenset(days_off),
        working_days=frozenset(working_days),
        timezone=timezone,
    )
    if spec.in_quiet_hours(send_at):
        errors.append(
            _error(
                "schedule.send_at",
                "in_quiet_hours",
                {"value": send_at.strftime("%H:%M"), "quiet": _quiet_text(spec)},
            )
        )
    if not errors:
        errors.extend(_check_open_before_deadline(spec))
    if errors:
        return None, errors
    return spec, []


def _quiet_text(spec: ScheduleSpec) -> str:
    if spec.quiet_start is None or spec.quiet_end is None:
        return ""
    return f"{spec.quiet_start.strftime('%H:%M')}-{spec.quiet_end.strftime('%H:%M')}"


def _dmy(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _check_open_before_deadline(spec: ScheduleSpec) -> list[FileError]:
    """Every kind's rounds must open before their deadline (tried on a few real periods)."""
    errors: list[FileError] = []
    calendar = spec.calendar()
    kinds = set(spec.auto_open) | {k for k, _ in spec.per_kind}
    for kind in KINDS:
        if kind not in kinds:
            continue
        rules = spec.rules_for(kind)
        where = f"schedule.{kind}" if any(k == kind for k, _ in spec.per_kind) else "schedule"
        sample = Period(kind, 2025, 1)
        for _ in range(4):
            opens = rules.open.resolve(sample, calendar)
            deadline = rules.deadline.resolve(sample, calendar)
            if opens >= deadline:
                errors.append(
                    _error(
                        f"{where}.deadline",
                        "deadline_not_after_open",
                        {"period": sample.code, "open": _dmy(opens), "deadline": _dmy(deadline)},
                    )
                )
                break
            sample = sample.next()
    return errors


class _Reader:
    def __init__(self, errors: list[FileError]) -> None:
        self.errors = errors

    def count(
        self, table: dict[str, Any], where: str, key: str, default: int, low: int, high: int
    ) -> int:
        if key not in table:
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.errors.append(
                _error(
                    f"{where}.{key}",
                    "bad_count",
                    {"value": str(value), "min": str(low), "max": str(high)},
                )
            )
            return default
        return value

    def day_rule(self, table: dict[str, Any], where: str, key: str, default: DayRule) -> DayRule:
        if key not in table:
            return default
        raw = table[key]
        if not isinstance(raw, dict):
            self.errors.append(_error(where, "bad_day_rule", {"value": str(raw)}))
            return default
        bases = [b for b in ("days_after_end", "working_days_after_end") if b in raw]
        for k in raw:
            if k not in ("days_after_end", "working_days_after_end", "if_not_working"):
                self.errors.append(
                    _error(
                        f"{where}.{k}",
                        "unknown_key",
                        {"allowed": "days_after_end, working_days_after_end, if_not_working"},
                    )
                )
        if len(bases) != 1:
            self.errors.append(
                _error(
                    where,
                    "bad_day_rule",
                    {"allowed": "days_after_end or working_days_after_end (one of them)"},
                )
            )
            return default
        base: DayBase = bases[0]  # type: ignore[assignment]  # the key was checked to be one of DayBase's values
        days = raw[base]
        low = 1 if base == "working_days_after_end" else -MAX_OFFSET
        if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= MAX_OFFSET:
            self.errors.append(
                _error(
                    f"{where}.{base}",
                    "bad_count",
                    {"value": str(days), "min": str(low), "max": str(MAX_OFFSET)},
                )
            )
            return default
        if_not_working = raw.get("if_not_working", "next")
        if if_not_working not in ("next", "previous", "keep"):
            self.errors.append(
                _error(
                    f"{where}.if_not_working",
                    "bad_choice",
                    {"value": str(if_not_working), "allowed": "next, previous, keep"},
                )
            )
            if_not_working = "next"
        elif base == "working_days_after_end" and "if_not_working" in raw:
            self.errors.append(_error(f"{where}.if_not_working", "only_for_days_after_end"))
        return DayRule(base, days, if_not_working)

    def clock(self, table: dict[str, Any], where: str, raw: Any, default: time) -> time:
        if raw is None:
            return default
        if isinstance(raw, time):
            if raw.second or raw.microsecond or raw.tzinfo is not None:
                self.errors.append(_error(where, "bad_time", {"value": str(raw)}))
                return default
            return raw
        if isinstance(raw, str):
            match = _HHMM.match(raw.strip())
            if match:
                return time(int(match.group(1)), int(match.group(2)))
        self.errors.append(_error(where, "bad_time", {"value": str(raw), "allowed": "HH:MM"}))
        return default

    def raw_dates(self, table: dict[str, Any], key: str) -> list[date | None]:
        raw = table.get(key, [])
        if not isinstance(raw, list):
            return []
        return [_to_date(v) for v in raw]

    def dates(self, table: dict[str, Any], key: str) -> set[date]:
        raw = table.get(key, [])
        if not isinstance(raw, list):
            self.errors.append(_error(f"schedule.{key}", "not_a_list"))
            return set()
        found: set[date] = set()
        for i, value in enumerate(raw):
            day = _to_date(value)
            if day is None:
                self.errors.append(
                    _error(
                        f"schedule.{key}[{i}]",
                        "bad_date",
                        {"value": str(value), "allowed": "YYYY-MM-DD or dd/mm/yyyy"},
                    )
                )
            elif day in found:
                self.errors.append(
                    _error(f"schedule.{key}[{i}]", "duplicate", {"value": _dmy(day)})
                )
            else:
                found.add(day)
        return found


def _to_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return None  # a date-time is not a day
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _DMY.match(text)
    try:
        if match:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        return date.fromisoformat(text) if re.match(r"^\d{4}-\d{2}-\d{2}$", text) else None
    except ValueError:
        return None
