"""Checking the year's self-scores in the chat (thẩm định, chấm chéo), the department's answer,
the head's decision and the lock.

- ``/score check [YEAR]``: the head (or an admin) closes self-scoring and starts checking; the
  group is told who checks whom; each checker department (every one in chấm chéo; with the
  head checking, the deputy, for the head's own department) is told privately, with a button
  to its card. Once checking, ``/score check`` shows a checker the departments it checks.
- The card (private; bot/services/score_cards.py): every criterion and bonus/deduction item with its maximum, the self-score
  and justification (or the bot's points), the evidence count, the adjustments made and what
  became of them, the total as it stands; "✏️ n" adjusts item n (a short conversation: the new
  points within 0..max, then a reason), "Chấp nhận" accepts the score as it stands (kept as
  history, storage/score_checks.py).
- Each adjustment is sent privately to the department's officers with "Phản hồi": one answer,
  a note, which goes to the head's officers with "Giữ điều chỉnh" / "Khôi phục điểm tự chấm".
- ``/score lock [YEAR]``: the head locks the totals, refused while an answered adjustment waits
  for a decision (each is listed again with its buttons); the ranking is posted to the group.
  An adjustment nobody answered counts as made: the department had its chance to answer, and a
  silent department must not hold the cluster's ranking back. The lock's answer names the
  departments no checker reviewed, so that the head locks knowing it.

Who may do what is checked on every command, press and answer, whatever a button says
(bot/domain/checking.py); the button data only names the session, department or adjustment,
read again here. Messages to other people go through the delivery log in the same
transaction (``FanOut("scoring")`` sends them after the commit).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import Button as DeliveryButton
from bot.delivery import markup_to_data
from bot.domain import callback_data as cb
from bot.domain.points import shown
from bot.domain.roles import Action, Role, may, may_open_scoring
from bot.domain.scoring import ScoreRefused, check_adjustment, check_extra
from bot.domain.scoring_file import ScoringTable
from bot.services import emulation
from bot.services import score_cards as cards
from bot.services.context import Context
from bot.services.pact import target_value
from bot.services.scorechat import named_year, rank_lines, refused
from bot.services.screens import Button, FanOut, Outcome, Screen
from messages.render import render
from storage import clusters, deliveries, people, score_checks, scoring
from storage.models import Department
from storage.models_emulation import ScoreAdjustment, ScoringSession

FANOUT = FanOut("scoring")  # send what the transaction queued in the delivery log
KIND = "scoring"  # the delivery log's kind of these messages
_PENDING_TEXT = "…"  # the reason comes in the next message; the points are checked first


def _stamp() -> str:
    # Each message is queued in the transaction that records what it says, so a fresh key is
    # still sent once; the key never names a row, so a restore cannot make two collide.
    return uuid.uuid4().hex[:12]


def _refusal(code: str, **params: Any) -> Outcome:
    return Outcome([refused(ScoreRefused(code, **params))])


def _state_refusal(row: ScoringSession) -> Outcome | None:
    if row.state == scoring.LOCKED:
        return _refusal("locked")
    if row.state == scoring.OPEN:
        return Outcome().add("score_checking.not_started", year=row.year)
    return None


# --- /score check -----------------------------------------------------------------------------

VERBS = {"check": "check", "tham-dinh": "check", "lock": "lock", "chot": "lock"}


async def command(
    session: AsyncSession, ctx: Context, args: list[str], private: bool = True
) -> Outcome:
    """`/score check ...` and `/score lock ...` (Vietnamese `tham-dinh`, `chot`). In a group
    both work, but the cards stay in the private chats (the list is not shown there)."""
    if VERBS[args[0].lower()] == "lock":
        return await lock_command(session, ctx, args[1:], private)
    return await check_command(session, ctx, args[1:], private)


async def _scoring_named(
    session: AsyncSession, ctx: Context, args: list[str]
) -> ScoringSession | Outcome:
    """The scoring `[YEAR]` names, or the Outcome that refuses the arguments or the year."""
    assert ctx.cluster is not None
    year = await named_year(session, ctx, args)
    if year is None:
        return Outcome().add("score_checking.usage")
    try:
        return await emulation.get_scoring(session, ctx.cluster.id, year)
    except ScoreRefused as exc:
        return Outcome([refused(exc)])


async def check_command(
    session: AsyncSession, ctx: Context, args: list[str], private: bool = True
) -> Outcome:
    """`/score check [YEAR]`: the head starts checking; afterwards, a checker's list."""
    if not may(ctx.actor, Action.SCORE):
        return Outcome().add("common.not_allowed")
    row = await _scoring_named(session, ctx, args)
    if isinstance(row, Outcome):
        return row
    year = row.year
    if row.state == scoring.LOCKED:
        return _refusal("locked")
    if row.state == scoring.OPEN:
        if not may_open_scoring(ctx.actor):
            return Outcome().add("score_checking.not_started", year=year)
        return await _start(session, ctx, row, private)
    if not private:
        return Outcome().add("score_checking.go_private")
    return await _list(session, ctx, await cards.checking_of(session, ctx, row))


