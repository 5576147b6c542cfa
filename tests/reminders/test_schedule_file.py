"""The `[schedule]` table: defaults, every error named by its path, and a lossless round trip."""

from __future__ import annotations

import tomllib
from datetime import date, time

from bot.domain.periods import Period
from bot.domain.schedule_file import (
    DEFAULT_REMINDERS,
    DEFAULT_SCHEDULE,
    DayRule,
    parse_schedule,
)

FULL = """
[schedule]
auto_open = ["quarter", "year"]
open = { working_days_after_end = 1 }
deadline = { days_after_end = 15, if_not_working = "next" }
grace_days = 2
reminders = ["before-7", "before-3", "due", "after-1"]
escalate = "after-1"
send_at = "08:30"
quiet_hours = { start = "21:00", end = "07:00" }
days_off = [2026-03-02, "03/03/2026"]
working_days = [2026-02-28]
timezone = "Asia/Ho_Chi_Minh"

[schedule.year]
open = { days_after_end = -30 }
deadline = { days_after_end = -16 }
grace_days = 0
"""


def errors_of(table: dict) -> list[tuple[str, str]]:
    spec, errors = parse_schedule({"schedule": table})
    assert spec is None
    return [(e.path, e.code) for e in errors]


def test_no_schedule_gives_the_default_plan() -> None:
    spec, errors = parse_schedule({"cluster": {}})
    assert errors == [] and spec is DEFAULT_SCHEDULE
    assert spec.auto_open == ()
    assert spec.reminders == DEFAULT_REMINDERS
    assert spec.send_at == time(8, 0)
    assert (spec.quiet_start, spec.quiet_end) == (time(21, 0), time(7, 0))
    assert spec.escalate == "after-1"
    assert spec.rules_for("quarter").grace_days == 3


def test_an_empty_schedule_is_the_default() -> None:
    spec, errors = parse_schedule({"schedule": {}})
    assert errors == [] and spec == DEFAULT_SCHEDULE


def test_a_full_schedule() -> None:
    spec, errors = parse_schedule(tomllib.loads(FULL))
    assert errors == [], errors
    assert spec is not None
    assert spec.auto_open == ("quarter", "year")
    assert spec.send_at == time(8, 30)
    assert spec.days_off == {date(2026, 3, 2), date(2026, 3, 3)}
    assert spec.working_days == {date(2026, 2, 28)}
    quarter = spec.rules_for("quarter")
    assert quarter.deadline == DayRule("days_after_end", 15, "next")
    assert quarter.grace_days == 2
    year = spec.rules_for("year")
    assert year.grace_days == 0
    cal = spec.calendar()
    assert year.deadline.resolve(Period.of_year(2025), cal) == date(2025, 12, 15)
    assert year.open.resolve(Period.of_year(2025), cal) == date(2025, 12, 1)
    assert quarter.deadline.resolve(Period.of_quarter(2025, 4), cal) == date(2026, 1, 15)
    # 15/01/2028 is a Saturday: the deadline moves to Monday 17/01.
    assert quarter.deadline.resolve(Period.of_quarter(2027, 4), cal) == date(2028, 1, 17)
    previous = DayRule("days_after_end", 15, "previous")
    assert previous.resolve(Period.of_quarter(2027, 4), cal) == date(2028, 1, 14)
    keep = DayRule("days_after_end", 15, "keep")
    assert keep.resolve(Period.of_quarter(2027, 4), cal) == date(2028, 1, 15)
    assert spec.calendar().is_working_day(date(2026, 2, 28))


def test_round_trip_through_stored_data() -> None:
    spec, _ = parse_schedule(tomllib.loads(FULL))
    assert spec is not None
    again, errors = parse_schedule({"schedule": spec.to_data()})
    assert errors == [] and again == spec
    default_again, _ = parse_schedule({"schedule": DEFAULT_SCHEDULE.to_data()})
    assert default_again == DEFAULT_SCHEDULE


