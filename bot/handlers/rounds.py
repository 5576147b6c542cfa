"""/round (guided menu and one-line form), /status and /history."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot.domain.callback_data import ROUNDS
from bot.handlers import Handler
from bot.handlers.replying import adapter, gated
from bot.services import rounds
from bot.services.context import Context
from bot.services.screens import Outcome


@gated
async def round_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await rounds.command(session, ctx, list(context.args or []))


@adapter
async def round_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    if ctx.actor is None:
        return Outcome().add("common.not_allowed")
    query = update.callback_query
    assert query is not None
    return await rounds.press(session, ctx, query.data or "")


@gated
async def status(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await rounds.status(session, ctx, " ".join(context.args or []) or None)


@gated
async def history(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await rounds.history(session, ctx, " ".join(context.args or []) or None)


def handlers() -> list[Handler]:
    return [
        CommandHandler("round", round_command),
        CallbackQueryHandler(round_button, pattern=ROUNDS.pattern),
        CommandHandler("status", status),
        CommandHandler("history", history),
    ]
