"""/summary, /chart, /export, /template, and a filled template uploaded in the private chat.

Charts and workbooks are answered as compositions: made after the commit by the effects worker,
in the worker process (bot/services/compositions.py), so no handler draws. The template is built
in the worker process too (bot/reports/offload.py), and everything is sent after the update's
session has committed. Nothing an upload says is stored: it becomes
the officer's draft, and the reporting flow's own review card (or its confirmation of an
ambiguous value) asks for confirmation, exactly as a report typed in chat.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Document, Update
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot.domain.drafts import DraftState
from bot.domain.periods import PeriodError, parse_period
from bot.domain.roles import Action, may
from bot.domain.summary import IndicatorSummary, Summary
from bot.handlers.replying import context_for, db_of, gated, is_private
from bot.reports import offload, summary_messages
from bot.reports.charts import chartable
from bot.reports.template_io import (
    MAX_UPLOAD_BYTES,
    FilledTemplate,
    UploadRejected,
    check_identity,
    read_template,
)
from bot.services import reporting
from bot.services.context import Context
from bot.services.screens import Composition, Outcome
from storage import clusters, submissions
from storage.summaries import (
    department_info,
    indicator_info,
    load_summary,
)

log = logging.getLogger(__name__)


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


def _made_later(what: str, summary: Summary, ctx: Context, **params: object) -> Composition:
    """A file or chart of this summary, made after the commit in the worker process."""
    return Composition(
        what,
        {
            "cluster": summary.cluster_id,
            "period": summary.period,
            "now": ctx.now.isoformat(),
            **params,
        },
    )


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
        out.compositions.append(_made_later("export", summary, ctx, fmt="xlsx"))
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
    out.compositions.append(_made_later("chart", summary, ctx, indicator=line.indicator.slug))
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
    out.compositions.append(_made_later("export", summary, ctx, fmt=fmt))
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
    assert ctx.department.id is not None
    params = {"round_id": row.id, "department_id": ctx.department.id}
    out.compositions.append(Composition("template", params))
    return out


# --------------------------------------------------------------------------- uploads


def _rejected(ctx: Context, error: UploadRejected) -> Outcome:
    return Outcome().add("summary.upload_rejected", code=error.code, params=error.params)


@dataclass(frozen=True)
class _Fetched:
    """An uploaded template, downloaded and read before the unit of work begins."""

    filled: FilledTemplate | None = None
    rejected: UploadRejected | None = None


async def upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Downloading the file (Telegram) and reading it (CPU) happen first, with no transaction
    open: on SQLite a unit of work holds the write lock, and every other chat would wait."""
    message = update.effective_message
    if message is None or message.document is None or not is_private(update):
        return
    fetched = await _fetch(update, context, message.document)
    await gated(partial(_use_upload, fetched=fetched))(update, context)


async def _fetch(
    update: Update, context: ContextTypes.DEFAULT_TYPE, document: Document
) -> _Fetched | None:
    """None when this user may not upload (the unit of work then says so)."""
    async with db_of(context).session(write=False) as session:
        ctx = await context_for(update, context, session)
        if not may(ctx.actor, Action.REPORT) or ctx.department is None or ctx.cluster is None:
            return None
        indicators = [
            indicator_info(i) for i in await clusters.list_indicators(session, ctx.cluster.id)
        ]
    too_big = UploadRejected("too_big", max_mb=MAX_UPLOAD_BYTES // 2**20)
    if document.file_size is not None and document.file_size > MAX_UPLOAD_BYTES:
        return _Fetched(rejected=too_big)
    telegram_file = await document.get_file()
    if telegram_file.file_size is not None and telegram_file.file_size > MAX_UPLOAD_BYTES:
        return _Fetched(rejected=too_big)
    data = bytes(await telegram_file.download_as_bytearray())
    try:
        return _Fetched(filled=await offload.run(read_template, data, indicators))
    except UploadRejected as error:
        return _Fetched(rejected=error)


async def _use_upload(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    session: AsyncSession,
    ctx: Context,
    *,
    fetched: _Fetched | None,
) -> Outcome | None:
    if not may(ctx.actor, Action.REPORT) or ctx.department is None or ctx.cluster is None:
        return Outcome().add("summary.template_officers_only")
    assert ctx.actor is not None and ctx.actor.department_id is not None
    if fetched is None:  # allowed now, not a moment ago: ask for the file again
        return Outcome().add("summary.template_officers_only")
    if fetched.rejected is not None:
        return _rejected(ctx, fetched.rejected)
    filled = fetched.filled
    assert filled is not None

    indicator_rows = await clusters.list_indicators(session, ctx.cluster.id)
    try:
        reportable = await reporting.reportable_rounds(session, ctx)
        target = next((r for r in reportable if r.id == filled.identity.round_id), None)
        if target is None and not reportable and filled.identity.cluster_id == ctx.cluster.id:
            if filled.identity.department_id == ctx.actor.department_id:
                return Outcome().add("summary.no_open_round")
        names = {
            d.id: d.name
            for d in await clusters.list_departments(session, ctx.cluster.id, True)
            if d.id is not None
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


__all__ = ["register"]
