"""Opening, closing and reopening rounds; the progress the group sees; status and history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import callback_data as cb
from bot.domain.periods import PeriodError, latest_completed, parse_period
from bot.domain.roles import Action, may
from bot.services.context import Context
from bot.services.screens import Button, Outcome, Screen
from messages.formatting import parse_date
from storage import clusters, people, rounds, submissions
from storage.models import Department, Round, Submission

DEADLINE_CHOICES = (7, 15, 30)


@dataclass(frozen=True)
class OpenResult:
    round: Round | None
    problem: str | None = None
    params: dict[str, Any] | None = None


async def open_round(
    session: AsyncSession,
    cluster_id: str,
    period_text: str,
    deadline: date,
    today: date,
    by: int | None,
    now: datetime,
) -> OpenResult:
    """Shared by the chat command and the CLI; ``now`` from the caller's clock."""
    try:
        period = parse_period(period_text)
    except PeriodError:
        return OpenResult(None, "bad_period", {"value": period_text})
    if deadline < today:
        return OpenResult(None, "deadline_past", {"deadline": deadline})
    if deadline < period.start:
        return OpenResult(
            None, "deadline_before_period", {"deadline": deadline, "period": period.code}
        )
    try:
        row = await rounds.open_round(
            session, cluster_id, period.code, period.start, deadline, by, opened_at=now
        )
    except rounds.RoundExists:
        return OpenResult(None, "round_exists", {"period": period.code})
    return OpenResult(row)


async def command(session: AsyncSession, ctx: Context, args: list[str]) -> Outcome:
    """`/round`, `/round open 2023 15/01/2024`, `/round close [period]`, `/round reopen PERIOD DEPT`."""
    out = Outcome()
    if not may(ctx.actor, Action.MANAGE_ROUNDS):
        return out.add("common.not_allowed")
    assert ctx.cluster is not None
    if not args:
        return await menu(session, ctx)
    verb = args[0].lower()
    if verb in ("open", "mo", "mở") and len(args) == 3:
        try:
            deadline = parse_date(args[2])
        except ValueError:
            return out.add("rounds.bad_date", value=args[2])
        return await _open(session, ctx, args[1], deadline)
    if verb in ("close", "dong", "đóng") and len(args) <= 2:
        return await _close(session, ctx, args[1] if len(args) == 2 else None)
    if verb in ("reopen", "mo-lai") and len(args) == 3:
        return await _reopen(session, ctx, args[1], args[2])
    return out.add("rounds.usage")


async def menu(session: AsyncSession, ctx: Context) -> Outcome:
    assert ctx.cluster is not None
    open_now = await rounds.list_open_rounds(session, ctx.cluster.id)
    buttons: list[list[Button]] = [[Button("rounds.btn_open_new", cb.RoundNew().encode())]]
    for row in open_now:
        buttons.append(
            [
                Button(
                    "rounds.btn_close", cb.RoundClose(row.id or 0).encode(), {"period": row.period}
                )
            ]
        )
    return Outcome([Screen("rounds.menu", {"open_rounds": open_now}, buttons)])


