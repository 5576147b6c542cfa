"""/summary, /chart, /export, /template, and a filled template uploaded in the private chat.

Files (charts, workbooks, templates) are built in a worker thread so the event loop stays free,
and everything is sent after the update's session has committed. Nothing an upload says is stored: it becomes
the officer's draft, and the reporting flow's own review card (or its confirmation of an
ambiguous value) asks for confirmation, exactly as a report typed in chat.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot, InputFile, InputMediaPhoto, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot.domain.drafts import DraftState
from bot.domain.periods import PeriodError, parse_period
from bot.domain.roles import Action, may
from bot.domain.summary import IndicatorSummary, Summary
from bot.handlers.onboarding import group_gate
from bot.handlers.replying import db_of, deliver, now_of, settings_of
from bot.reports import summary_messages
from bot.reports.charts import chartable, indicator_chart, summary_charts
from bot.reports.csv_export import build_csv
from bot.reports.template_io import (
    MAX_UPLOAD_BYTES,
    TemplateTarget,
    UploadRejected,
    build_template,
    check_identity,
    read_template,
)
from bot.reports.workbook import build_workbook
from bot.services import reporting
from bot.services.context import Context, load_context
from bot.services.screens import Outcome
from messages.render import render
from storage import clusters, rounds, submissions
from storage.database import Database
from storage.models import Round
from storage.summaries import (
    department_info,
    indicator_info,
    load_history,
    load_summary,
    previous_report,
)

log = logging.getLogger(__name__)

HEADLINE_CHARTS = 4
"""Charts attached to the automatic summary when the cluster names no headline indicators."""


@dataclass
class Reply:
    """What a command answers: ready HTML messages, files, photos, and reporting screens."""

    texts: list[str] = field(default_factory=list)
    documents: list[tuple[str, bytes, str]] = field(default_factory=list)  # name, data, caption
    photos: list[tuple[bytes, str]] = field(default_factory=list)  # PNG, caption
    outcome: Outcome | None = None

    def say(self, lang: str, name: str, **params: Any) -> Reply:
        self.texts.append(render(lang, name, **params))
        return self


Body = Callable[[Update, ContextTypes.DEFAULT_TYPE, AsyncSession, Context], Awaitable[Reply | None]]


def _runner(body: Body) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]:
    """One session per update (committed before anything is sent), then the replies."""

    @wraps(body)
    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or user.is_bot:
            return
        settings = settings_of(context)
        group_id = None if chat.type == ChatType.PRIVATE else chat.id
        async with db_of(context).session() as session:
            ctx = await load_context(
                session, user.id, group_id, settings.language, settings.tz, now_of(context)
            )
            gate = await group_gate(session, update, ctx)
            reply = (
                Reply(outcome=gate)
                if gate is not None
                else await body(update, context, session, ctx)
            )
        if reply is None:
            return
        if reply.outcome is not None:
            await deliver(update, context, ctx, reply.outcome)
        await send_reply(context.bot, chat.id, reply)

    return handler


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> None:
    for text in reply.texts:
        await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
    if len(reply.photos) == 1:
        png, caption = reply.photos[0]
        await bot.send_photo(chat_id, png, caption=caption, parse_mode=ParseMode.HTML)
    elif reply.photos:
        media = [
            InputMediaPhoto(png, caption=caption, parse_mode=ParseMode.HTML)
            for png, caption in reply.photos[:10]
        ]
        await bot.send_media_group(chat_id, media)
    for name, data, caption in reply.documents:
        await bot.send_document(
            chat_id, InputFile(data, filename=name), caption=caption, parse_mode=ParseMode.HTML
        )


def _is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


def _period_arg(words: list[str], lang: str, reply: Reply) -> tuple[str | None, bool]:
    """(period code or None, ok). A text that names no period is answered and not ok."""
    text = " ".join(words).strip()
    if not text:
        return None, True
    try:
        return parse_period(text).code, True
    except PeriodError:
        reply.say(lang, "summary.bad_period", text=text)
        return None, False


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")


def file_name(kind: str, cluster_id: str, period: str, extension: str) -> str:
    """ASCII file names ("bao-cao-tong-hop_cum_2023-Q4.xlsx"): they survive every mail system."""
    return f"{kind}_{_slug(cluster_id)}_{period}.{extension}"


async def _workbook(session: AsyncSession, summary: Summary, lang: str) -> bytes:
    history = await load_history(
        session, summary.cluster_id, summary.compiled_from or [summary.period]
    )
    return await asyncio.to_thread(build_workbook, summary, lang, history, summary.generated_at)


# --------------------------------------------------------------------------- /summary


@_runner
async def summary_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Reply | None:
    reply = Reply()
    if ctx.actor is None or ctx.cluster is None:
        return reply.say(ctx.lang, "summary.not_member")
    period, ok = _period_arg(list(context.args or []), ctx.lang, reply)
    if not ok:
        return reply
    summary = await load_summary(session, ctx.cluster.id, period, now=ctx.now)
    if summary is None:
        return reply.say(ctx.lang, "summary.no_summary", period=period)
    text = summary_messages(summary, ctx.lang)
    reply.texts.extend(text.messages)
    if not text.complete:
        data = await _workbook(session, summary, ctx.lang)
        name = file_name("bao-cao-tong-hop", summary.cluster_id, summary.period, "xlsx")
        reply.documents.append((name, data, render(ctx.lang, "summary.export_caption", s=summary)))
    return reply


# --------------------------------------------------------------------------- /chart


def _find_indicator(summary: Summary, text: str) -> IndicatorSummary | None:
    lines = [line for line in summary.indicators if chartable(line)]
    key = text.strip().lower()
    for line in lines:
        if line.indicator.slug.lower() == key:
            return line
    if key.isdigit() and 1 <= int(key) <= len(summary.indicators):
        line = summary.indicators[int(key) - 1]  # the number shown in the summary
        return line if chartable(line) else None
    return None


@_runner
async def chart_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Reply | None:
    reply = Reply()
    if ctx.actor is None or ctx.cluster is None:
        return reply.say(ctx.lang, "summary.not_member")
    args = list(context.args or [])
    indicators = [
        i
        for i in map(indicator_info, await clusters.list_indicators(session, ctx.cluster.id))
        if i.numeric
    ]
    if not args:
        return reply.say(ctx.lang, "summary.chart_usage", indicators=indicators)
    period, ok = _period_arg(args[1:], ctx.lang, reply)
    if not ok:
        return reply
    summary = await load_summary(session, ctx.cluster.id, period, now=ctx.now)
    if summary is None:
        return reply.say(ctx.lang, "summary.no_summary", period=period)
    line = _find_indicator(summary, args[0])
    if line is None:
        return reply.say(ctx.lang, "summary.unknown_indicator", text=args[0], indicators=indicators)
    png = await asyncio.to_thread(indicator_chart, line, summary.period, ctx.lang)
    reply.photos.append(
        (png, render(ctx.lang, "summary.chart_caption", line=line, period=summary.period))
    )
    return reply


# --------------------------------------------------------------------------- /export


@_runner
async def export_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Reply | None:
    reply = Reply()
    if ctx.actor is None or ctx.cluster is None:
        return reply.say(ctx.lang, "summary.not_member")
    args = list(context.args or [])
    fmt = "xlsx"
    if args and args[-1].lower().lstrip(".") in ("csv", "xlsx", "excel"):
        fmt = "csv" if args.pop().lower().lstrip(".") == "csv" else "xlsx"
    period, ok = _period_arg(args, ctx.lang, reply)
    if not ok:
        return reply
    summary = await load_summary(session, ctx.cluster.id, period, now=ctx.now)
    if summary is None:
        return reply.say(ctx.lang, "summary.no_summary", period=period)
    caption = render(ctx.lang, "summary.export_caption", s=summary)
    name = file_name("bao-cao-tong-hop", summary.cluster_id, summary.period, fmt)
    if fmt == "csv":
        data = await asyncio.to_thread(build_csv, summary, ctx.lang)
    else:
        data = await _workbook(session, summary, ctx.lang)
    reply.documents.append((name, data, caption))
    return reply


# --------------------------------------------------------------------------- /template


async def _reportable_rounds(session: AsyncSession, ctx: Context) -> list[Round]:
    """Open rounds, and closed ones reopened for the officer's department (oldest first)."""
    assert ctx.cluster is not None and ctx.actor is not None
    result = list(await rounds.open_rounds(session, ctx.cluster.id))
    department_id = ctx.actor.department_id
    for row in await rounds.list_rounds(session, ctx.cluster.id):
        if row.state != "open" and department_id is not None and row.id is not None:
            if await rounds.reopening(session, row.id, department_id):
                result.append(row)
    return sorted(result, key=lambda r: (r.period_start, r.id or 0))