def test_every_problem_is_reported_with_its_path() -> None:
    found = errors_of(
        {
            "auto_open": ["quarter", "week", "quarter"],
            "open": {"working_days_after_end": 0},
            "deadline": {"days_after_end": 10, "working_days_after_end": 3},
            "grace_days": -1,
            "reminders": ["before-7", "someday", "before-7", 3],
            "escalate": "before-1",
            "send_at": "8h",
            "quiet_hours": {"start": "25:00", "finish": "07:00"},
            "days_off": ["2026-02-30", date(2026, 3, 2)],
            "working_days": [date(2026, 3, 2)],
            "timezone": "Mars/Olympus",
            "holidays": True,
            "month": {"reminders": []},
        }
    )
    assert ("schedule.auto_open[1]", "bad_choice") in found
    assert ("schedule.auto_open[2]", "duplicate") in found
    assert ("schedule.open.working_days_after_end", "bad_count") in found
    assert ("schedule.deadline", "bad_day_rule") in found
    assert ("schedule.grace_days", "bad_count") in found
    assert ("schedule.reminders[1]", "bad_reminder") in found
    assert ("schedule.reminders[2]", "duplicate") in found
    assert ("schedule.reminders[3]", "bad_reminder") in found
    assert ("schedule.escalate", "bad_escalate") in found
    assert ("schedule.send_at", "bad_time") in found
    assert ("schedule.quiet_hours.start", "bad_time") in found
    assert ("schedule.quiet_hours.finish", "unknown_key") in found
    assert ("schedule.days_off[0]", "bad_date") in found
    assert ("schedule.working_days[0]", "both_off_and_working") in found
    assert ("schedule.timezone", "bad_timezone") in found
    assert ("schedule.holidays", "unknown_key") in found
    assert ("schedule.month.reminders", "unknown_key") in found


def test_errors_carry_params_for_the_message() -> None:
    spec, errors = parse_schedule({"schedule": {"reminders": ["before-0"]}})
    assert spec is None
    assert errors[0].params["value"] == "before-0"
    assert "before-N" in errors[0].params["allowed"]


def test_send_hour_inside_quiet_hours_is_refused() -> None:
    assert errors_of({"send_at": "22:30"}) == [("schedule.send_at", "in_quiet_hours")]
    assert errors_of({"send_at": "06:59"}) == [("schedule.send_at", "in_quiet_hours")]
    spec, errors = parse_schedule({"schedule": {"send_at": "22:30", "quiet_hours": False}})
    assert errors == [] and spec is not None and spec.quiet_start is None


def test_a_deadline_before_the_opening_is_refused() -> None:
    found = errors_of(
        {
            "auto_open": ["month"],
            "open": {"working_days_after_end": 5},
            "deadline": {"working_days_after_end": 3},
        }
    )
    assert found == [("schedule.deadline", "deadline_not_after_open")]
    assert errors_of(
        {"year": {"open": {"days_after_end": 1}, "deadline": {"days_after_end": -5}}}
    ) == [("schedule.year.deadline", "deadline_not_after_open")]


def test_if_not_working_only_for_calendar_days() -> None:
    assert errors_of({"deadline": {"working_days_after_end": 3, "if_not_working": "next"}}) == [
        ("schedule.deadline.if_not_working", "only_for_days_after_end")
    ]
    assert errors_of({"deadline": {"days_after_end": 3, "if_not_working": "later"}}) == [
        ("schedule.deadline.if_not_working", "bad_choice")
    ]


def test_not_a_table() -> None:
    spec, errors = parse_schedule({"schedule": "weekly"})
    assert spec is None and [(e.path, e.code) for e in errors] == [("schedule", "not_a_table")]


def test_toml_local_times_are_accepted() -> None:
    spec, errors = parse_schedule(tomllib.loads("[schedule]\nsend_at = 09:15:00\n"))
    assert errors == [] and spec is not None and spec.send_at == time(9, 15)
