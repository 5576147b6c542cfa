"""Updates that no flow may take as input: edited messages, and button presses without a message.

Registered in their own group, before every flow (and before the announcement composer's group
-1), so they stop there.

Edited messages. python-telegram-bot's MessageHandler and CommandHandler accept edited messages
by default, so an officer who corrected "165" to "170" in the chat had "170" taken as the answer
to the *next* question (and an edited "/round close" ran again). An edit is never read as input.
In a private chat the author gets one short note saying so: silence would let an officer believe
the figure they corrected was corrected, which is worse than a line of noise. In groups the bot
says nothing (privacy mode, the group's 20 messages a minute, and nobody there is waiting for it).

Presses without a message. A button on an inline-mode message, or on a message Telegram no longer
hands back, arrives with no chat: nothing can be answered there and no flow can check it against
its screen. The press is answered with a short notice (a toast) and changes nothing.
"""

from __future__ import annotations

import re

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.handlers import Handler
from bot.handlers.replying import adapter, db_of, is_private, settings_of
from bot.services.context import Context
from bot.services.screens import Outcome
from messages.render import render
from storage import people

TOAST_LIMIT = 200  # Telegram's limit on an answerCallbackQuery text


@adapter
async def _edit_note(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return Outcome().add("common.edit_ignored") if is_private(update) else None


async def edited_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _edit_note(update, context)
    raise ApplicationHandlerStop


class PressWithoutMessage(BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]):
    """A callback query that carries no message (inline mode, or a message Telegram dropped)."""

    def check_update(self, update: object) -> bool:
        return (
            isinstance(update, Update)
            and update.callback_query is not None
            and update.callback_query.message is None
        )


async def press_without_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    lang: str = settings_of(context).language
    async with db_of(context).session() as session:
        person = await people.get_person(session, query.from_user.id)
        if person is not None and person.language:
            lang = person.language
    text = re.sub(r"<[^>]+>", "", render(lang, "common.button_without_message"))
    try:
        await query.answer(text[:TOAST_LIMIT], show_alert=True)
    except TelegramError:
        pass  # an expired query: nothing more can be said
    raise ApplicationHandlerStop


def handlers() -> list[Handler]:
    """In the GUARDS group (bot/handlers/__init__.py), before the composer and the commands."""
    return [
        MessageHandler(filters.UpdateType.EDITED, edited_message),
        PressWithoutMessage(press_without_message),
    ]