async def _start(
    session: AsyncSession, ctx: Context, row: ScoringSession, private: bool
) -> Outcome:
    await emulation.start_checking(session, row, now=ctx.now)
    checking = await cards.checking_of(session, ctx, row)
    assert row.id is not None
    pairs = [(checking.checker_of(d), d) for d in checking.roll]
    # Each checker department is told privately which one it checks (in chấm chéo, every
    # department; with the head checking, the deputy, for the head's own department).
    for checker, checked in pairs:
        if checker is None or checked.id is None:
            continue
        if checking.mode == "head" and checker == checking.head:
            continue  # the head has the list in the answer to /score check
        assert checker.id is not None
        for officer in await deliveries.list_officers(session, [checker.id]):
            lang = officer.language or ctx.lang
            button = DeliveryButton(
                render(lang, "score_checking.btn_card", department=checked),
                callback_data=cb.CheckCard(row.id, checked.id).encode(),
            )
            await deliveries.enqueue(
                session,
                deliveries.Claim(
                    key=f"score:assign:{_stamp()}:{officer.person_id}",
                    kind=KIND,
                    chat_id=officer.person_id,
                    cluster_id=row.cluster_id,
                    department_id=checker.id,
                ),
                render(
                    lang,
                    "score_checking.assigned",
                    year=row.year,
                    checker=checker,
                    checked=checked,
                    peer=checking.mode == "peer",
                ),
                markup_to_data(((button,),)),
                now=ctx.now,
            )
    params = {
        "year": row.year,
        "peer": checking.mode == "peer",
        "pairs": pairs,
        "head": checking.head,
        "deputy": checking.deputy,
    }
    out = Outcome(fanouts=[FANOUT])
    out.group_screens.append(Screen("score_checking.started_group", params))
    out.add("score_checking.started", **params)
    if not private:
        return out.add("score_checking.go_private")
    listed = await _list(session, ctx, checking)
    out.screens.extend(listed.screens)
    return out


async def _list(session: AsyncSession, ctx: Context, checking: cards.Checking) -> Outcome:
    """The departments this person checks, each with its state and a button to its card; for
    the head, first where the whole checking stands."""
    allowed, checker = cards.checker_department(ctx, checking)
    if not allowed:
        return Outcome().add("common.not_allowed")
    row = checking.row
    assert row.id is not None
    adjustments = await scoring.list_adjustments(session, row)
    adjusted = {a.department_id for a in adjustments}
    reviewed = {r.department_id for r in await score_checks.list_reviews(session, row)}
    out = Outcome()
    if may_open_scoring(ctx.actor):
        out.add(
            "score_checking.progress",
            year=row.year,
            done=sum(1 for d in checking.roll if d.id in reviewed | adjusted),
            total=len(checking.roll),
            waiting=sum(1 for a in adjustments if a.answered_at and a.decision is None),
            missing=[d for d in checking.roll if d.id not in reviewed | adjusted],
        )
    departments = checking.checked_by(checker)
    if not departments:
        return out.add(
            "score_checking.nothing_to_check",
            year=checking.row.year,
            peer=checking.mode == "peer",
        )
    entries = [(d, d.id in reviewed, d.id in adjusted) for d in departments if d.id is not None]
    buttons = [
        [
            Button(
                "score_checking.btn_card",
                cb.CheckCard(row.id, d.id).encode(),
                {"department": d},
            )
        ]
        for d, _, _ in entries
        if d.id is not None
    ]
    out.screens.append(
        Screen("score_checking.list", {"year": row.year, "entries": entries}, buttons)
    )
    return out