@_runner
async def template_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Reply | None:
    reply = Reply()
    if not _is_private(update):
        return reply.say(ctx.lang, "summary.template_private")
    if not may(ctx.actor, Action.REPORT) or ctx.department is None or ctx.cluster is None:
        return reply.say(ctx.lang, "summary.template_officers_only")
    period, ok = _period_arg(list(context.args or []), ctx.lang, reply)
    if not ok:
        return reply
    candidates = await _reportable_rounds(session, ctx)
    if period is not None:
        candidates = [r for r in candidates if r.period == period]
    if not candidates:
        return reply.say(ctx.lang, "summary.no_open_round")
    row = candidates[-1]
    assert row.id is not None
    department = department_info(ctx.department)
    indicators = [
        indicator_info(i) for i in await clusters.list_indicators(session, row.cluster_id)
    ]
    previous = await previous_report(session, row, department.id)
    latest = await submissions.latest_revision(session, row.id, department.id)
    target = TemplateTarget(
        cluster_id=row.cluster_id,
        round_id=row.id,
        period=row.period,
        deadline=row.deadline,
        department=department,
        indicators=indicators,
        previous_period=previous[0] if previous else None,
        previous_values=previous[1] if previous else {},
        current_values=latest.values if latest else {},
    )
    data = await asyncio.to_thread(build_template, target, ctx.lang)
    name = file_name(f"mau-nhap-so-lieu_{department.slug}", row.cluster_id, row.period, "xlsx")
    caption = render(
        ctx.lang, "summary.template_caption", period=row.period, department=ctx.department
    )
    reply.documents.append((name, data, caption))
    return reply


