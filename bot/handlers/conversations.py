"""Conversations that take a user's next private messages as answers (an announcement being
composed, a nomination, a self-score): one shape for all of them.

Every private message passes through each such conversation's handler before the commands see
it, so each would cost a database read per message. The handler remembers, per process, who it
found idle, and the commands and buttons that start the conversation forget that first
(:func:`starts`). Only the active replica handles updates, and a replica that takes over starts
with a new Application (new ``bot_data``), so nothing remembered can be stale; only "idle" is
remembered, whether a conversation is in progress is always read from the database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop, ContextTypes, MessageHandler, filters

from bot.handlers.replying import adapter, db_of
from bot.services.context import Context
from bot.services.screens import Outcome

__all__ = ["answers", "starts"]

T = TypeVar("T")
InProgress = Callable[[AsyncSession, int], Awaitable[bool]]


def _text(message: Message) -> str:
    return message.text or ""


def _idle(context: ContextTypes.DEFAULT_TYPE, name: str) -> set[int]:
    found: set[int] = context.application.bot_data.setdefault(f"idle:{name}", set())
    return found


def starts(context: ContextTypes.DEFAULT_TYPE, name: str, user_id: int) -> None:
    """Something this user did may start conversation ``name``: look again at their next
    message."""
    _idle(context, name).discard(user_id)


def answers(
    name: str,
    in_progress: InProgress,
    answer: Callable[[AsyncSession, Context, T], Awaitable[Outcome | None]],
    *,
    read: Callable[[Message], T] = _text,  # type: ignore[assignment]  # T is str by default
    media: bool = False,
) -> MessageHandler:
    """The handler of conversation ``name``, registered in a group of its own before the
    commands: a private text (or /cancel; with ``media`` a photo or a document too) of a user
    with one in progress is its answer, as ``read`` takes it from the message (the update stops
    there when the answer took it); any other passes on. Edits are never answers
    (bot/handlers/guards.py)."""
    taken = filters.TEXT & ~filters.COMMAND
    if media:
        taken = taken | filters.PHOTO | filters.Document.ALL

    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user, message = update.effective_user, update.effective_message
        if user is None or message is None:
            return
        idle = _idle(context, name)
        if user.id in idle:
            return
        async with db_of(context).session(write=False) as session:
            if not await in_progress(session, user.id):
                idle.add(user.id)
                return  # a read, so that every other private message costs no write
        handled = False

        async def body(
            update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
        ) -> Outcome | None:
            nonlocal handled
            outcome = await answer(session, ctx, read(message))
            handled = outcome is not None
            return outcome

        await adapter(body)(update, context)
        if handled:
            raise ApplicationHandlerStop

    return MessageHandler(
        filters.UpdateType.MESSAGE
        & filters.ChatType.PRIVATE
        & (taken | filters.Regex(r"^/cancel\b")),
        handler,
    )
