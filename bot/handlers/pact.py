"""/pact (open, status, propose) and the pact's buttons (sign, accept, return); thin:
bot/services/pact.py decides."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot.domain.callback_data import PACT
from bot.handlers import Handler
from bot.handlers.replying import adapter, gated, settings_of
from bot.services import pact as service
from bot.services.context import Context
from bot.services.screens import Outcome


@gated
async def pact_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    language = settings_of(context).language
    return await service.command(session, ctx, list(context.args or []), language)


@adapter
async def pact_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    query = update.callback_query
    assert query is not None
    return await service.press(session, ctx, query.data)


def handlers() -> list[Handler]:
    return [
        CommandHandler("pact", pact_command),
        CallbackQueryHandler(pact_button, pattern=PACT.pattern),
    ]