# --- the buttons ------------------------------------------------------------------------------


async def press(
    session: AsyncSession, ctx: Context, data: str | None, private: bool = True
) -> Outcome:
    """A checking button: the data names a session and department, or an adjustment; the
    presser's role, the session's state and the assignment are read again here."""
    try:
        pressed = cb.CHECK.decode(data)
    except cb.CallbackDataError:
        return Outcome().add("common.stale_button")
    if ctx.actor is None:
        return Outcome().add("common.not_allowed")
    if not private:  # a card, a step or an answer is never shown or asked in a group
        return Outcome().add("score_checking.go_private")
    if isinstance(pressed, cb.CheckCard | cb.CheckAccept | cb.CheckAdjust):
        row = await score_checks.get_scoring_session_by_id(session, pressed.session_id)
        department = await people.get_department(session, pressed.department_id)
        if (
            row is None
            or department is None
            or row.cluster_id != ctx.actor.cluster_id
            or department.cluster_id != row.cluster_id
        ):
            return Outcome().add("common.stale_button")
        stopped = _state_refusal(row)
        if stopped is not None:
            return stopped
        checking = await cards.checking_of(session, ctx, row)
        allowed, checker = cards.checker_department(ctx, checking)
        if not allowed:
            return Outcome().add("common.not_allowed")
        code = checking.refusal(department, checker)
        if code is not None:
            return _refusal(code)
        if isinstance(pressed, cb.CheckCard):
            return Outcome([await cards.card_screen(session, ctx, checking, department)])
        if isinstance(pressed, cb.CheckAccept):
            return await _accept(session, ctx, checking, department, checker)
        return await _ask_points(session, ctx, checking, department, pressed.index)
    assert isinstance(pressed, cb.CheckAnswer | cb.CheckKeep | cb.CheckRestore)
    adjustment = await scoring.get_adjustment(session, pressed.adjustment_id)
    row = (
        await score_checks.get_scoring_session_by_id(session, adjustment.session_id)
        if adjustment is not None
        else None
    )
    if adjustment is None or row is None or row.cluster_id != ctx.actor.cluster_id:
        return Outcome().add("common.stale_button")
    stopped = _state_refusal(row)
    if stopped is not None:
        return stopped
    if isinstance(pressed, cb.CheckAnswer):
        return await _ask_answer(session, ctx, row, adjustment)
    return await _decide(session, ctx, row, adjustment, isinstance(pressed, cb.CheckKeep))


async def _accept(
    session: AsyncSession,
    ctx: Context,
    checking: cards.Checking,
    department: Department,
    checker: Department | None,
) -> Outcome:
    assert department.id is not None
    await score_checks.record_review(
        session,
        checking.row,
        department.id,
        by=ctx.user_id,
        now=ctx.now,
        checker_department_id=checker.id if checker else None,
    )
    return Outcome().add("score_checking.accepted", department=department, year=checking.row.year)


async def _ask_points(
    session: AsyncSession,
    ctx: Context,
    checking: cards.Checking,
    department: Department,
    index: int,
) -> Outcome:
    items = cards.items_of(checking.table)
    if index >= len(items) or department.id is None:
        return Outcome().add("common.stale_button")
    item = items[index]
    lines = await cards.card_lines(session, ctx, checking.row, department.id)
    await score_checks.save_check_draft(
        session,
        ctx.user_id,
        checking.row,
        department.id,
        "points",
        now=ctx.now,
        kind=item.kind,
        item=item.spec.id,
    )
    return Outcome().add(
        "score_checking.ask_points",
        item=item,
        department=department,
        current=lines[index].current,
    )


