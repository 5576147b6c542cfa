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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    Field,
    PlainValidator,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.domain.calendar import WorkingCalendar
from bot.domain.file_errors import (
    FileError,
    FileTable,
    at,
    each,
    fail,
    file_errors,
    otherwise,
    problem,
    table,
    validated,
)
from bot.domain.periods import KINDS, Period, PeriodKind

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

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ScheduleSpec:
        """The spec :meth:`to_data` wrote (read back by the same rules as the file)."""
        spec, errors = parse_schedule({"schedule": data})
        if spec is None:  # only data that to_data did not write, e.g. a hand-edited row
            raise ValueError(f"not a schedule's data: {errors}")
        return spec

    def to_data(self) -> dict[str, Any]:
        """A JSON-safe `[schedule]` table that :meth:`from_data` reads back unchanged."""
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
    try:
        return _SCHEDULE.validate_python(data["schedule"]).spec(), []
    except ValidationError as exc:
        return None, file_errors(exc, "schedule")


# --- the table as written: each key's type says which problem a wrong value is --------------


def _dmy(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _clock(raw: object) -> time:
    """A TOML local time (whole minutes) or "HH:MM"."""
    if isinstance(raw, time):
        if raw.second or raw.microsecond or raw.tzinfo is not None:
            raise problem("bad_time", value=str(raw))
        return raw
    if isinstance(raw, str) and (match := _HHMM.match(raw.strip())):
        return time(int(match.group(1)), int(match.group(2)))
    raise problem("bad_time", value=str(raw), allowed="HH:MM")


def _day(raw: object) -> date:
    """A TOML date, "dd/mm/yyyy" or "yyyy-mm-dd"; a date-time is not a day."""
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    text = raw.strip() if isinstance(raw, str) else ""
    if match := _DMY.match(text):
        return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    if _ISO.match(text):
        return date.fromisoformat(text)
    raise ValueError(raw)


def _day_or_none(raw: object) -> date | None:
    try:
        return _day(raw)
    except ValueError:
        return None


def _reminder(text: str) -> str:
    if reminder_kind(text.strip()) is None:
        raise ValueError(text)
    return text.strip()


def _escalate(raw: object) -> str | None:
    """`false`: never; else a reminder after the deadline, e.g. "after-1"."""
    if raw is False:
        return None
    if isinstance(raw, str) and (kind := reminder_kind(raw.strip())) and kind[0] == "after":
        return raw.strip()
    raise problem("bad_escalate", value=str(raw), allowed="after-N or false")


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(name) from None
    return name


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
Grace = Annotated[
    StrictInt, Field(ge=0, le=MAX_GRACE), otherwise("bad_count", min="0", max=str(MAX_GRACE))
]
Offset = Annotated[
    StrictInt,
    Field(ge=-MAX_OFFSET, le=MAX_OFFSET),
    otherwise("bad_count", min=str(-MAX_OFFSET), max=str(MAX_OFFSET)),
]
WorkingOffset = Annotated[
    StrictInt, Field(ge=1, le=MAX_OFFSET), otherwise("bad_count", min="1", max=str(MAX_OFFSET))
]
Clock = Annotated[time, PlainValidator(_clock)]
Day = Annotated[
    date, PlainValidator(_day), otherwise("bad_date", allowed="YYYY-MM-DD or dd/mm/yyyy")
]
Days = Annotated[tuple[date, ...], each(Day, shown=_dmy)]
Reminder = Annotated[
    StrictStr,
    AfterValidator(_reminder),
    otherwise("bad_reminder", allowed="before-N, due, after-N (N = 1..99)"),
]
Kind = Annotated[PeriodKind, otherwise("bad_choice", allowed=", ".join(KINDS))]


class _DayRule(FileTable):
    """`{ working_days_after_end = 10 }` or `{ days_after_end = 15, if_not_working = "next" }`."""

    days_after_end: Offset | None = None
    working_days_after_end: WorkingOffset | None = None
    if_not_working: (
        Annotated[IfNotWorking, otherwise("bad_choice", allowed="next, previous, keep")] | None
    ) = None

    @model_validator(mode="before")
    @classmethod
    def _one_base(cls, data: Any) -> Any:
        if isinstance(data, dict) and sum(base in data for base in get_args(DayBase)) != 1:
            raise problem(
                "bad_day_rule",
                value=str(data),  # the command line's words show it
                allowed="days_after_end or working_days_after_end (one of them)",
            )
        return data

    @field_validator("if_not_working")
    @classmethod
    def _calendar_days_only(cls, value: IfNotWorking | None, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("working_days_after_end") is not None:
            raise problem("only_for_days_after_end")
        return value

    def rule(self) -> DayRule:
        if self.working_days_after_end is not None:
            return DayRule("working_days_after_end", self.working_days_after_end)
        return DayRule("days_after_end", self.days_after_end or 0, self.if_not_working or "next")


Rule = Annotated[_DayRule, table("bad_day_rule", value=True)]


class _KindTable(FileTable):
    open: Rule | None = None
    deadline: Rule | None = None
    grace_days: Grace | None = None


class _QuietHours(FileTable):
    start: Clock = time(21, 0)
    end: Clock = time(7, 0)


class _ScheduleTable(FileTable):
    # In this order the keys are listed to an administrator who wrote an unknown one.
    auto_open: Annotated[tuple[PeriodKind, ...], each(Kind)] = ()
    open: Rule | None = None
    deadline: Rule | None = None
    grace_days: Grace = DEFAULT_GRACE
    reminders: Annotated[tuple[str, ...], each(Reminder)] = DEFAULT_REMINDERS
    escalate: Annotated[str | None, PlainValidator(_escalate)] = "after-1"
    send_at: Clock = time(8, 0)
    quiet_hours: _QuietHours | None = _QuietHours()
    days_off: Days = ()
    working_days: Days = ()
    timezone: Annotated[StrictStr, AfterValidator(_zone), otherwise("bad_timezone")] | None = None
    year: Annotated[_KindTable, table("not_a_table")] | None = None
    half: Annotated[_KindTable, table("not_a_table")] | None = None
    quarter: Annotated[_KindTable, table("not_a_table")] | None = None
    month: Annotated[_KindTable, table("not_a_table")] | None = None

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _false_is_never(cls, raw: Any) -> Any:
        if raw is False:
            return None
        if not isinstance(raw, dict):
            raise problem("not_a_table")
        return raw

    @model_validator(mode="wrap")
    @classmethod
    def _no_day_off_and_working(cls, data: Any, handler: Callable[[Any], Any]) -> Any:
        """Read on their own, so that a clash shows even when another day is written wrong."""
        if not isinstance(data, dict):
            return handler(data)

        def days(key: str) -> list[date | None]:
            raw = data.get(key)
            return [_day_or_none(value) for value in raw] if isinstance(raw, list) else []

        off = set(days("days_off"))
        clashes = [
            at(("working_days", i), "both_off_and_working", value=_dmy(day))
            for i, day in enumerate(days("working_days"))
            if day is not None and day in off
        ]
        return validated(handler, data, clashes)

    @model_validator(mode="after")
    def _workable(self) -> _ScheduleTable:
        """Rules on the whole plan, checked once every key of it is valid."""
        spec = self.spec()
        if spec.in_quiet_hours(spec.send_at):
            quiet = f"{spec.quiet_start:%H:%M}-{spec.quiet_end:%H:%M}"
            fail([at(("send_at",), "in_quiet_hours", value=f"{spec.send_at:%H:%M}", quiet=quiet)])
        if late := _opening_not_before_deadline(spec, self.kind_tables()):
            fail(late)
        return self

    def kind_tables(self) -> dict[PeriodKind, _KindTable]:
        found = {kind: getattr(self, kind) for kind in KINDS}
        return {kind: table for kind, table in found.items() if table is not None}

    def spec(self) -> ScheduleSpec:
        opens = self.open.rule() if self.open else DEFAULT_OPEN
        deadline = self.deadline.rule() if self.deadline else DEFAULT_DEADLINE
        per_kind = tuple(
            (
                kind,
                KindRules(
                    table.open.rule() if table.open else opens,
                    table.deadline.rule() if table.deadline else deadline,
                    self.grace_days if table.grace_days is None else table.grace_days,
                ),
            )
            for kind, table in self.kind_tables().items()
        )
        quiet = self.quiet_hours
        return ScheduleSpec(
            auto_open=self.auto_open,
            open=opens,
            deadline=deadline,
            grace_days=self.grace_days,
            per_kind=per_kind,
            reminders=self.reminders,
            escalate=self.escalate,
            send_at=self.send_at,
            quiet_start=quiet.start if quiet else None,
            quiet_end=quiet.end if quiet else None,
            days_off=frozenset(self.days_off),
            working_days=frozenset(self.working_days),
            timezone=self.timezone,
        )


def _opening_not_before_deadline(
    spec: ScheduleSpec, kind_tables: dict[PeriodKind, _KindTable]
) -> list[Any]:
    """Every kind's rounds must open before their deadline (tried on a few real periods)."""
    found = []
    calendar = spec.calendar()
    for kind in KINDS:
        if kind not in spec.auto_open and kind not in kind_tables:
            continue
        rules = spec.rules_for(kind)
        sample = Period(kind, 2025, 1)
        for _ in range(4):
            opens = rules.open.resolve(sample, calendar)
            deadline = rules.deadline.resolve(sample, calendar)
            if opens >= deadline:
                loc = (kind, "deadline") if kind in kind_tables else ("deadline",)
                found.append(
                    at(
                        loc,
                        "deadline_not_after_open",
                        period=sample.code,
                        open=_dmy(opens),
                        deadline=_dmy(deadline),
                    )
                )
                break
            sample = sample.next()
    return found


ScheduleTable = Annotated[_ScheduleTable, table("not_a_table")]
_SCHEDULE: TypeAdapter[_ScheduleTable] = TypeAdapter(ScheduleTable)
