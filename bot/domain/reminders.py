"""Reminder plans: what goes out for a round, and when. Pure functions of the round, the
schedule, the calendar and an injected ``now`` (never the clock).

A round's plan is a list of items, each a kind of message and the instant (UTC) it is due:

- ``open``: the group is told an automatically opened round is open (auto-opened rounds only);
- ``before-N`` / ``due`` / ``after-N``: a private reminder to each officer of a department that
  has not submitted, plus one digest in the group;
- ``escalate``: the head and deputy receive the list of late departments;
- ``close``: the round closes and the group gets the final status.

Rules: a reminder that would fall on a non-working day goes out on the previous working day
(``after-N`` are counted in working days, so they always fall on one); reminders falling on the same
day are sent once (the first kind in the schedule's order is kept); nothing is ever due inside
quiet hours, and items planned before the round opened or after it closes are dropped. The round
accepts submissions until the end of ``last_day`` (the deadline plus the grace working days) and
closes at the sending hour of the next working day.

Catching up (the bot was down): of the officer reminders only the latest one due is still
relevant (it supersedes the earlier ones), and not even that one when the next reminder goes out
later the same day; ``open`` and ``escalate`` stay relevant until the close; ``close`` makes
everything else stale. Sending happens on working days outside quiet hours only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.domain.calendar import WorkingCalendar
from bot.domain.periods import Period, PeriodKind, containing, parse_period
from bot.domain.schedule_file import ScheduleSpec, reminder_kind

__all__ = [
    "AutoRound",
    "PlanItem",
    "RoundPlan",
    "due_now",
    "is_reminder",
    "plan_pact",
    "plan_round",
    "rounds_to_open",
    "sending_allowed",
    "upcoming_rounds",
]

Audience = Literal["group", "officers", "leads"]


@dataclass(frozen=True)
class PlanItem:
    kind: str  # "open", "before-7", ..., "due", "after-1", ..., "escalate", "close"
    day: date  # the local day it goes out
    at: datetime  # aware UTC instant
    audience: Audience


@dataclass(frozen=True)
class RoundPlan:
    period: str
    deadline: date
    last_day: date  # the last day a submission is accepted (deadline + grace working days)
    closes_at: datetime  # UTC
    items: tuple[PlanItem, ...]  # chronological
    tz: ZoneInfo
    schedule: ScheduleSpec
    calendar: WorkingCalendar

    def item(self, kind: str) -> PlanItem | None:
        for item in self.items:
            if item.kind == kind:
                return item
        return None

    @property
    def reminders(self) -> tuple[PlanItem, ...]:
        return tuple(i for i in self.items if i.audience == "officers")

    def next_reminder_after(self, item: PlanItem) -> PlanItem | None:
        later = [r for r in self.reminders if r.at > item.at]
        return later[0] if later else None


def is_reminder(kind: str) -> bool:
    return reminder_kind(kind) is not None


def _instant(day: date, at: time, tz: ZoneInfo, schedule: ScheduleSpec) -> datetime:
    """``day`` at local time ``at``, moved past quiet hours when it falls inside them, in UTC."""
    local = datetime.combine(day, at, tzinfo=tz)
    if schedule.in_quiet_hours(at) and schedule.quiet_end is not None:
        end = datetime.combine(day, schedule.quiet_end, tzinfo=tz)
        if end <= local:
            end += timedelta(days=1)
        local = end
    return local.astimezone(UTC)


def _reminder_day(kind: str, deadline: date, calendar: WorkingCalendar) -> date:
    parsed = reminder_kind(kind)
    assert parsed is not None
    base, n = parsed
    if base == "after":
        return calendar.add_working_days(deadline, n)
    nominal = deadline - timedelta(days=n)  # "due": n == 0
    return calendar.previous_working_day(nominal)


def plan_round(
    period: str | Period,
    deadline: date,
    schedule: ScheduleSpec,
    tz: ZoneInfo,
    *,
    calendar: WorkingCalendar | None = None,
    opened_at: datetime | None = None,
    auto_opened: bool = False,
) -> RoundPlan:
    """The plan of one round. ``opened_at``: items planned before it are dropped (a round opened
    by hand three days before its deadline gets no "7 days before" reminder)."""
    cal = calendar if calendar is not None else schedule.calendar()
    p = period if isinstance(period, Period) else parse_period(period)
    rules = schedule.rules_for(p.kind)
    last_day = cal.add_working_days(deadline, rules.grace_days)
    close_day = cal.next_working_day(last_day, inclusive=False)
    closes_at = _instant(close_day, schedule.send_at, tz, schedule)

    items: list[PlanItem] = []
    if auto_opened and opened_at is not None:
        items.append(PlanItem("open", opened_at.astimezone(tz).date(), opened_at, "group"))
    seen_days: set[date] = set()
    reminders: list[PlanItem] = []
    for kind in schedule.reminders:
        day = _reminder_day(kind, deadline, cal)
        if day in seen_days:
            continue
        seen_days.add(day)
        reminders.append(
            PlanItem(kind, day, _instant(day, schedule.send_at, tz, schedule), "officers")
        )
    items.extend(reminders)
    if schedule.escalate is not None:
        day = _reminder_day(schedule.escalate, deadline, cal)
        items.append(
            PlanItem("escalate", day, _instant(day, schedule.send_at, tz, schedule), "leads")
        )
    kept = [i for i in items if (opened_at is None or i.at >= opened_at) and i.at < closes_at]
    kept.append(PlanItem("close", close_day, closes_at, "group"))
    order = {"open": 0, "officers": 1, "leads": 2, "group": 3}
    kept.sort(key=lambda i: (i.at, order["open" if i.kind == "open" else i.audience]))
    return RoundPlan(
        period=p.code,
        deadline=deadline,
        last_day=last_day,
        closes_at=closes_at,
        items=tuple(kept),
        tz=tz,
        schedule=schedule,
        calendar=cal,
    )


def plan_pact(
    year: int,
    deadline: date,
    reminders: Iterable[str],
    schedule: ScheduleSpec,
    tz: ZoneInfo,
    *,
    calendar: WorkingCalendar | None = None,
    opened_at: datetime | None = None,
) -> RoundPlan:
    """The reminders chasing the signatures of a year's pact, on the round's rules: `reminders`
    (before-N, due, after-N) counted from the day the departments sign by (`deadline`), a
    reminder on a day off moved to the previous working day, two on the same day sent once,
    none inside quiet hours, none planned before the pact opened. :func:`due_now` reads it as a
    round's (only the latest reminder due is caught up). The chase ends on the working day
    after the last reminder, at the sending hour: an item ``close`` that closes nothing (the
    pact stays open to sign) but makes every reminder stale, so that a pact nobody closes is
    not looked at again and again for ever."""
    cal = calendar if calendar is not None else schedule.calendar()
    seen_days: set[date] = set()
    items: list[PlanItem] = []
    for kind in reminders:
        day = _reminder_day(kind, deadline, cal)
        if day in seen_days:
            continue
        seen_days.add(day)
        items.append(PlanItem(kind, day, _instant(day, schedule.send_at, tz, schedule), "officers"))
    kept = sorted((i for i in items if opened_at is None or i.at >= opened_at), key=lambda i: i.at)
    closes_at = datetime.max.replace(tzinfo=UTC)  # nothing to chase: nothing ends
    if kept:
        end_day = cal.next_working_day(kept[-1].day, inclusive=False)
        closes_at = _instant(end_day, schedule.send_at, tz, schedule)
        kept.append(PlanItem("close", end_day, closes_at, "group"))
    return RoundPlan(
        period=f"pact-{year}",
        deadline=deadline,
        last_day=deadline,
        closes_at=closes_at,
        items=tuple(kept),
        tz=tz,
        schedule=schedule,
        calendar=cal,
    )


def sending_allowed(
    now: datetime, schedule: ScheduleSpec, calendar: WorkingCalendar, tz: ZoneInfo
) -> bool:
    """Messages go out on working days, outside quiet hours (local time)."""
    local = now.astimezone(tz)
    if schedule.in_quiet_hours(local.time().replace(tzinfo=None)):
        return False
    return calendar.is_working_day(local.date())


def due_now(plan: RoundPlan, now: datetime, done: Collection[str] = ()) -> list[PlanItem]:
    """The items to act on at ``now``: ``done`` names kinds already dealt with in full.

    At most one officer reminder is returned (the latest one due; earlier ones are stale). When
    ``close`` is due it is returned alone. Nothing is due when sending is not allowed at ``now``.
    """
    if not sending_allowed(now, plan.schedule, plan.calendar, plan.tz):
        return []
    due = [i for i in plan.items if i.at <= now]
    if not due:
        return []
    close = plan.item("close")
    if close is not None and close.at <= now:
        return [] if "close" in done else [close]
    result: list[PlanItem] = []
    for item in due:
        if item.kind == "open" and "open" not in done:
            result.append(item)
    reminders = [i for i in due if i.audience == "officers"]
    if reminders and reminders[-1].kind not in done:
        current = reminders[-1]
        following = plan.next_reminder_after(current)
        today = now.astimezone(plan.tz).date()
        # A missed reminder is not caught up when the next one goes out later today anyway.
        if following is None or following.day != today or current.day == today:
            result.append(current)
    for item in due:
        if item.kind == "escalate" and "escalate" not in done:
            result.append(item)
    return result


def days_left(plan: RoundPlan, now: datetime) -> int:
    """Calendar days from today (local) to the deadline; negative once it has passed."""
    return (plan.deadline - now.astimezone(plan.tz).date()).days


# ---------------------------------------------------------------------- opening by itself


@dataclass(frozen=True)
class AutoRound:
    period: str
    period_start: date
    deadline: date
    opens_at: datetime  # UTC
    deadline_end: datetime  # UTC, the end of the deadline day


def _candidates(kind: PeriodKind, today: date) -> list[Period]:
    """The periods whose round may open around ``today``: two back, the current one, the next."""
    current = containing(kind, today)
    previous = current.previous()
    return [previous.previous(), previous, current, current.next()]


def auto_round(
    period: Period, schedule: ScheduleSpec, calendar: WorkingCalendar, tz: ZoneInfo
) -> AutoRound:
    rules = schedule.rules_for(period.kind)
    open_day = rules.open.resolve(period, calendar)
    deadline = rules.deadline.resolve(period, calendar)
    deadline_end = datetime.combine(deadline + timedelta(days=1), time(0, 0), tzinfo=tz)
    return AutoRound(
        period=period.code,
        period_start=period.start,
        deadline=deadline,
        opens_at=_instant(open_day, schedule.send_at, tz, schedule),
        deadline_end=deadline_end.astimezone(UTC),
    )


def rounds_to_open(
    schedule: ScheduleSpec,
    now: datetime,
    tz: ZoneInfo,
    existing: Collection[str],
    *,
    calendar: WorkingCalendar | None = None,
) -> list[AutoRound]:
    """Rounds of the schedule's ``auto_open`` kinds that should be open at ``now`` and are not in
    ``existing`` (period codes of the cluster's rounds, open or closed): their opening instant
    has come and their deadline has not passed. Only while sending is allowed (so the opening is
    announced at a decent hour)."""
    cal = calendar if calendar is not None else schedule.calendar()
    if not schedule.auto_open or not sending_allowed(now, schedule, cal, tz):
        return []
    today = now.astimezone(tz).date()
    found: list[AutoRound] = []
    for kind in schedule.auto_open:
        for period in _candidates(kind, today):
            if period.code in existing:
                continue
            candidate = auto_round(period, schedule, cal, tz)
            if candidate.opens_at <= now < candidate.deadline_end:
                found.append(candidate)
    found.sort(key=lambda r: (r.opens_at, r.period))
    return found


@dataclass(frozen=True)
class CalendarEntry:
    """One line of /calendar: a round (open now or coming) with its dates."""

    period: str
    state: Literal["open", "planned"]
    opens_on: date | None
    deadline: date
    last_day: date
    reminder_days: tuple[date, ...]
    escalate_day: date | None
    close_day: date


def upcoming_rounds(
    schedule: ScheduleSpec,
    now: datetime,
    tz: ZoneInfo,
    open_rounds: Iterable[tuple[str, date, datetime | None, bool]],
    *,
    existing: Collection[str] = (),
    horizon_days: int = 120,
    calendar: WorkingCalendar | None = None,
) -> list[CalendarEntry]:
    """Open rounds (period, deadline, opened_at, auto_opened) and, for auto-open kinds, the
    rounds that will open within ``horizon_days``, each with its reminder days from today on."""
    cal = calendar if calendar is not None else schedule.calendar()
    entries: list[CalendarEntry] = []
    for period, deadline, opened_at, auto in open_rounds:
        plan = plan_round(
            period, deadline, schedule, tz, calendar=cal, opened_at=opened_at, auto_opened=auto
        )
        entries.append(_entry(plan, "open", None))
    today = now.astimezone(tz).date()
    limit = today + timedelta(days=horizon_days)
    taken = set(existing) | {e.period for e in entries}
    for kind in schedule.auto_open:
        upcoming = _candidates(kind, today)[0]
        for _ in range(30):
            candidate = auto_round(upcoming, schedule, cal, tz)
            open_day = candidate.opens_at.astimezone(tz).date()
            if open_day > limit:
                break
            if upcoming.code not in taken and candidate.deadline_end > now:
                plan = plan_round(
                    upcoming,
                    candidate.deadline,
                    schedule,
                    tz,
                    calendar=cal,
                    opened_at=candidate.opens_at,
                    auto_opened=True,
                )
                entries.append(_entry(plan, "planned", open_day))
            upcoming = upcoming.next()
    entries = [
        replace(e, reminder_days=tuple(d for d in e.reminder_days if d >= today)) for e in entries
    ]
    entries.sort(key=lambda e: (e.deadline, e.period))
    return entries


def _entry(
    plan: RoundPlan, state: Literal["open", "planned"], opens_on: date | None
) -> CalendarEntry:
    escalate = plan.item("escalate")
    return CalendarEntry(
        period=plan.period,
        state=state,
        opens_on=opens_on,
        deadline=plan.deadline,
        last_day=plan.last_day,
        reminder_days=tuple(i.day for i in plan.reminders),
        escalate_day=escalate.day if escalate else None,
        close_day=plan.closes_at.astimezone(plan.tz).date(),
    )