async def _ask_answer(
    session: AsyncSession, ctx: Context, row: ScoringSession, adjustment: ScoreAdjustment
) -> Outcome:
    actor = ctx.actor
    assert actor is not None and adjustment.id is not None
    if actor.role is not Role.OFFICER or actor.department_id != adjustment.department_id:
        return _refusal("not_yours")
    if adjustment.decision is not None:
        return _refusal("decided")
    if adjustment.answered_at is not None:
        return _refusal("answered")
    await score_checks.save_check_draft(
        session,
        ctx.user_id,
        row,
        adjustment.department_id,
        "answer",
        now=ctx.now,
        kind=adjustment.kind,
        item=adjustment.item,
        adjustment_id=adjustment.id,
    )
    item = cards.item_of(scoring.scoring_snapshot(row), adjustment)
    return Outcome().add("score_checking.ask_answer", item=item)


async def _decide(
    session: AsyncSession,
    ctx: Context,
    row: ScoringSession,
    adjustment: ScoreAdjustment,
    upheld: bool,
) -> Outcome:
    if not may_open_scoring(ctx.actor):
        return Outcome().add("score_checking.head_decides")
    if adjustment.answered_at is None and adjustment.decision is None:
        # Deciding first would take away the department's one answer.
        return Outcome().add("score_checking.not_answered")
    try:
        await emulation.decide_adjustment(
            session, row, adjustment.id or 0, upheld=upheld, by=ctx.user_id, now=ctx.now
        )
    except ScoreRefused as exc:
        return Outcome([refused(exc)])
    params = await _adjustment_params(session, ctx, row, adjustment)
    recipients = [adjustment.department_id]
    if adjustment.checker_department_id is not None:
        recipients.append(adjustment.checker_department_id)
    await _notify(session, ctx, row, recipients, "score_checking.decided_notice", params)
    return Outcome([Screen("score_checking.decided", params, edit=True)], fanouts=[FANOUT])


async def _adjustment_params(
    session: AsyncSession, ctx: Context, row: ScoringSession, adjustment: ScoreAdjustment
) -> dict[str, Any]:
    """What every message about one adjustment shows."""
    table = scoring.scoring_snapshot(row)
    item = cards.item_of(table, adjustment)
    lines = await cards.card_lines(session, ctx, row, adjustment.department_id)
    line = next(x for x in lines if item is not None and x.item.n == item.n)
    return {
        "year": row.year,
        "item": item,
        "department": await people.get_department(session, adjustment.department_id),
        "checker": await people.get_department(session, adjustment.checker_department_id)
        or (
            await cards.checkers_by_person(
                session, await clusters.list_departments(session, row.cluster_id)
            )
        ).get(adjustment.checked_by),
        "before": line.base,
        "after": scoring.from_cents(adjustment.points_cents),
        "reason": adjustment.reason,
        "note": adjustment.answer_note,
        "decision": adjustment.decision,
    }


async def _notify(
    session: AsyncSession,
    ctx: Context,
    row: ScoringSession,
    department_ids: Sequence[int],
    message: str,
    params: dict[str, Any],
    buttons: Sequence[tuple[str, str]] = (),
) -> None:
    """Queue `message` to every officer of these departments, in their language, with buttons
    (label message, data)."""
    for officer in await deliveries.list_officers(session, department_ids):
        lang = officer.language or ctx.lang
        markup = (
            markup_to_data(
                (tuple(DeliveryButton(render(lang, m), callback_data=d) for m, d in buttons),)
            )
            if buttons
            else None
        )
        await deliveries.enqueue(
            session,
            deliveries.Claim(
                key=f"score:{_stamp()}:{officer.person_id}",
                kind=KIND,
                chat_id=officer.person_id,
                cluster_id=row.cluster_id,
                department_id=officer.department_id,
            ),
            render(lang, message, **params),
            markup,
            now=ctx.now,
        )


# --- the conversation: points, reason, answer -------------------------------------------------


async def has_draft(session: AsyncSession, person_id: int) -> bool:
    return await score_checks.get_check_draft(session, person_id) is not None


