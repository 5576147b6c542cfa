"""/score, /ranking, the self-score's review buttons and its answers in the private chat
(thin: bot/services/scorechat.py and bot/services/score_conversation.py decide)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bot.domain.callback_data import SCORE
from bot.handlers import Handler, conversations
from bot.handlers.replying import adapter, gated, is_private
from bot.services import score_checking as checking
from bot.services import score_conversation as conversation
from bot.services import score_template
from bot.services import scorechat as service
from bot.services.context import Context
from bot.services.screens import Outcome


@gated
async def ranking_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await service.ranking(session, ctx, list(context.args or []))


@gated
async def score_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    args = list(context.args or [])
    if args and args[0].lower() in ("open", "mo"):
        return await service.open_year(session, ctx, args[1:])
    if args and args[0].lower() in checking.VERBS:  # /score check, /score lock
        return await checking.command(session, ctx, args, is_private(update))
    if args and args[0].lower() in ("excel", "xlsx"):
        return await score_template.template(session, ctx, args[1:], is_private(update))
    conversations.starts(context, "scoring", ctx.user_id)
    return await conversation.start(session, ctx, args, is_private(update))


@adapter
async def score_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    query = update.callback_query
    assert query is not None
    conversations.starts(context, "scoring", ctx.user_id)  # a button may start a draft again
    return await conversation.press(session, ctx, query.data)


def handlers() -> list[Handler]:
    return [
        CommandHandler("ranking", ranking_command),
        CommandHandler("score", score_command),
        CallbackQueryHandler(score_button, pattern=SCORE.pattern),
    ]


def answers() -> Handler:
    """The officer's answers while scoring (its own group: bot/handlers/__init__.py, SCORING)."""
    return conversations.answers("scoring", conversation.has_draft, conversation.answer)
