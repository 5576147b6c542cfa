"""/award, /nominate, the award ballot's buttons, and the nomination answers (thin:
bot/services/awards.py decides). /vote is bot/handlers/elections.py's: it hands an open award
vote to the awards service."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bot.domain.callback_data import AWARD, NOMINATION
from bot.handlers import Handler, conversations
from bot.handlers.replying import adapter, gated, is_private, settings_of
from bot.services import awards as service
from bot.services import nominations
from bot.services.context import Context
from bot.services.screens import Outcome


@gated
async def award_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await service.command(
        session, ctx, list(context.args or []), settings_of(context).language, is_private(update)
    )


@gated
async def nominate_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    conversations.starts(context, "nomination", ctx.user_id)
    return await service.nominate(session, ctx, list(context.args or []), is_private(update))


@adapter
async def award_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    query = update.callback_query
    assert query is not None
    conversations.starts(context, "nomination", ctx.user_id)  # a button may start one again
    return await service.press(session, ctx, query.data, is_private(update))


@adapter
async def nomination_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    query = update.callback_query
    assert query is not None
    conversations.starts(context, "nomination", ctx.user_id)  # a change is entered next
    return await nominations.press(session, ctx, query.data, is_private(update))


def handlers() -> list[Handler]:
    return [
        CommandHandler("award", award_command),
        CommandHandler("nominate", nominate_command),
        CallbackQueryHandler(award_button, pattern=AWARD.pattern),
        CallbackQueryHandler(nomination_button, pattern=NOMINATION.pattern),
    ]


def nomination() -> Handler:
    """The officer's answers while entering a nomination (its own group: bot/handlers/__init__.py,
    NOMINATING)."""
    return conversations.answers(
        "nomination", service.has_nomination_draft, service.nomination_answer
    )
