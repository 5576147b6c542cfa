"""/election, /vote, /minutes, the ballot buttons, and the timed steps of an election.

Every press is checked again in the database (`storage.elections`): the button data only names
a round and a choice. Receipts go straight to the department's officers, never through the
delivery log (a row there names the department next to the text). Group posts that announce a
state change (opened, result, handover) are queued in the delivery log in the same transaction
as the change, so they go out exactly once even across a restart.
"""

from __future__ import annotations

import io
import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.clock import clock_of
from bot.delivery import deliver_queued
from bot.domain import elections as rules
from bot.domain.callback_data import BALLOT_PATTERN, ELECTION
from bot.domain.elections import ABSTAIN, Mode, may_manage_elections, may_vote
from bot.domain.periods import MAX_YEAR, MIN_YEAR
from bot.handlers.replying import (
    context_for,
    db_of,
    inline_markup,
    is_private,
    reply_html,
    settings_of,
)
from bot.publishing.menus import set_user_menu
from bot.publishing.outbox import queue_live, wall_clock
from bot.scheduler import get_scheduler
from bot.services.context import Context
from messages.render import render
from storage import clusters, people
from storage import elections as store
from storage.database import Database
from storage.deliveries import Claim, enqueue
from storage.models import Department
from storage.models_elections import Election, ElectionOffice, ElectionRound

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Small helpers


