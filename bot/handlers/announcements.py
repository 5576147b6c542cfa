"""/announce (compose, preview, send or cancel), the "Đã nhận" button, /acks (thin:
bot/services/announcements.py decides). The fan-out after a send and the nudges are jobs
(bot/jobs/announcements.py).
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Message, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bot.domain.callback_data import ANNOUNCE
from bot.handlers import Handler, conversations
from bot.handlers.replying import adapter, gated, is_private
from bot.services import announcements as service
from bot.services.context import Context
from bot.services.screens import Outcome

# --------------------------------------------------------------------------------------------
# Commands and buttons


@gated
async def announce_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    message = update.effective_message
    assert message is not None
    conversations.starts(context, "composing", ctx.user_id)  # a bare /announce starts it
    return await service.announce(session, ctx, message.text_html or "", is_private(update))


def _content(message: Message) -> service.Content:
    """What the author sent: Telegram HTML text, media kind, file id."""
    if (message.text or "").strip().startswith("/cancel"):
        return service.Content("", cancel=True)
    if message.photo:
        return service.Content(message.caption_html or "", "photo", message.photo[-1].file_id)
    if message.document:
        return service.Content(message.caption_html or "", "document", message.document.file_id)
    return service.Content(message.text_html or "")


@adapter
async def announce_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    query = update.callback_query
    assert query is not None
    pressed = query.message.message_id if isinstance(query.message, Message) else None
    return await service.press(session, ctx, query.data, pressed)


@gated
async def acks_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await service.acks(session, ctx)


def handlers() -> list[Handler]:
    return [
        CommandHandler("announce", announce_command),
        CommandHandler("acks", acks_command),
        CallbackQueryHandler(announce_button, pattern=ANNOUNCE.pattern),
    ]


def composer() -> Handler:
    """The author's message after a bare /announce (registered in its own group, before the
    commands: see bot/handlers/__init__.py); any other private message passes on."""
    return conversations.answers(
        "composing", service.is_composing, service.composed, read=_content, media=True
    )
