"""The adapter every handler is built on: one unit of work per update, answers after the commit.

A handler's body returns an Outcome; the adapter queues it as effects in the same transaction
(:mod:`bot.publishing.outbox`) and wakes the effects worker once it has committed. So a handler
never waits on Telegram or its rate limits, what users read is what was stored, and a failure
to send is retried by the worker instead of reaching the error handler (whose "nothing was
changed" is then always true).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from functools import wraps
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.clock import clock_of
from bot.publishing.after_commit import after_commit, effects_mark
from bot.publishing.after_commit import wake_effects as wake_effects  # for the handlers
from bot.publishing.outbox import queue_for_update
from bot.services.context import Context, load_context
from bot.services.screens import Outcome
from bot.settings import Settings
from storage import clusters
from storage.database import Database

log = logging.getLogger(__name__)

Body = Callable[
    [Update, ContextTypes.DEFAULT_TYPE, AsyncSession, Context], Awaitable[Outcome | None]
]


def db_of(context: ContextTypes.DEFAULT_TYPE) -> Database:
    return context.application.bot_data["db"]


def settings_of(context: ContextTypes.DEFAULT_TYPE) -> Settings:
    return context.application.bot_data["settings"]


def now_of(context: ContextTypes.DEFAULT_TYPE) -> datetime:
    return clock_of(context.application.bot_data)()


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


async def context_for(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession
) -> Context:
    """Who sends this update, in which cluster (the group's, or their own in private)."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    settings = settings_of(context)
    group_id = None if chat.type == ChatType.PRIVATE else chat.id
    return await load_context(
        session, user.id, group_id, settings.language, settings.tz, now_of(context)
    )


async def group_gate(session: AsyncSession, update: Update, ctx: Context) -> Outcome | None:
    """In a group that is not a cluster's group: one short explanation, ever, then silence.
    In the cluster's group: people we do not know get a short answer. In a private chat:
    strangers get how to register."""
    if is_private(update):
        return None if ctx.actor is not None else Outcome().add("onboarding.stranger")
    chat = update.effective_chat
    assert chat is not None
    if ctx.cluster is None:
        if await clusters.mark_chat_noticed(session, chat.id):
            return Outcome().add("onboarding.foreign_group")
        return Outcome()
    if ctx.actor is None:
        return Outcome().add("onboarding.stranger_group")
    return None


def gated(body: Body) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    """A command for registered users of the chat's cluster: everyone else meets `group_gate`."""
    return adapter(body, gate=True)


def adapter(
    body: Body, gate: bool = False
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    """One session per update; what it shows is queued in that session and goes after the
    commit, so what users see is stored. Fan-outs and direct messages start after the commit."""

    @wraps(body)
    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        chat = update.effective_chat
        if user is None or chat is None or user.is_bot:
            return
        query = update.callback_query
        pressed = query.message if query is not None else None
        pressed_id = pressed.message_id if isinstance(pressed, Message) else None
        async with db_of(context).session() as session:
            ctx = await context_for(update, context, session)
            outcome = await group_gate(session, update, ctx) if gate else None
            if outcome is None:
                outcome = await body(update, context, session, ctx)
            if outcome is not None:
                await queue_for_update(
                    session,
                    ctx,
                    chat.id,
                    outcome,
                    private=chat.type == ChatType.PRIVATE,
                    pressed_message_id=pressed_id,
                    group_lang=settings_of(context).language,
                )
            mark = effects_mark(context.application)  # the last step before the commit
        wake_effects(context.application, session, mark)  # committed: its rows, without a read
        if outcome is not None:
            # Committed: now what is not an effect row (fan-outs, messages kept off the disk).
            later = after_commit(context.application)
            later.fan_out(context.application, outcome.fanouts)
            later.send_direct(
                context.application,
                chat.id,
                outcome.lang or ctx.lang,
                outcome.direct,
                pressed_id,
            )
        if query is not None:
            try:
                await query.answer()
            except TelegramError as exc:  # the spinner stops by itself; what was stored stands
                log.info("could not answer a button press: %s", exc)

    return handler
