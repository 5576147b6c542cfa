"""Reminder plans: the default plan across Tết 2026, make-up days, quiet hours, catching up,
and which rounds open by themselves."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.domain.reminders import (
    RoundPlan,
    due_now,
    plan_pact,
    plan_round,
    rounds_to_open,
    sending_allowed,
    upcoming_rounds,
)
from bot.domain.schedule_file import DEFAULT_SCHEDULE, ScheduleSpec, parse_schedule

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def _day(plan: RoundPlan, kind: str) -> date:
    item = plan.item(kind)
    assert item is not None, kind
    return item.day


def local(y: int, m: int, d: int, hh: int = 8, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=HANOI)


def schedule(**table: object) -> ScheduleSpec:
    spec, errors = parse_schedule({"schedule": table})
    assert spec is not None, errors
    return spec


def kinds_and_days(plan) -> list[tuple[str, date]]:
    return [(i.kind, i.day) for i in plan.items]


def test_default_plan_for_q4_2025_with_a_deadline_just_after_tet_2026() -> None:
    plan = plan_round("2025-Q4", date(2026, 2, 24), DEFAULT_SCHEDULE, HANOI)
    assert kinds_and_days(plan) == [
        # 7 days before is Tết (17/02), 3 days before a Saturday (21/02): both go out on the
        # last working day before the break, Friday 13/02, once.
        ("before-7", date(2026, 2, 13)),
        ("before-1", date(2026, 2, 23)),
        ("due", date(2026, 2, 24)),
        ("after-1", date(2026, 2, 25)),
        ("escalate", date(2026, 2, 25)),
        ("after-2", date(2026, 2, 26)),
        ("after-3", date(2026, 2, 27)),
        ("close", date(2026, 3, 2)),  # the next working day after the 3 grace days, a Monday
    ]
    assert plan.last_day == date(2026, 2, 27)
    for item in plan.items:
        assert item.at == local(item.day.year, item.day.month, item.day.day).astimezone(UTC)
        assert item.at.tzinfo is UTC
    assert plan.closes_at == local(2026, 3, 2).astimezone(UTC)


def test_default_plan_with_a_deadline_just_before_tet_2026() -> None:
    plan = plan_round("2025-Q4", date(2026, 2, 13), DEFAULT_SCHEDULE, HANOI)
    assert kinds_and_days(plan) == [
        ("before-7", date(2026, 2, 6)),
        ("before-3", date(2026, 2, 10)),
        ("before-1", date(2026, 2, 12)),
        ("due", date(2026, 2, 13)),
        # The working days after the deadline skip the whole break (14/02 - 22/02).
        ("after-1", date(2026, 2, 23)),
        ("escalate", date(2026, 2, 23)),
        ("after-2", date(2026, 2, 24)),
        ("after-3", date(2026, 2, 25)),
        ("close", date(2026, 2, 26)),
    ]


def test_the_deadline_rule_of_an_auto_opened_quarter_across_tet() -> None:
    spec = schedule(auto_open=["quarter"], deadline={"days_after_end": 45})
    # 31/12/2025 + 45 days = Saturday 14/02/2026, in the break: the next working day is 23/02.
    opening = rounds_to_open(spec, local(2026, 1, 2), HANOI, existing=set())
    assert [(r.period, r.deadline) for r in opening] == [("2025-Q4", date(2026, 2, 23))]
    plan = plan_round("2025-Q4", date(2026, 2, 23), spec, HANOI)
    reminders = [(i.kind, i.day) for i in plan.reminders]
    # Everything before the deadline falls in the break or on a weekend: one reminder on 13/02.
    assert reminders[:2] == [("before-7", date(2026, 2, 13)), ("due", date(2026, 2, 23))]


def test_a_make_up_working_day_receives_the_reminder() -> None:
    deadline = date(2026, 3, 2)  # a Monday; "1 day before" is a Sunday
    plain = plan_round("2026-02", deadline, DEFAULT_SCHEDULE, HANOI)
    # Without a make-up day it goes back to Friday, where "3 days before" already is: once.
    assert _day(plain, "before-3") == date(2026, 2, 27)
    assert plain.item("before-1") is None
    made_up = schedule(working_days=[date(2026, 2, 28)])
    plan = plan_round("2026-02", deadline, made_up, HANOI)
    assert _day(plan, "before-1") == date(2026, 2, 28)  # the worked Saturday
    assert _day(plan, "before-3") == date(2026, 2, 27)
    # ... and it counts as a working day after a deadline too.
    late = plan_round("2026-02", date(2026, 2, 27), made_up, HANOI)
    assert _day(late, "after-1") == date(2026, 2, 28)
    assert _day(late, "after-2") == date(2026, 3, 2)


def test_a_clusters_day_off_moves_the_reminder_earlier() -> None:
    spec = schedule(days_off=[date(2026, 3, 11)])
    plan = plan_round("2026-02", date(2026, 3, 12), spec, HANOI)
    assert _day(plan, "before-1") == date(2026, 3, 10)
    assert _day(plan, "after-1") == date(2026, 3, 13)


def test_quiet_hours_hold_everything() -> None:
    plan = plan_round("2025-Q4", date(2026, 1, 15), DEFAULT_SCHEDULE, HANOI)
    before_3 = plan.item("before-3")
    assert before_3 is not None and before_3.day == date(2026, 1, 12)
    # The bot was down at 08:00 and comes back at 22:00: quiet hours, nothing goes out ...
    assert due_now(plan, local(2026, 1, 12, 22, 0)) == []
    assert due_now(plan, local(2026, 1, 13, 6, 59)) == []
    # ... until 07:00 the next morning, when the missed reminder is still the current one.
    assert [i.kind for i in due_now(plan, local(2026, 1, 13, 7, 0))] == ["before-3"]
    assert not sending_allowed(local(2026, 1, 12, 21, 0), DEFAULT_SCHEDULE, plan.calendar, HANOI)
    assert sending_allowed(local(2026, 1, 12, 20, 59), DEFAULT_SCHEDULE, plan.calendar, HANOI)


def test_an_hour_inside_quiet_hours_moves_to_their_end() -> None:
    spec = ScheduleSpec(send_at=time(22, 0))  # refused in a file; built by hand here
    plan = plan_round("2025-Q4", date(2026, 1, 15), spec, HANOI)
    item = plan.item("due")
    assert item is not None
    assert item.at == local(2026, 1, 16, 7, 0).astimezone(UTC)
    assert all(not spec.in_quiet_hours(i.at.astimezone(HANOI).time()) for i in plan.items)


def test_catching_up_sends_only_the_latest_reminder() -> None:
    plan = plan_round("2025-Q4", date(2026, 1, 15), DEFAULT_SCHEDULE, HANOI)
    assert due_now(plan, local(2026, 1, 7, 9)) == []  # before the first reminder
    assert [i.kind for i in due_now(plan, local(2026, 1, 8, 8))] == ["before-7"]
    # Down from 08/01 to 14/01 at 09:00: before-7 and before-3 are stale, before-1 is current.
    assert [i.kind for i in due_now(plan, local(2026, 1, 14, 9))] == ["before-1"]
    assert due_now(plan, local(2026, 1, 14, 9), done={"before-1"}) == []
    # At 07:00 that day before-3 is the latest due, but before-1 comes at 08:00: wait for it.
    assert due_now(plan, local(2026, 1, 14, 7)) == []
    # After the deadline: the reminder and the escalation at once.
    assert [i.kind for i in due_now(plan, local(2026, 1, 16, 8))] == ["after-1", "escalate"]
    assert [i.kind for i in due_now(plan, local(2026, 1, 19, 8), done={"escalate"})] == ["after-2"]
    # Once the round is due to close, only the close is left.
    assert [i.kind for i in due_now(plan, local(2026, 1, 21, 8))] == ["close"]
    assert due_now(plan, local(2026, 1, 21, 8), done={"close"}) == []


def test_nothing_goes_out_on_a_non_working_day() -> None:
    plan = plan_round("2025-Q4", date(2026, 2, 24), DEFAULT_SCHEDULE, HANOI)
    assert due_now(plan, local(2026, 2, 14, 9)) == []  # Saturday in the break
    assert due_now(plan, local(2026, 2, 18, 9)) == []  # Tết
    assert [i.kind for i in due_now(plan, local(2026, 2, 13, 9))] == ["before-7"]


def test_items_before_a_manual_opening_are_dropped() -> None:
    opened = local(2026, 1, 12, 10, 0).astimezone(UTC)  # after the 08:00 "before-3"
    plan = plan_round("2025-Q4", date(2026, 1, 15), DEFAULT_SCHEDULE, HANOI, opened_at=opened)
    assert [i.kind for i in plan.reminders] == ["before-1", "due", "after-1", "after-2", "after-3"]


def test_grace_shorter_than_the_reminders_drops_late_ones() -> None:
    spec = schedule(grace_days=1)
    plan = plan_round("2025-Q4", date(2026, 1, 15), spec, HANOI)
    assert [i.kind for i in plan.items][-3:] == ["after-1", "escalate", "close"]
    assert plan.last_day == date(2026, 1, 16)
    assert _day(plan, "close") == date(2026, 1, 19)


def test_rounds_open_by_themselves_at_the_right_moment() -> None:
    spec = schedule(
        auto_open=["quarter", "year"], year={"deadline": {"working_days_after_end": 15}}
    )
    # 1/1 is a holiday: the first working day after 2025 ends is Friday 2/1/2026, at 08:00.
    assert rounds_to_open(spec, local(2026, 1, 2, 7, 59), HANOI, existing=set()) == []
    opening = rounds_to_open(spec, local(2026, 1, 2, 8, 0), HANOI, existing=set())
    assert [(r.period, r.deadline) for r in opening] == [
        ("2025", date(2026, 1, 22)),
        ("2025-Q4", date(2026, 1, 15)),
    ]
    assert opening[0].period_start == date(2025, 1, 1)
    assert rounds_to_open(spec, local(2026, 1, 5, 10), HANOI, existing={"2025", "2025-Q4"}) == []
    # The bot started late: still open while the deadline has not passed ...
    late = rounds_to_open(spec, local(2026, 1, 16, 9), HANOI, existing=set())
    assert [r.period for r in late] == ["2025"]
    # ... not on a weekend or at night ...
    assert rounds_to_open(spec, local(2026, 1, 3, 9), HANOI, existing=set()) == []
    assert rounds_to_open(spec, local(2026, 1, 2, 22), HANOI, existing=set()) == []
    # ... and never without auto_open.
    assert rounds_to_open(DEFAULT_SCHEDULE, local(2026, 1, 2, 8), HANOI, existing=set()) == []


def test_calendar_lists_open_and_coming_rounds() -> None:
    spec = schedule(auto_open=["quarter"])
    entries = upcoming_rounds(
        spec,
        local(2026, 1, 20, 9),
        HANOI,
        open_rounds=[("2025", date(2026, 2, 6), None, False)],
        existing={"2025-Q4"},
    )
    assert [(e.period, e.state) for e in entries] == [("2025", "open"), ("2026-Q1", "planned")]
    coming = entries[1]
    assert coming.opens_on == date(2026, 4, 1)
    assert coming.deadline == date(2026, 4, 14)
    assert coming.reminder_days[0] == date(2026, 4, 7)
    assert coming.escalate_day == date(2026, 4, 15)


def test_a_pacts_plan_follows_the_rounds_rules() -> None:
    spec = schedule(send_at="08:00")
    # Sign by Friday 16/02/2024, the day after Tết 2024: before-7 (09/02, Tết) and before-3
    # (13/02, Tết) both move to Wednesday 07/02 and go out once; after-1 is a working day later.
    plan = plan_pact(
        2024, date(2024, 2, 16), ["before-7", "before-3", "due", "after-1"], spec, HANOI
    )
    assert kinds_and_days(plan) == [
        ("before-7", date(2024, 2, 7)),
        ("due", date(2024, 2, 16)),
        ("after-1", date(2024, 2, 19)),
        ("close", date(2024, 2, 20)),  # the chase ends the working day after the last one
    ]
    assert plan.period == "pact-2024"
    # Opened on 08/02 (during Tết): the step planned before the opening is dropped.
    later = plan_pact(
        2024, date(2024, 2, 16), ["before-7", "due"], spec, HANOI, opened_at=local(2024, 2, 8)
    )
    assert [i.kind for i in later.items] == ["due", "close"]
    # Catching up: only the latest step due goes out, and only on a working day.
    assert [i.kind for i in due_now(plan, local(2024, 2, 19, 9))] == ["after-1"]
    assert due_now(plan, local(2024, 2, 17, 9)) == []  # a Saturday
    assert due_now(plan, local(2024, 2, 16, 22)) == []  # quiet hours
    # Then it is over: no reminder is due any more, however long the pact stays open.
    assert [i.kind for i in due_now(plan, local(2024, 2, 20, 8))] == ["close"]
    assert [i.kind for i in due_now(plan, local(2024, 6, 3, 9))] == ["close"]