async def answer(session: AsyncSession, ctx: Context, text: str) -> Outcome | None:
    """The next private message of a checker adjusting, or of an officer answering (None: no
    step in progress, not ours)."""
    draft = await score_checks.get_check_draft(session, ctx.user_id)
    if draft is None:
        return None
    if text.strip().split("@")[0] == "/cancel":
        await score_checks.delete_check_draft(session, ctx.user_id)
        return Outcome().add("score_checking.cancelled")
    row = await score_checks.get_scoring_session_by_id(session, draft.session_id)
    department = await people.get_department(session, draft.department_id)
    stopped = _state_refusal(row) if row is not None else Outcome().add("common.stale_button")
    if row is None or department is None or stopped is not None:
        await score_checks.delete_check_draft(session, ctx.user_id)
        return stopped or Outcome().add("common.stale_button")
    if draft.step == "answer":
        return await _answer_note(session, ctx, row, draft.adjustment_id or 0, text)
    checking = await cards.checking_of(session, ctx, row)
    allowed, checker = cards.checker_department(ctx, checking)
    code = checking.refusal(department, checker) if allowed else "not_your_check"
    if code is not None:
        await score_checks.delete_check_draft(session, ctx.user_id)
        return _refusal(code)
    item = next(
        (
            i
            for i in cards.items_of(checking.table)
            if (i.kind, i.spec.id) == (draft.kind, draft.item)
        ),
        None,
    )
    if item is None:
        await score_checks.delete_check_draft(session, ctx.user_id)
        return Outcome().add("common.stale_button")
    if draft.step == "points":
        return await _take_points(session, ctx, checking, department, item, text)
    assert draft.points_cents is not None
    return await _take_reason(
        session,
        ctx,
        checking,
        department,
        checker,
        item,
        scoring.from_cents(draft.points_cents),
        text,
    )


def _check_points(table: ScoringTable, item: cards.Item, value: Decimal) -> Decimal:
    if item.kind == "criterion":
        return check_adjustment(table, item.spec.id, value, _PENDING_TEXT).points
    return check_extra(getattr(table, emulation.EXTRA_KINDS[item.kind]), item.spec.id, value)


async def _take_points(
    session: AsyncSession,
    ctx: Context,
    checking: cards.Checking,
    department: Department,
    item: cards.Item,
    text: str,
) -> Outcome:
    value = None if text.strip().endswith("%") else target_value(text)
    try:
        if value is None:
            raise ScoreRefused("bad_points", value=text.strip(), max=shown(item.spec.max))
        points = _check_points(checking.table, item, value)
    except ScoreRefused as exc:
        out = Outcome([refused(exc)])
        assert department.id is not None
        lines = await cards.card_lines(session, ctx, checking.row, department.id)
        return out.add(
            "score_checking.ask_points",
            item=item,
            department=department,
            current=lines[item.n - 1].current,
        )
    assert department.id is not None
    await score_checks.save_check_draft(
        session,
        ctx.user_id,
        checking.row,
        department.id,
        "reason",
        now=ctx.now,
        kind=item.kind,
        item=item.spec.id,
        points_cents=scoring.to_cents(points),
    )
    return Outcome().add("score_checking.ask_reason", item=item, points=points)


async def _take_reason(
    session: AsyncSession,
    ctx: Context,
    checking: cards.Checking,
    department: Department,
    checker: Department | None,
    item: cards.Item,
    points: Decimal,
    text: str,
) -> Outcome:
    row = checking.row
    assert department.id is not None
    try:
        adjustment = await emulation.adjust(
            session,
            row,
            department.id,
            item.kind,
            item.spec.id,
            points,
            text,
            by=ctx.user_id,
            now=ctx.now,
            # chấm chéo: the service checks the rotation again; the head's side records None
            checker_department_id=checker.id if checker and checking.mode == "peer" else None,
        )
    except ScoreRefused as exc:
        out = Outcome([refused(exc)])
        return out.add("score_checking.ask_reason", item=item, points=points)
    await score_checks.delete_check_draft(session, ctx.user_id)
    assert adjustment.id is not None
    params = await _adjustment_params(session, ctx, row, adjustment)
    params["checker"] = checker
    await _notify(
        session,
        ctx,
        row,
        [department.id],
        "score_checking.adjusted_notice",
        params,
        [("score_checking.btn_answer", cb.CheckAnswer(adjustment.id).encode())],
    )
    out = Outcome(fanouts=[FANOUT]).add("score_checking.adjusted", **params)
    out.screens.append(await cards.card_screen(session, ctx, checking, department))
    return out