async def _edit_or_reply(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    query = update.callback_query
    message = query.message if query is not None else None
    if isinstance(message, Message):
        try:
            edited = await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
            return edited if isinstance(edited, Message) else message
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return message
    return await reply_html(update, text, markup)


async def _answer(update: Update, text: str | None = None) -> None:
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(text)
        except TelegramError:
            pass


def _group_lang(context_or_app: object) -> str:
    app = getattr(context_or_app, "application", context_or_app)
    return str(app.bot_data["settings"].language)  # type: ignore[attr-defined]


async def _departments(session: AsyncSession, cluster_id: str) -> dict[int, Department]:
    return await store.departments_by_id(session, cluster_id)


async def _flush_queue(app: Application) -> None:
    """Send what the transaction just queued (the scheduler's tick would, a little later)."""
    scheduler = get_scheduler(app)
    try:
        await deliver_queued(
            app.bot_data["db"], scheduler.send, pacer=scheduler.pacer, owner=scheduler.owner
        )
    except Exception:  # noqa: BLE001 - the rows stay queued; the next tick sends them
        log.exception("could not send queued election messages")


async def _queue_group(
    session: AsyncSession, election: Election, key: str, text: str, markup: object = None
) -> None:
    cluster = await clusters.get_cluster(session, election.cluster_id)
    if cluster is None or cluster.group_chat_id is None:
        return
    await enqueue(
        session,
        Claim(key=key, kind="election", chat_id=cluster.group_chat_id, cluster_id=cluster.id),
        text,
        markup,
    )


# --------------------------------------------------------------------------------------------
# Live turnout in the group


async def refresh_turnout(app: Application, round_id: int) -> None:
    """The group's turnout message must show the newest count: queued, sent by the worker."""
    db: Database = app.bot_data["db"]
    async with db.session() as session:
        round_ = await store.get_round(session, round_id)
        election = await store.get_election(session, round_.election_id) if round_ else None
        cluster = await clusters.get_cluster(session, election.cluster_id) if election else None
        if cluster is None or cluster.group_chat_id is None:
            return
        await queue_live(
            session, "turnout", round_id, cluster.group_chat_id, _group_lang(app), now=wall_clock()
        )
    app.bot_data["effects"].wake()


# --------------------------------------------------------------------------------------------
# Opening, closing, deciding: the state changes, each with its group post queued


async def _opened_texts(
    session: AsyncSession, election: Election, lang: str, bot_username: str | None
) -> str:
    assert election.id is not None
    offices = await store.list_offices(session, election.id)
    round_ = await store.open_round(session, election.id)
    return render(
        lang,
        "elections.opened",
        election=election,
        offices=offices,
        roll=await store.roll_of(session, election.id),
        departments=await _departments(session, election.cluster_id),
        fingerprint=rules.short_fingerprint(election.roll_fingerprint),
        closes_at=round_.closes_at if round_ else election.closes_at,
        bot_username=bot_username,
    )


async def open_and_announce(app: Application, election_id: int, now: datetime) -> str | None:
    """Open the election; the group gets the roll and its fingerprint. Returns the opening
    text, or None when it could not be opened (the reason is logged)."""
    db: Database = app.bot_data["db"]
    lang = _group_lang(app)
    try:
        async with db.session() as session:
            election = await store.open_election(session, election_id, now)
            text = await _opened_texts(session, election, lang, app.bot.username)
            await _queue_group(session, election, f"election:{election_id}:opened", text)
            round_ = await store.open_round(session, election_id)
    except store.ElectionError as exc:
        log.info("election %s not opened: %s", election_id, exc)
        return None
    await _flush_queue(app)
    if round_ is not None and round_.id is not None:
        await refresh_turnout(app, round_.id)
    return text


async def _closed_text(
    session: AsyncSession, closed: store.RoundClosed, lang: str
) -> tuple[Election, str]:
    election = await store.get_election(session, closed.round.election_id)
    assert election is not None and election.id is not None
    offices = await store.list_offices(session, election.id)
    departments = await _departments(session, election.cluster_id)
    next_office = None
    next_closes_at = None
    if (
        closed.next_round is not None
        and closed.next_round.office_position != closed.office.position
    ):
        next_office = offices[closed.next_round.office_position]
        next_closes_at = closed.next_round.closes_at
    text = render(
        lang,
        "elections.result",
        election=election,
        rules=store.rules_of(election),
        office=closed.office,
        tally=closed.tally,
        departments=departments,
        receipts=closed.receipts,
        next_office=next_office,
        next_closes_at=next_closes_at,
    )
    if election.mode == Mode.OPEN.value:
        minutes = await store.load_minutes(session, election.id)
        record = next(
            r
            for r in minutes.rounds
            if r.tally.round_no == closed.tally.round_no
            and r.office_index == closed.office.position
        )
        text += "\n\n" + render(
            lang, "elections.open_choices", choices=record.open_choices, departments=departments
        )
    if (
        closed.next_round is not None
        and closed.next_round.office_position == closed.office.position
    ):
        text += "\n\n" + render(
            lang,
            "elections.ballot_invite",
            office=closed.office,
            round_no=closed.next_round.number,
            closes_at=closed.next_round.closes_at,
        )
    if closed.election_closed:
        text += "\n\n" + render(
            lang,
            "elections.election_done",
            election=election,
            offices=offices,
            departments=departments,
        )
    return election, text


async def close_and_announce(
    app: Application, round_id: int, now: datetime, closed_by: int | None
) -> store.RoundClosed | None:
    """Count a round and post the result; None when someone else closed it first."""
    db: Database = app.bot_data["db"]
    lang = _group_lang(app)
    async with db.session() as session:
        closed = await store.close_round(session, round_id, now, closed_by)
        if closed is None:
            return None
        _, text = await _closed_text(session, closed, lang)
        election = await store.get_election(session, closed.round.election_id)
        assert election is not None
        await _queue_group(session, election, f"election:round:{round_id}:result", text)
    await refresh_turnout(app, round_id)
    await _flush_queue(app)
    if closed.next_round is not None and closed.next_round.id is not None:
        await refresh_turnout(app, closed.next_round.id)
    return closed


async def tick(app: Application) -> None:
    """What is due now: openings, closings, handovers. Safe to run twice (each step is claimed
    in the database first)."""
    db: Database = app.bot_data["db"]
    now = clock_of(app.bot_data)()
    async with db.session() as session:
        openings = await store.due_openings(session, now)
        closings = await store.due_rounds(session, now)
    for election_id in openings:
        await open_and_announce(app, election_id, now)
    for round_id in closings:
        await close_and_announce(app, round_id, now, None)
    await handovers(app, now)


async def handovers(app: Application, now: datetime) -> None:
    """On the first day of the new term: tell the group who now holds the offices."""
    db: Database = app.bot_data["db"]
    lang = _group_lang(app)
    year = now.astimezone(app.bot_data["settings"].tz).year
    queued = False
    handed_over: list[str] = []
    async with db.session() as session:
        for election in await store.due_handovers(session, year):
            assert election.id is not None
            if not await store.mark_handover_announced(session, election.id, now):
                continue
            offices = [
                o
                for o in await store.list_offices(session, election.id)
                if o.role in store.HANDOVER_ROLES and o.department_id is not None
            ]
            if not offices:
                continue
            text = render(
                lang,
                "elections.handover",
                term=election.term,
                offices=offices,
                departments=await _departments(session, election.cluster_id),
            )
            await _queue_group(session, election, f"election:{election.id}:handover", text)
            handed_over.append(election.cluster_id)
            queued = True
    if queued:
        await _flush_queue(app)
    # The new head's and deputy's officers get the head's commands in their menu (and the old
    # ones lose them); permissions themselves are worked out afresh on every update.
    for cluster_id in handed_over:
        async with db.session() as session:
            members = await people.members_of(session, cluster_id)
        for member in members:
            await set_user_menu(app, member.person_id)


async def _tick_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await tick(context.application)
    except Exception:  # noqa: BLE001 - the next tick tries again
        log.exception("election tick failed")


# --------------------------------------------------------------------------------------------
# /election: set up, follow, close early, cancel, decide


def _draft_screen(
    lang: str,
    election: Election,
    offices: list[ElectionOffice],
    departments: dict[int, Department],
    candidates: list[int],
    outgoing_head: int | None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    plan = rules.ElectionPlan(
        title=election.title,
        term=election.term,
        offices=tuple(rules.OfficeSpec(o.role, o.label, o.label_en) for o in offices),
        rules=store.rules_of(election),
    )
    text = render(
        lang,
        "elections.draft",
        plan=plan,
        term=election.term,
        departments=departments,
        candidates=candidates,
        closes_at=election.closes_at,
        outgoing_head=outgoing_head,
    )
    assert election.id is not None
    markup = inline_markup(
        [
            [(render(lang, "elections.btn_open"), rules.manage_data("open", election.id))],
            [
                (
                    render(lang, "elections.btn_mode", mode=election.mode),
                    rules.manage_data("mode", election.id),
                )
            ],
            [
                (
                    render(lang, "elections.btn_duration", hours=election.voting_minutes // 60),
                    rules.manage_data("dur", election.id),
                )
            ],
            [(render(lang, "elections.btn_cancel"), rules.manage_data("discard", election.id))],
        ]
    )
    return text, markup


async def _draft_view(
    session: AsyncSession, ctx: Context, election: Election
) -> tuple[str, InlineKeyboardMarkup | None]:
    assert election.id is not None and ctx.cluster is not None
    departments = await _departments(session, ctx.cluster.id)
    roll = [d.id for d in await clusters.list_departments(session, ctx.cluster.id) if d.id]
    outgoing = (await clusters.current_offices(session, ctx.cluster.id, election.term - 1)).get(
        "head"
    )
    offices = await store.list_offices(session, election.id)
    candidates = await store.election_candidates(session, election, roll)
    eligible = rules.eligible_candidates(
        0, [o.role for o in offices], candidates, store.rules_of(election), outgoing, {}
    )
    return _draft_screen(ctx.lang, election, offices, departments, list(eligible), outgoing)


async def _status_view(
    session: AsyncSession, ctx: Context, election: Election
) -> tuple[str, InlineKeyboardMarkup | None]:
    assert election.id is not None
    departments = await _departments(session, election.cluster_id)
    offices = await store.list_offices(session, election.id)
    pending = await store.pending_decision(session, election.id)
    if pending is not None:
        office, choices = pending
        text = render(
            ctx.lang, "elections.decide_prompt", office=office, candidates_count=len(choices)
        )
        rows = [
            [
                (
                    departments[c].name
                    if ctx.lang != "en"
                    else departments[c].name_en or departments[c].name,
                    rules.manage_data("dec", election.id, c),
                )
            ]
            for c in choices
        ]
        return text, inline_markup(rows)
    round_ = await store.open_round(session, election.id)
    if round_ is None or round_.id is None:
        return render(ctx.lang, "elections.no_open_round"), None
    voted, total = await store.turnout(session, round_.id)
    names = [
        departments[d].name if ctx.lang != "en" else departments[d].name_en or departments[d].name
        for d in await store.voted_departments(session, round_.id)
    ]
    text = render(
        ctx.lang,
        "elections.status",
        election=election,
        office=offices[round_.office_position],
        round_no=round_.number,
        voted=voted,
        total=total,
        voted_names=names,
        closes_at=round_.closes_at,
    )
    markup = inline_markup(
        [
            [(render(ctx.lang, "elections.btn_close_now"), rules.manage_data("close", round_.id))],
            [(render(ctx.lang, "elections.btn_cancel"), rules.manage_data("cancel", election.id))],
        ]
    )
    return text, markup


async def election_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = [a.lower() for a in (context.args or [])]
    action = args[0] if args else ""
    term: int | None = None
    # A term is four ASCII digits within the years periods know; "²⁰²⁴" and "٢٠٢٤" are not.
    if action.isascii() and action.isdecimal() and len(action) == 4:
        if MIN_YEAR <= int(action) <= MAX_YEAR:
            term, action = int(action), ""
    async with db_of(context).session() as session:
        ctx = await context_for(update, context, session)
        if ctx.actor is None or ctx.cluster is None:
            text, markup = render(ctx.lang, "onboarding.stranger"), None
        elif action not in ("", "close", "cancel"):
            text, markup = render(ctx.lang, "elections.usage"), None
        elif not may_manage_elections(ctx.actor):
            text, markup = render(ctx.lang, "elections.not_allowed"), None
        else:
            active = await store.active_election(session, ctx.cluster.id)
            if action == "cancel":
                if active is None or active.id is None:
                    text, markup = render(ctx.lang, "elections.no_open_round"), None
                else:
                    await store.cancel_election(session, active.id, ctx.now)
                    text, markup = render(ctx.lang, "elections.cancelled", title=active.title), None
            elif action == "close":
                round_ = (
                    await store.open_round(session, active.id) if active and active.id else None
                )
                if round_ is None or round_.id is None:
                    text, markup = render(ctx.lang, "elections.no_open_round"), None
                else:
                    text, markup = await _close_prompt(session, ctx, round_)
            elif active is not None:
                text, markup = await _status_view(session, ctx, active)
            else:
                draft = await store.draft_election(session, ctx.cluster.id)
                if draft is None:
                    term = term or ctx.today.year + 1
                    # The cluster file's [elections] rules (validated at init), else the defaults.
                    cluster_rules, _ = rules.parse_election_rules(
                        clusters.election_rules_table(ctx.cluster)
                    )
                    plan = rules.default_plan(
                        term,
                        render(settings_of(context).language, "elections.default_title", term=term),
                        rules=cluster_rules,
                        now=ctx.now,
                    )
                    draft = await store.create_election(
                        session, ctx.cluster.id, plan, ctx.user_id, ctx.now, draft=True
                    )
                text, markup = await _draft_view(session, ctx, draft)
    await reply_html(update, text, markup)


async def _close_prompt(
    session: AsyncSession, ctx: Context, round_: ElectionRound
) -> tuple[str, InlineKeyboardMarkup | None]:
    assert round_.id is not None
    voted, total = await store.turnout(session, round_.id)
    if voted < total:
        return render(ctx.lang, "elections.close_not_all", voted=voted, total=total), None
    return render(ctx.lang, "elections.confirm_close", voted=voted, total=total), inline_markup(
        [
            [
                (
                    render(ctx.lang, "elections.btn_close_now"),
                    rules.manage_data("closeok", round_.id),
                ),
                (render(ctx.lang, "elections.btn_keep_open"), rules.manage_data("keep", round_.id)),
            ]
        ]
    )


async def manage_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    parsed = rules.parse_manage_data(query.data or "")
    app = context.application
    if parsed is None:  # not data we ever sent: said so, nothing changes
        await _answer(update)
        async with db_of(context).session() as session:
            ctx = await context_for(update, context, session)
        await reply_html(update, render(ctx.lang, "common.stale_button"))
        return
    action, target, extra = parsed
    after: tuple[str, int] | None = None
    async with db_of(context).session() as session:
        ctx = await context_for(update, context, session)
        text: str | None
        markup: InlineKeyboardMarkup | None = None
        if not may_manage_elections(ctx.actor) or ctx.cluster is None:
            text = render(ctx.lang, "elections.not_allowed")
        else:
            text, markup, after = await _manage(session, ctx, action, target, extra)
    await _answer(update)
    if after is not None and after[0] == "open":
        opened = await open_and_announce(app, after[1], ctx.now)
        if opened is None:
            text = render(ctx.lang, "elections.problems", codes=["already_running"])
        else:
            text = opened
        markup = None
    elif after is not None and after[0] == "decided":
        await _flush_queue(app)
        if after[1]:
            await refresh_turnout(app, after[1])
    elif after is not None and after[0] == "close":
        closed = await close_and_announce(app, after[1], ctx.now, ctx.user_id)
        if closed is not None:
            async with db_of(context).session() as session:
                _, text = await _closed_text(session, closed, ctx.lang)
        markup = None
    if text is not None:
        await _edit_or_reply(update, text, markup)


async def _manage(
    session: AsyncSession, ctx: Context, action: str, target: int, extra: int | None
) -> tuple[str | None, InlineKeyboardMarkup | None, tuple[str, int] | None]:
    """One management press, re-checked: the target must belong to the actor's cluster."""
    assert ctx.cluster is not None
    if action in ("open", "mode", "dur", "discard"):
        election = await store.get_election(session, target)
        if election is None or election.cluster_id != ctx.cluster.id or election.state != "draft":
            return render(ctx.lang, "elections.draft_cancelled"), None, None
        if action == "discard":
            await store.discard_draft(session, target)
            return render(ctx.lang, "elections.draft_cancelled"), None, None
        if action == "open":
            roll = [d.id for d in await clusters.list_departments(session, ctx.cluster.id) if d.id]
            outgoing = (
                await clusters.current_offices(session, ctx.cluster.id, election.term - 1)
            ).get("head")
            offices = [o.role for o in await store.list_offices(session, target)]
            candidates = await store.election_candidates(session, election, roll)
            problems = rules.staffing_problems(
                offices, candidates, store.rules_of(election), outgoing
            )
            if problems:
                return (
                    render(ctx.lang, "elections.problems", codes=["too_few_candidates", *problems]),
                    None,
                    None,
                )
            return None, None, ("open", target)
        if action == "mode":
            mode = Mode.OPEN if election.mode == Mode.SECRET.value else Mode.SECRET
            election = await store.update_draft(session, target, mode=mode) or election
        else:
            minutes = rules.next_duration_choice(election.voting_minutes)
            election = (
                await store.update_draft(session, target, voting_minutes=minutes, now=ctx.now)
                or election
            )
        text, markup = await _draft_view(session, ctx, election)
        return text, markup, None
    if action in ("close", "closeok", "keep"):
        round_ = await store.get_round(session, target)
        election = await store.get_election(session, round_.election_id) if round_ else None
        if (
            round_ is None
            or election is None
            or election.cluster_id != ctx.cluster.id
            or round_.state != "open"
        ):
            return render(ctx.lang, "elections.no_open_round"), None, None
        if action == "keep":
            text, markup = await _status_view(session, ctx, election)
            return text, markup, None
        if action == "close":
            text, markup = await _close_prompt(session, ctx, round_)
            return text, markup, None
        voted, total = await store.turnout(session, target)
        if voted < total:
            return render(ctx.lang, "elections.close_not_all", voted=voted, total=total), None, None
        return None, None, ("close", target)
    election = await store.get_election(session, target)
    if election is None or election.cluster_id != ctx.cluster.id:
        return render(ctx.lang, "elections.no_open_round"), None, None
    if action == "cancel":
        if await store.cancel_election(session, target, ctx.now):
            return render(ctx.lang, "elections.cancelled", title=election.title), None, None
        return render(ctx.lang, "elections.no_open_round"), None, None
    # action == "dec": the head decides after the last round
    if extra is None:
        return None, None, None
    try:
        next_round = await store.decide_office(session, target, extra, ctx.user_id, ctx.now)
    except store.ElectionError:
        return render(ctx.lang, "elections.no_open_round"), None, None
    lang = ctx.lang
    departments = await _departments(session, election.cluster_id)
    offices = await store.list_offices(session, target)
    decided = next(o for o in offices if o.department_id == extra and o.state == "decided")
    text = render(
        lang, "elections.decided", department=departments[extra], office=decided, term=election.term
    )
    if next_round is not None:
        text += "\n\n" + render(
            lang,
            "elections.ballot_invite",
            office=offices[next_round.office_position],
            round_no=next_round.number,
            closes_at=next_round.closes_at,
        )
    else:
        election = await store.get_election(session, target) or election
        text += "\n\n" + render(
            lang,
            "elections.election_done",
            election=election,
            offices=offices,
            departments=departments,
        )
    await _queue_group(session, election, f"election:{target}:decided:{decided.position}", text)
    return text, None, ("decided", next_round.id if next_round and next_round.id else 0)


# --------------------------------------------------------------------------------------------
# Voting


def _ballot_markup(
    lang: str,
    round_id: int,
    candidates: list[int],
    departments: dict[int, Department],
    key: str | None = None,
) -> InlineKeyboardMarkup | None:
    def data(choice: int) -> str:
        if key is None:
            return rules.vote_data(round_id, choice)
        return rules.replace_vote_data(round_id, choice, key)

    rows = [
        [(render(lang, "elections.choice_name", choice=c, departments=departments), data(c))]
        for c in candidates
    ]
    rows.append([(render(lang, "elections.btn_abstain"), data(ABSTAIN))])
    return inline_markup(rows)


async def vote_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    async with db_of(context).session() as session:
        ctx = await context_for(update, context, session)
        if not is_private(update):
            text, markup = render(ctx.lang, "elections.private_only"), None
        elif ctx.actor is None or ctx.cluster is None:
            text, markup = render(ctx.lang, "onboarding.stranger"), None
        elif not may_vote(ctx.actor):
            text, markup = render(ctx.lang, "elections.refused", reason="no_department"), None
        else:
            text, markup = await _ballot_view(session, ctx)
    await reply_html(update, text, markup)


async def _ballot_view(
    session: AsyncSession, ctx: Context
) -> tuple[str, InlineKeyboardMarkup | None]:
    assert ctx.cluster is not None and ctx.actor is not None
    election = await store.active_election(session, ctx.cluster.id)
    round_ = await store.open_round(session, election.id) if election and election.id else None
    if election is None or round_ is None or round_.id is None:
        return render(ctx.lang, "elections.no_open_round"), None
    offices = await store.list_offices(session, election.id)  # type: ignore[arg-type]
    office = offices[round_.office_position]
    department_id = ctx.actor.department_id
    assert department_id is not None
    if department_id not in await store.roll_of(session, election.id):  # type: ignore[arg-type]
        return render(ctx.lang, "elections.refused", reason="not_on_roll"), None
    voted = await store.department_has_voted(session, round_.id, department_id)
    if voted and election.mode == Mode.SECRET.value:
        return render(ctx.lang, "elections.already_voted", office=office), None
    if voted and not election.allow_replace:
        return render(ctx.lang, "elections.refused", reason="already_voted"), None
    departments = await _departments(session, election.cluster_id)
    text = render(
        ctx.lang,
        "elections.ballot",
        election=election,
        office=office,
        round_no=round_.number,
        closes_at=round_.closes_at,
        voted=voted,
    )
    candidates = await store.round_candidates(session, round_.id)
    return text, _ballot_markup(ctx.lang, round_.id, candidates, departments)


async def ballot_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ev: cast, er: show the replacement ballot, ex: replace. All re-checked in the database."""
    query = update.callback_query
    assert query is not None
    data = rules.parse_button(query.data or "")
    app = context.application
    notify: list[tuple[int, str, InlineKeyboardMarkup | None]] = []
    turnout_round: int | None = None
    async with db_of(context).session() as session:
        ctx = await context_for(update, context, session)
        markup: InlineKeyboardMarkup | None = None
        edit = False
        if data is None:
            text = render(ctx.lang, "elections.refused", reason="forged")
        elif not is_private(update) or not may_vote(ctx.actor):
            text = render(ctx.lang, "elections.refused", reason="no_department")
        else:
            assert ctx.actor is not None
            department_id = ctx.actor.department_id
            round_ = await store.get_round(session, data.round_id)
            election = await store.get_election(session, round_.election_id) if round_ else None
            if round_ is None or election is None or election.cluster_id != ctx.actor.cluster_id:
                text = render(ctx.lang, "elections.refused", reason="stale")
            elif data.kind == "replace_start":
                text, markup = await _replace_view(session, ctx, election, round_, data.key)
            else:
                replacing = data.kind == "replace_vote" or (
                    election.mode == Mode.OPEN.value
                    and department_id is not None
                    and await store.department_has_voted(session, round_.id, department_id)  # type: ignore[arg-type]
                )
                if replacing:
                    result = await store.replace_vote(
                        session,
                        data.round_id,
                        department_id,
                        ctx.user_id,
                        data.choice,
                        ctx.now,
                        key=data.key or None,
                    )
                else:
                    result = await store.cast_vote(
                        session, data.round_id, department_id, ctx.user_id, data.choice, ctx.now
                    )
                if not result.ok:
                    text = render(ctx.lang, "elections.refused", reason=result.status)
                    if result.status == "already_voted":
                        offices = await store.list_offices(session, election.id)  # type: ignore[arg-type]
                        text = render(
                            ctx.lang,
                            "elections.already_voted",
                            office=offices[round_.office_position],
                        )
                else:
                    edit = True
                    turnout_round = data.round_id
                    text, markup, notify = await _receipts(
                        session, ctx, election, round_, data.choice, result
                    )
    await _answer(update)
    if edit:
        await _edit_or_reply(update, text, markup)
    else:
        await reply_html(update, text, markup)
    for chat_id, other_text, other_markup in notify:
        try:
            await app.bot.send_message(
                chat_id, other_text, parse_mode=ParseMode.HTML, reply_markup=other_markup
            )
        except TelegramError as exc:
            log.info("receipt copy not delivered to an officer: %s", type(exc).__name__)
    if turnout_round is not None:
        await refresh_turnout(app, turnout_round)


async def _replace_view(
    session: AsyncSession, ctx: Context, election: Election, round_: ElectionRound, key: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    assert round_.id is not None and election.id is not None
    if round_.state != "open" or round_.closes_at <= ctx.now:
        return render(
            ctx.lang,
            "elections.refused",
            reason="stale" if round_.state != "open" else "round_closed",
        ), None
    if not election.allow_replace:
        return render(ctx.lang, "elections.refused", reason="replace_locked"), None
    offices = await store.list_offices(session, election.id)
    text = render(
        ctx.lang,
        "elections.replace_ballot",
        election=election,
        office=offices[round_.office_position],
        round_no=round_.number,
        closes_at=round_.closes_at,
    )
    departments = await _departments(session, election.cluster_id)
    candidates = await store.round_candidates(session, round_.id)
    return text, _ballot_markup(ctx.lang, round_.id, candidates, departments, key=key)


async def _receipts(
    session: AsyncSession,
    ctx: Context,
    election: Election,
    round_: ElectionRound,
    choice: int,
    result: store.VoteResult,
) -> tuple[str, InlineKeyboardMarkup | None, list[tuple[int, str, InlineKeyboardMarkup | None]]]:
    """The receipt for the voter, and one for each other officer of the department (their own
    language; the replace button carries the ballot key)."""
    assert election.id is not None and round_.id is not None and ctx.actor is not None
    offices = await store.list_offices(session, election.id)
    office = offices[round_.office_position]
    departments = await _departments(session, election.cluster_id)
    secret = election.mode == Mode.SECRET.value
    by_name = ctx.person.full_name if ctx.person else ""

    def build(lang: str, with_name: bool) -> tuple[str, InlineKeyboardMarkup | None]:
        text = render(
            lang,
            "elections.receipt",
            office=office,
            choice=choice,
            departments=departments,
            receipt=result.receipt or "",
            by_name=by_name if with_name else "",
            replaced=result.replaced,
            secret=secret,
        )
        markup = None
        if secret and election.allow_replace and result.key:
            markup = inline_markup(
                [
                    [
                        (
                            render(lang, "elections.btn_replace"),
                            rules.replace_start_data(round_.id, result.key),
                        )
                    ]
                ]
            )  # type: ignore[arg-type]
        return text, markup

    text, markup = build(ctx.lang, False)
    others: list[tuple[int, str, InlineKeyboardMarkup | None]] = []
    assert ctx.actor.department_id is not None
    settings_lang = ctx.lang
    for membership in await people.officers_of(session, ctx.actor.department_id):
        if membership.person_id == ctx.user_id or membership.cluster_id != ctx.actor.cluster_id:
            continue
        person = await people.get_person(session, membership.person_id)
        lang = (person.language if person and person.language else None) or settings_lang
        other_text, other_markup = build(lang, True)
        others.append((membership.person_id, other_text, other_markup))
    return text, markup, others


# --------------------------------------------------------------------------------------------
# /minutes


async def minutes_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    async with db_of(context).session() as session:
        ctx = await context_for(update, context, session)
        document: bytes | None = None
        caption = ""
        if ctx.actor is None or ctx.cluster is None:
            text = render(ctx.lang, "onboarding.stranger")
        else:
            election = await store.latest_election(session, ctx.cluster.id)
            if election is None or election.id is None or election.state == "draft":
                text = render(ctx.lang, "elections.no_election")
            else:
                minutes = await store.load_minutes(session, election.id)
                html = render(
                    ctx.lang,
                    "elections.minutes_document",
                    m=minutes,
                    cluster=ctx.cluster,
                    departments=await _departments(session, ctx.cluster.id),
                )
                document = html.encode("utf-8")
                caption = render(ctx.lang, "elections.minutes_caption", election=election)
                text = ""
                filename = f"bien-ban-kiem-phieu-{election.term}-{election.id}.html"
    chat = update.effective_chat
    assert chat is not None
    if document is None:
        await reply_html(update, text)
        return
    await chat.send_document(io.BytesIO(document), filename=filename, caption=caption)


# --------------------------------------------------------------------------------------------


def register(app: Application) -> None:
    app.add_handler(CommandHandler("election", election_command))
    app.add_handler(CommandHandler("vote", vote_command))
    app.add_handler(CommandHandler("minutes", minutes_command))
    app.add_handler(CallbackQueryHandler(ballot_button, pattern=BALLOT_PATTERN))
    app.add_handler(CallbackQueryHandler(manage_button, pattern=ELECTION.pattern))
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            _tick_job,
            interval=float(app.bot_data.get("elections_interval", 30)),
            first=1.0,
            name="elections",
            job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )


__all__ = [
    "close_and_announce",
    "handovers",
    "open_and_announce",
    "refresh_turnout",
    "register",
    "tick",
]