async def press(session: AsyncSession, ctx: Context, data: str | None) -> Outcome:
    """The guided menu. Each step's data is re-checked: role, period, date, round state."""
    out = Outcome()
    if not may(ctx.actor, Action.MANAGE_ROUNDS):
        return out.add("common.not_allowed")
    assert ctx.cluster is not None
    try:
        pressed = cb.ROUNDS.decode(data)
    except cb.CallbackDataError:
        return out.add("common.stale_button")  # not data we ever sent: nothing happens
    if isinstance(pressed, cb.RoundNew):
        periods = [
            latest_completed(kind, ctx.today) for kind in ("year", "half", "quarter", "month")
        ]
        buttons = [
            [Button("rounds.btn_period", cb.RoundPeriod(p.code).encode(), {"period": p.code})]
            for p in periods
        ]
        return Outcome([Screen("rounds.choose_period", {}, buttons, edit=True)])
    if isinstance(pressed, cb.RoundPeriod):
        try:
            period = parse_period(pressed.period)
        except PeriodError:
            return out.add("common.stale_button")
        buttons = [
            [
                Button(
                    "rounds.btn_deadline",
                    cb.RoundOpen(period.code, ctx.today + timedelta(days=d)).encode(),
                    {"deadline": ctx.today + timedelta(days=d), "days": d},
                )
            ]
            for d in DEADLINE_CHOICES
        ]
        return Outcome(
            [Screen("rounds.choose_deadline", {"period": period.code}, buttons, edit=True)]
        )
    if isinstance(pressed, cb.RoundOpen):
        return await _open(session, ctx, pressed.period, pressed.deadline)
    assert isinstance(pressed, cb.RoundClose)
    row = await rounds.get_round(session, pressed.round_id)
    if row is None or row.cluster_id != ctx.cluster.id:
        return out.add("common.stale_button")
    return await _close(session, ctx, row.period)


async def _open(session: AsyncSession, ctx: Context, period_text: str, deadline: date) -> Outcome:
    assert ctx.cluster is not None
    result = await open_round(
        session, ctx.cluster.id, period_text, deadline, ctx.today, ctx.user_id, ctx.now
    )
    out = Outcome()
    if result.round is None:
        return out.add(f"rounds.{result.problem}", **(result.params or {}))
    out.add("rounds.opened_for_you", period=result.round.period, deadline=result.round.deadline)
    out.group_screens.append(
        Screen("rounds.opened", {"period": result.round.period, "deadline": result.round.deadline})
    )
    out.progress_round_id = result.round.id
    return out


async def _close(session: AsyncSession, ctx: Context, period_text: str | None) -> Outcome:
    assert ctx.cluster is not None
    out = Outcome()
    if period_text is None:
        open_now = await rounds.list_open_rounds(session, ctx.cluster.id)
        if len(open_now) != 1:
            return out.add("rounds.which_to_close", open_rounds=open_now)
        row: Round | None = open_now[0]
    else:
        try:
            code = parse_period(period_text).code
        except PeriodError:
            return out.add("rounds.bad_period", value=period_text)
        row = await rounds.find_round_by_period(session, ctx.cluster.id, code)
    if row is None:
        return out.add("rounds.no_such_round", value=period_text or "")
    if row.state != "open" or not await rounds.close_round(session, row, ctx.now):
        return out.add("rounds.already_closed", period=row.period)
    out.add("rounds.closed_for_you", period=row.period)
    out.progress_round_id = row.id
    return out


async def _reopen(session: AsyncSession, ctx: Context, period_text: str, slug: str) -> Outcome:
    assert ctx.cluster is not None
    out = Outcome()
    try:
        code = parse_period(period_text).code
    except PeriodError:
        return out.add("rounds.bad_period", value=period_text)
    row = await rounds.find_round_by_period(session, ctx.cluster.id, code)
    if row is None:
        return out.add("rounds.no_such_round", value=period_text)
    department = await clusters.find_department_by_slug(session, ctx.cluster.id, slug.lower())
    if department is None or department.merged_into is not None:
        names = [d.slug for d in await clusters.list_departments(session, ctx.cluster.id)]
        return out.add("rounds.unknown_department", value=slug, known=names)
    if row.state == "open":
        return out.add("rounds.still_open", period=row.period)
    assert department.id is not None
    await rounds.reopen_for(session, row, department.id, ctx.user_id, ctx.now)
    out.add("rounds.reopened_for_you", period=row.period, department=department)
    out.group_screens.append(
        Screen("rounds.reopened", {"period": row.period, "department": department})
    )
    return out


@dataclass(frozen=True)
class DepartmentStatus:
    department: Department
    submission: Submission | None
    first_at: datetime | None


