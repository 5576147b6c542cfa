"""/award, /nominate, the award ballot's buttons, and the nomination answers (thin:
bot/services/awards.py decides). /vote is bot/handlers/elections.py's: it hands an open award
vote to the awards service."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.domain.callback_data import AWARD
from bot.handlers import Handler
from bot.handlers.replying import adapter, db_of, gated, is_private, settings_of
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
    return await service.nominate(session, ctx, list(context.args or []), is_private(update))


@adapter
async def award_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    query = update.callback_query
    assert query is not None
    return await service.press(session, ctx, query.data, is_private(update))


async def nomination_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The officer's answer while entering a nomination. Any other private message passes on."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    async with db_of(context).session(write=False) as session:
        if await store.find_nomination_draft(session, user.id) is None:
            return  # a read, so that every other private message costs no write
    handled = False

    async def body(
        update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
    ) -> Outcome | None:
        nonlocal handled
        outcome = await service.nomination_answer(session, ctx, message.text or "")
        handled = outcome is not None
        return outcome

    await adapter(body)(update, context)
    if handled:
        raise ApplicationHandlerStop


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
