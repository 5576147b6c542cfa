"""/announce (compose, preview, send or cancel), the "Đã nhận" button, /acks (thin:
bot/services/announcements.py decides). The fan-out after a send and the nudges are jobs
(bot/jobs/announcements.py).
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Message, Update
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.domain.callback_data import ANNOUNCE
from bot.handlers import Handler
from bot.handlers.replying import adapter, db_of, gated, is_private
from bot.services import announcements as service
from bot.services.context import Context
from bot.services.screens import Outcome
from storage import announcements as store

# --------------------------------------------------------------------------------------------
# Commands and buttons


@gated
async def announce_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    message = update.effective_message
    assert message is not None
    _not_composing(context).discard(ctx.user_id)  # a bare /announce starts composing
    return await service.announce(session, ctx, message.text_html or "", is_private(update))


def _not_composing(context: ContextTypes.DEFAULT_TYPE) -> set[int]:
    """Users this process knows are not composing an announcement, so that their private
    messages skip the look-up. Only a bare /announce, handled here by the one active replica,
    starts composing, and it forgets the author first; a replica that takes over starts with
    an empty set (bot_data is new), so it looks each user up once. Only "not composing" is
    remembered: whether a composition is still open is always read from the database."""
    found: set[int] = context.application.bot_data.setdefault("not_composing", set())
    return found


def _content(message: Message) -> service.Content:
    """What the author sent: Telegram HTML text, media kind, file id."""
    if (message.text or "").strip().startswith("/cancel"):
        return service.Content("", cancel=True)
    if message.photo:
        return service.Content(message.caption_html or "", "photo", message.photo[-1].file_id)
    if message.document:
        return service.Content(message.caption_html or "", "document", message.document.file_id)
    return service.Content(message.text_html or "")


async def composed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The author's message after a bare /announce. Any other private message passes on."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    known = _not_composing(context)
    if user.id in known:
        return
    async with db_of(context).session(write=False) as session:
        if await store.find_composing(session, user.id) is None:
            known.add(user.id)
            return  # a read, so that every other private message costs no write
    handled = False

    async def body(
        update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
    ) -> Outcome | None:
        nonlocal handled
        outcome = await service.composed(session, ctx, _content(message))
        handled = outcome is not None
        return outcome

    await adapter(body)(update, context)
    if handled:
        raise ApplicationHandlerStop


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
    commands: see bot/handlers/__init__.py)."""
    return MessageHandler(
        filters.UpdateType.MESSAGE  # an edit is never the announcement (bot/handlers/guards.py)
        & filters.ChatType.PRIVATE
        & (
            (filters.TEXT & ~filters.COMMAND)
            | filters.PHOTO
            | filters.Document.ALL
            | filters.Regex(r"^/cancel\b")
        ),
        composed,
    )
