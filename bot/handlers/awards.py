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
    MessageHandler,
    filters,
)

from bot.domain.callback_data import AWARD
from bot.handlers import Handler, conversations
from bot.handlers.replying import adapter, gated, is_private, settings_of
from bot.services import awards as service
from bot.services.context import Context
from bot.services.screens import Outcome
from storage import awards as store


@gated
async def award_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await service.command(
        session, ctx, list(context.args or []), settings_of(context).language
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


async def _nominating(session: AsyncSession, user_id: int) -> bool:
    return await store.find_nomination_draft(session, user_id) is not None


# The officer's answers while entering a nomination; any other private message passes on.
nomination_answer = conversations.answers("nomination", _nominating, service.nomination_answer)


def handlers() -> list[Handler]:
    return [
        CommandHandler("award", award_command),
        CommandHandler("nominate", nominate_command),
        CallbackQueryHandler(award_button, pattern=AWARD.pattern),
    ]


def nomination() -> Handler:
    """Registered in its own group (bot/handlers/__init__.py, NOMINATING)."""
    return MessageHandler(
        filters.UpdateType.MESSAGE  # an edit is never an answer (bot/handlers/guards.py)
        & filters.ChatType.PRIVATE
        & ((filters.TEXT & ~filters.COMMAND) | filters.Regex(r"^/cancel\b")),
        nomination_answer,
    )
