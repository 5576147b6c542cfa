"""The checking of the year's self-scores: its buttons (cards, adjust, accept, answer, keep,
restore) and the answers of a checker adjusting or an officer answering, in the private chat
(thin: bot/services/score_checking.py decides). `/score check` and `/score lock` arrive
through /score (bot/handlers/scoring.py)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.domain.callback_data import CHECK
from bot.handlers import Handler, conversations
from bot.handlers.replying import adapter, is_private
from bot.services import score_checking as service
from bot.services.context import Context
from bot.services.screens import Outcome


@adapter
async def check_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    query = update.callback_query
    assert query is not None
    conversations.starts(context, "checking", ctx.user_id)  # "adjust" and "answer" start one
    return await service.press(session, ctx, query.data, is_private(update))


def handlers() -> list[Handler]:
    return [CallbackQueryHandler(check_button, pattern=CHECK.pattern)]


def answers() -> Handler:
    """The checker's or the answering officer's next private message (its own group:
    bot/handlers/__init__.py, CHECKING)."""
    return conversations.answers("checking", service.has_draft, service.answer)
