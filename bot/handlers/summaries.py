"""/summary, /chart, /export, /template, and a filled template uploaded in the private chat
(thin: bot/services/summaries.py decides).

Charts and workbooks are answered as compositions: made after the commit by the effects worker,
in the worker process (bot/services/compositions.py), so no handler draws. The template is read
in the worker process too (bot/reports/offload.py), before the update's unit of work begins.
"""

from __future__ import annotations

from functools import partial

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Document, Update
from telegram.ext import CommandHandler, ContextTypes, MessageHandler, filters

from bot.handlers import Handler
from bot.handlers.replying import context_for, db_of, gated, is_private
from bot.reports import offload
from bot.reports.template_io import MAX_UPLOAD_BYTES, UploadRejected, read_template
from bot.services import summaries as service
from bot.services.context import Context
from bot.services.screens import Outcome


@gated
async def summary_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await service.summary(session, ctx, list(context.args or []))


@gated
async def chart_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await service.chart(session, ctx, list(context.args or []))


@gated
async def export_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await service.export(session, ctx, list(context.args or []))


@gated
async def template_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await service.template(session, ctx, list(context.args or []), is_private(update))


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
) -> service.Upload | None:
    """None when this user may not upload (the unit of work then says so)."""
    async with db_of(context).session(write=False) as session:
        ctx = await context_for(update, context, session)
        indicators = await service.upload_indicators(session, ctx)
    if indicators is None:
        return None
    too_big = UploadRejected("too_big", max_mb=MAX_UPLOAD_BYTES // 2**20)
    if document.file_size is not None and document.file_size > MAX_UPLOAD_BYTES:
        return service.Upload(rejected=too_big)
    telegram_file = await document.get_file()
    if telegram_file.file_size is not None and telegram_file.file_size > MAX_UPLOAD_BYTES:
        return service.Upload(rejected=too_big)
    data = bytes(await telegram_file.download_as_bytearray())
    try:
        return service.Upload(filled=await offload.run(read_template, data, indicators))
    except UploadRejected as error:
        return service.Upload(rejected=error)


async def _use_upload(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    session: AsyncSession,
    ctx: Context,
    *,
    fetched: service.Upload | None,
) -> Outcome | None:
    return await service.use_upload(session, ctx, fetched)


def handlers() -> list[Handler]:
    return [
        CommandHandler("summary", summary_command),
        CommandHandler("chart", chart_command),
        CommandHandler("export", export_command),
        CommandHandler("template", template_command),
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & filters.Document.ALL, upload
        ),
    ]


__all__ = ["handlers"]
