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

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot.domain.drafts import DraftState
from bot.domain.periods import PeriodError, parse_period
from bot.domain.roles import Action, may
from bot.domain.summary import IndicatorSummary, Summary
from bot.handlers.replying import gated, is_private, send_extras
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
from bot.services.context import Context
from bot.services.screens import Attachment, Outcome
from messages.render import render
from storage import clusters, deliveries, rounds, submissions
from storage.database import Database
from storage.deliveries import Claim
from storage.summaries import (
    department_info,
    indicator_info,
    load_history,
    load_summary,
    previous_report,
)

log = logging.getLogger(__name__)

HEADLINE_CHARTS = 4
"""Charts attached to the automatic summary when the cluster file marks no `headline = true`."""


def _period_arg(words: list[str], out: Outcome) -> tuple[str | None, bool]:
    """(period code or None, ok). A text that names no period is answered and not ok."""
    text = " ".join(words).strip()
    if not text:
        return None, True
    try:
        return parse_period(text).code, True
    except PeriodError:
        out.add("summary.bad_period", text=text)
        return None, False


async def _summary_for(
    session: AsyncSession, ctx: Context, words: list[str], out: Outcome
) -> Summary | None:
    """The summary the words name (default: the latest round), or None with the reason in `out`."""
    assert ctx.cluster is not None  # gated: a member of this chat's cluster
    period, ok = _period_arg(words, out)
    if not ok:
        return None
    summary = await load_summary(session, ctx.cluster.id, period, now=ctx.now)
    if summary is None:
        out.add("summary.no_summary", period=period)
    return summary


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


@gated
async def summary_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    out = Outcome()
    summary = await _summary_for(session, ctx, list(context.args or []), out)
    if summary is None:
        return out
    text = summary_messages(summary, ctx.lang)
    out.texts.extend(text.messages)
    if not text.complete:
        data = await _workbook(session, summary, ctx.lang)
        name = file_name("bao-cao-tong-hop", summary.cluster_id, summary.period, "xlsx")
        caption = render(ctx.lang, "summary.export_caption", s=summary)
        out.attachments.append(Attachment("document", data, caption, name))
    return out


# --------------------------------------------------------------------------- /chart


def _find_indicator(summary: Summary, text: str) -> IndicatorSummary | None:
    lines = [line for line in summary.indicators if chartable(line)]
    key = text.strip().lower()
    for line in lines:
        if line.indicator.slug.lower() == key:
            return line
    # The number shown in the summary: ASCII digits only ("²" passes isdigit() but not int()).
    if (
        key.isascii()
        and key.isdecimal()
        and len(key) <= 4
        and 1 <= int(key) <= len(summary.indicators)
    ):
        line = summary.indicators[int(key) - 1]  # the number shown in the summary
        return line if chartable(line) else None
    return None


@gated
async def chart_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    out = Outcome()
    args = list(context.args or [])
    assert ctx.cluster is not None  # gated: a member of this chat's cluster
    indicators = [
        i
        for i in map(indicator_info, await clusters.list_indicators(session, ctx.cluster.id))
        if i.numeric
    ]
    if not args:
        return out.add("summary.chart_usage", indicators=indicators)
    summary = await _summary_for(session, ctx, args[1:], out)
    if summary is None:
        return out
    line = _find_indicator(summary, args[0])
    if line is None:
        return out.add("summary.unknown_indicator", text=args[0], indicators=indicators)
    png = await asyncio.to_thread(indicator_chart, line, summary.period, ctx.lang)
    caption = render(ctx.lang, "summary.chart_caption", line=line, period=summary.period)
    out.attachments.append(Attachment("photo", png, caption))
    return out


# --------------------------------------------------------------------------- /export


@gated
async def export_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    out = Outcome()
    args = list(context.args or [])
    fmt = "xlsx"
    if args and args[-1].lower().lstrip(".") in ("csv", "xlsx", "excel"):
        fmt = "csv" if args.pop().lower().lstrip(".") == "csv" else "xlsx"
    summary = await _summary_for(session, ctx, args, out)
    if summary is None:
        return out
    caption = render(ctx.lang, "summary.export_caption", s=summary)
    name = file_name("bao-cao-tong-hop", summary.cluster_id, summary.period, fmt)
    if fmt == "csv":
        data = await asyncio.to_thread(build_csv, summary, ctx.lang)
    else:
        data = await _workbook(session, summary, ctx.lang)
    out.attachments.append(Attachment("document", data, caption, name))
    return out


