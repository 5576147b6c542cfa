"""/report, /skip, /cancel, answers typed in the private chat, and the report flow's buttons."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.domain.callback_data import REPORT
from bot.handlers import Handler
from bot.handlers.replying import adapter, gated, is_private
from bot.services import reporting
from bot.services.context import Context
from bot.services.screens import Outcome, Screen, UrlButton


@gated
async def report(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    if not is_private(update):
        link = f"https://t.me/{context.bot.username}?start=report"
        return Outcome(
            [Screen("reporting.go_private", {}, [[UrlButton("reporting.btn_go_private", link)]])]
        )
    return await reporting.start(session, ctx)


@gated
async def skip(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await reporting.skip(session, ctx)


@gated
async def cancel(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await reporting.cancel(session, ctx)


@gated
async def text(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    message = update.effective_message
    assert message is not None and message.text is not None
    outcome = await reporting.handle_text(session, ctx, message.text)
    return outcome or Outcome().add("onboarding.not_understood")


@adapter
async def button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    query = update.callback_query
    assert query is not None
    if not is_private(update) or ctx.actor is None:
        return Outcome().add("common.not_allowed")
    return await reporting.press(session, ctx, query.data or "")


def handlers() -> list[Handler]:
    return [
        CommandHandler("report", report),
        CommandHandler("skip", skip),
        CommandHandler("cancel", cancel),
        CallbackQueryHandler(button, pattern=REPORT.pattern),
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND,
            text,
        ),
    ]