async def _answer_note(
    session: AsyncSession, ctx: Context, row: ScoringSession, adjustment_id: int, text: str
) -> Outcome:
    actor = ctx.actor
    if actor is None or actor.role is not Role.OFFICER or actor.department_id is None:
        await score_checks.delete_check_draft(session, ctx.user_id)
        return _refusal("not_yours")
    try:
        adjustment = await emulation.answer_adjustment(
            session, row, adjustment_id, actor.department_id, text, by=ctx.user_id, now=ctx.now
        )
    except ScoreRefused as exc:
        if exc.code in ("reason_needed", "too_long"):
            return Outcome([refused(exc)])  # the same step: send the note again
        await score_checks.delete_check_draft(session, ctx.user_id)
        return Outcome([refused(exc)])
    await score_checks.delete_check_draft(session, ctx.user_id)
    assert adjustment.id is not None
    params = await _adjustment_params(session, ctx, row, adjustment)
    holders = await clusters.get_current_offices(session, row.cluster_id, ctx.today.year)
    head = holders.get("head")
    if head is not None:
        await _notify(
            session,
            ctx,
            row,
            [head],
            "score_checking.answered_notice",
            params,
            _decision_buttons(adjustment.id),
        )
    checker = adjustment.checker_department_id
    if checker is not None and checker != head:  # chấm chéo: the checker reads the answer too
        await _notify(session, ctx, row, [checker], "score_checking.answered_checker", params)
    return Outcome(fanouts=[FANOUT]).add("score_checking.answered", **params)


def _decision_buttons(adjustment_id: int) -> list[tuple[str, str]]:
    return [
        ("score_checking.btn_keep", cb.CheckKeep(adjustment_id).encode()),
        ("score_checking.btn_restore", cb.CheckRestore(adjustment_id).encode()),
    ]


# --- /score lock ------------------------------------------------------------------------------


async def lock_command(
    session: AsyncSession, ctx: Context, args: list[str], private: bool = True
) -> Outcome:
    """`/score lock [YEAR]`: the head locks the final totals; the group gets the ranking."""
    if not may_open_scoring(ctx.actor):
        return Outcome().add("score_checking.head_locks")
    row = await _scoring_named(session, ctx, args)
    if isinstance(row, Outcome):
        return row
    year = row.year
    stopped = _state_refusal(row)
    if stopped is not None:
        return stopped
    adjustments = await scoring.list_adjustments(session, row)
    waiting = [a for a in adjustments if a.answered_at is not None and a.decision is None]
    if waiting:
        out = Outcome().add("score_checking.lock_waiting", year=year, count=len(waiting))
        for adjustment in waiting:
            assert adjustment.id is not None
            params = await _adjustment_params(session, ctx, row, adjustment)
            buttons = [[Button(m, d) for m, d in _decision_buttons(adjustment.id)]]
            out.screens.append(Screen("score_checking.answered_notice", params, buttons))
        return out
    checking = await cards.checking_of(session, ctx, row)
    reviewed = {r.department_id for r in await score_checks.list_reviews(session, row)}
    reviewed |= {a.department_id for a in adjustments}
    unreviewed = [d for d in checking.roll if d.id not in reviewed]
    ranked = await emulation.lock_scoring(
        session, row, by=ctx.user_id, now=ctx.now, today=ctx.today
    )
    departments = {
        d.slug: d
        for d in await clusters.list_departments(session, row.cluster_id, include_merged=True)
    }
    ranking = Screen(
        "score.ranking",
        {
            "year": year,
            "scale": checking.table.scale,
            "lines": rank_lines(ranked, checking.table.groups, departments),
            "tie_break": bool(checking.table.tie_break),
        },
    )
    out = Outcome()
    out.group_screens.extend([Screen("score_checking.locked_group", {"year": year}), ranking])
    out.add("score_checking.locked", year=year, unreviewed=unreviewed, count=len(adjustments))
    if private:  # in the group, the group's own post shows it
        out.screens.append(ranking)
    return out