# --------------------------------------------------------------------------- /template


@gated
async def template_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    out = Outcome()
    if not is_private(update):
        return out.add("summary.template_private")
    if not may(ctx.actor, Action.REPORT) or ctx.department is None or ctx.cluster is None:
        return out.add("summary.template_officers_only")
    period, ok = _period_arg(list(context.args or []), out)
    if not ok:
        return out
    candidates = await reporting.reportable_rounds(session, ctx)
    if period is not None:
        candidates = [r for r in candidates if r.period == period]
    if not candidates:
        return out.add("summary.no_open_round")
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
    out.attachments.append(Attachment("document", data, caption, name))
    return out


# --------------------------------------------------------------------------- uploads


def _rejected(ctx: Context, error: UploadRejected) -> Outcome:
    return Outcome().add("summary.upload_rejected", code=error.code, params=error.params)


@gated
async def upload(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    message = update.effective_message
    if message is None or message.document is None or not is_private(update):
        return None
    if not may(ctx.actor, Action.REPORT) or ctx.department is None or ctx.cluster is None:
        return Outcome().add("summary.template_officers_only")
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
        reportable = await reporting.reportable_rounds(session, ctx)
        target = next((r for r in reportable if r.id == filled.identity.round_id), None)
        if target is None and not reportable and filled.identity.cluster_id == ctx.cluster.id:
            if filled.identity.department_id == ctx.actor.department_id:
                return Outcome().add("summary.no_open_round")
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
        return Outcome().add("summary.upload_problems", problems=filled.problems)

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
    return outcome


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
    chartable_slugs = [line.indicator.slug for line in summary.indicators if chartable(line)]
    marked = [line.indicator.slug for line in summary.indicators if line.indicator.headline]
    chosen = (
        headline or [s for s in marked if s in chartable_slugs] or chartable_slugs[:HEADLINE_CHARTS]
    )
    charts = await asyncio.to_thread(summary_charts, summary, lang, chosen)
    out = Outcome(texts=list(text.messages))
    caption = render(lang, "summary.charts_caption", period=summary.period)
    out.attachments = [
        Attachment("photo", png, caption if n == 0 else "") for n, (_, png) in enumerate(charts)
    ]
    if book is not None:
        name = file_name("bao-cao-tong-hop", summary.cluster_id, summary.period, "xlsx")
        caption = render(lang, "summary.export_caption", s=summary)
        out.attachments.append(Attachment("document", book, caption, name))

    try:
        await send_extras(bot, cluster.group_chat_id, out)
    except (Forbidden, BadRequest) as exc:
        log.warning("cannot post the summary to group %s: %s", cluster.group_chat_id, exc)
        return False
    return True


async def post_summary_once(
    bot: Bot, db: Database, round_id: int, lang: str, occasion: str
) -> bool:
    """The automatic post when a round closes or its last department submits.

    Claimed in the delivery log under (round, occasion) first, so a restart, a double press or
    a second process never posts it twice.
    """
    async with db.session() as session:
        row = await rounds.get_round(session, round_id)
        cluster = await clusters.get_cluster(session, row.cluster_id) if row else None
        if row is None or cluster is None or cluster.group_chat_id is None:
            return False
        claim = Claim(
            key=f"summary:{round_id}:{occasion}",
            kind="summary",
            chat_id=cluster.group_chat_id,
            cluster_id=cluster.id,
            round_id=round_id,
        )
        claimed = await deliveries.claim(session, claim, owner="bot")
    if claimed is None:
        return False
    posted = await post_round_summary(bot, db, round_id, lang)
    async with db.session() as session:
        if posted:
            await deliveries.mark_sent(session, claimed, None)
        else:
            await deliveries.mark_failed(session, claimed, "not posted", permanent=True)
    return posted


def register(app: Application) -> None:
    app.add_handler(CommandHandler("summary", summary_command))
    app.add_handler(CommandHandler("chart", chart_command))
    app.add_handler(CommandHandler("export", export_command))
    app.add_handler(CommandHandler("template", template_command))
    app.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & filters.Document.ALL, upload
        )
    )


__all__ = ["file_name", "post_round_summary", "post_summary_once", "register"]