async def progress(session: AsyncSession, round_id: int) -> Screen | None:
    """The one group message, edited in place: "Đã nộp: 5/7 đơn vị. Còn thiếu: ..."."""
    row = await rounds.get_round(session, round_id)
    if row is None:
        return None
    departments = await clusters.list_departments(session, row.cluster_id)
    done = await submissions.get_latest_submissions(session, round_id)
    missing = [d for d in departments if d.id not in done]
    return Screen(
        "rounds.progress",
        {
            "period": row.period,
            "deadline": row.deadline,
            "state": row.state,
            "done": len([d for d in departments if d.id in done]),
            "total": len(departments),
            "missing": missing,
        },
    )


async def status(session: AsyncSession, ctx: Context, period_text: str | None) -> Outcome:
    out = Outcome()
    if not may(ctx.actor, Action.STATUS):
        return out.add("common.not_allowed")
    assert ctx.cluster is not None
    row = await _round_for(session, ctx.cluster.id, period_text, out)
    if row is None or row.id is None:
        return out
    departments = await clusters.list_departments(session, ctx.cluster.id)
    latest = await submissions.get_latest_submissions(session, row.id)
    first = await submissions.get_first_submissions(session, row.id)
    lines = [
        DepartmentStatus(
            d, latest.get(d.id or 0), first[d.id].submitted_at if d.id in first else None
        )
        for d in departments
    ]
    out.add(
        "rounds.status",
        round=row,
        lines=lines,
        done=sum(1 for line in lines if line.submission is not None),
        total=len(lines),
        late=[
            line
            for line in lines
            if line.submission is not None and first[line.department.id or 0].late
        ],
    )
    return out


async def _round_for(
    session: AsyncSession, cluster_id: str, period_text: str | None, out: Outcome
) -> Round | None:
    if period_text:
        try:
            code = parse_period(period_text).code
        except PeriodError:
            out.add("rounds.bad_period", value=period_text)
            return None
        row = await rounds.find_round_by_period(session, cluster_id, code)
        if row is None:
            out.add("rounds.no_such_round", value=period_text)
        return row
    row = await rounds.find_latest_round(session, cluster_id)
    if row is None:
        out.add("rounds.no_rounds")
    return row


async def history(session: AsyncSession, ctx: Context, period_text: str | None) -> Outcome:
    """Every revision of the officer's department: old value, new value, who, when. A merged
    department's officers keep reading theirs; a successor's see its predecessors' too, each
    under its own name after the successor's."""
    out = Outcome()
    if not may(ctx.actor, Action.HISTORY):
        return out.add("common.not_allowed")
    assert ctx.cluster is not None and ctx.actor is not None and ctx.actor.department_id
    assert ctx.department is not None
    row = await _round_for(session, ctx.cluster.id, period_text, out)
    if row is None or row.id is None:
        return out
    indicators = await clusters.list_indicators(session, ctx.cluster.id, include_inactive=True)
    departments = [ctx.department] + [
        d
        for d in await clusters.list_departments(session, ctx.cluster.id, include_merged=True)
        if d.merged_into is not None and d.merged_into == ctx.department.slug
    ]
    shown = False
    for department in departments:
        assert department.id is not None
        revisions = await submissions.list_revisions(session, row.id, department.id)
        if not revisions:
            continue
        entries = []
        previous: dict[int, str | None] = {}
        for revision in revisions:
            person = await people.get_person(session, revision.submission.submitted_by)
            changes = [
                (i, previous.get(i.id or 0), revision.values.get(i.id or 0))
                for i in indicators
                if revision.submission.revision == 1
                or previous.get(i.id or 0) != revision.values.get(i.id or 0)
            ]
            entries.append({"submission": revision.submission, "by": person, "changes": changes})
            previous = revision.values
        out.add("rounds.history", period=row.period, department=department, entries=entries)
        shown = True
    if not shown:
        return out.add("rounds.no_history", period=row.period)
    return out