# --------------------------------------------------------------------------- uploads


def _rejected(ctx: Context, error: UploadRejected) -> Reply:
    return Reply().say(ctx.lang, "summary.upload_rejected", code=error.code, params=error.params)


@_runner
async def upload(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Reply | None:
    message = update.effective_message
    if message is None or message.document is None or not _is_private(update):
        return None
    if not may(ctx.actor, Action.REPORT) or ctx.department is None or ctx.cluster is None:
        return Reply().say(ctx.lang, "summary.template_officers_only")
    assert ctx.actor is not None and ctx.actor.department_id is not None
    document = message.document
    if document.file_size is not None and document.file_size > MAX_UPLOAD_BYTES:
        return _rejected(ctx, UploadRejected("too_big", max_mb=MAX_UPLOAD_BYTES // 2**20))
    telegram_file = await document.get_file()
    if telegram_file.file_size is not None and telegram_file.file_size > MAX_UPLOAD_BYTES:
        return _rejected(ctx, UploadRejected("too_big", max_mb=MAX_UPLOAD_BYTES // 2**20))
    data = bytes(await telegram_file.download_as_bytearray())

    indicator_rows = await clusters.list_indicators(session, ctx.cluster.id)
    indicators = [indicator_info(i) for i in indicator_rows]
    try:
        filled = await asyncio.to_thread(read_template, data, indicators)
        reportable = await _reportable_rounds(session, ctx)
        target = next((r for r in reportable if r.id == filled.identity.round_id), None)
        if target is None and not reportable and filled.identity.cluster_id == ctx.cluster.id:
            if filled.identity.department_id == ctx.actor.department_id:
                return Reply().say(ctx.lang, "summary.no_open_round")
        names = {
            d.id: d.name for d in await clusters.list_departments(session, ctx.cluster.id, True)
        }
        expected = target or (reportable[-1] if reportable else None)
        check_identity(
            filled.identity,
            cluster_id=ctx.cluster.id,
            department=department_info(ctx.department),
            round_id=expected.id if expected and expected.id is not None else -1,
            period=expected.period if expected else filled.identity.period,
            department_names=names,
            round_open=expected is not None,
        )
    except UploadRejected as error:
        return _rejected(ctx, error)
    assert target is not None and target.id is not None
    if filled.problems:
        return Reply().say(ctx.lang, "summary.upload_problems", problems=filled.problems)

    # The upload becomes the officer's draft; the reporting flow takes it from here.
    latest = await submissions.latest_revision(session, target.id, ctx.actor.department_id)
    state = DraftState(base_revision=latest.submission.revision if latest else 0)
    for indicator in indicator_rows:
        if indicator.slug in filled.values:
            state.answer(indicator.slug, filled.values[indicator.slug])
        elif indicator.slug in filled.ambiguous:
            raw, candidates = filled.ambiguous[indicator.slug]
            state.await_confirmation(indicator.slug, raw, list(candidates))
    draft = await submissions.save_draft(
        session, ctx.user_id, target.id, ctx.actor.department_id, state.to_json()
    )
    outcome = Outcome()
    if filled.formula_cells:
        outcome.add("summary.upload_formulas", cells=filled.formula_cells)
    outcome.screens.extend(await reporting.next_screens(session, ctx, draft, state, indicator_rows))
    return Reply(outcome=outcome)


# --------------------------------------------------------------------------- the group post


async def post_round_summary(
    bot: Bot,
    db: Database,
    round_id: int,
    lang: str,
    headline: list[str] | None = None,
) -> bool:
    """Post a round's summary to its cluster's group: the text, the headline indicators' charts
    as one media group, and the workbook when the text had to leave tables out.

    For the round's close and its last submission (the caller decides when, and makes sure it
    happens once). False when the cluster has no group or the bot may not post there.
    """
    async with db.session() as session:
        row = await rounds.get_round(session, round_id)
        if row is None:
            return False
        cluster = await clusters.get_cluster(session, row.cluster_id)
        if cluster is None or cluster.group_chat_id is None:
            return False
        summary = await load_summary(session, row.cluster_id, row.period)
        if summary is None:
            return False
        text = summary_messages(summary, lang)
        book = None if text.complete else await _workbook(session, summary, lang)
    chosen = (
        headline
        or [line.indicator.slug for line in summary.indicators if chartable(line)][:HEADLINE_CHARTS]
    )
    charts = await asyncio.to_thread(summary_charts, summary, lang, chosen)
    reply = Reply(texts=text.messages)
    caption = render(lang, "summary.charts_caption", period=summary.period)
    reply.photos = [(png, caption if n == 0 else "") for n, (_, png) in enumerate(charts)]
    if book is not None:
        name = file_name("bao-cao-tong-hop", summary.cluster_id, summary.period, "xlsx")
        reply.documents.append((name, book, render(lang, "summary.export_caption", s=summary)))

    try:
        await send_reply(bot, cluster.group_chat_id, reply)
    except (Forbidden, BadRequest) as exc:
        log.warning("cannot post the summary to group %s: %s", cluster.group_chat_id, exc)
        return False
    return True


def register(app: Application) -> None:
    app.add_handler(CommandHandler("summary", summary_command))
    app.add_handler(CommandHandler("chart", chart_command))
    app.add_handler(CommandHandler("export", export_command))
    app.add_handler(CommandHandler("template", template_command))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.Document.ALL, upload))


__all__ = ["Reply", "file_name", "post_round_summary", "register", "send_reply"]
