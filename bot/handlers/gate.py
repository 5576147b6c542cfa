"""Before any capability sees a group's update: groups that migrated, and groups that are no
cluster's.

- A group upgraded to a supergroup gets a new chat id; Telegram tells us with a service message
  in each chat. The cluster follows its group to the new id (and so does everything queued).
- In a group that is no cluster's group, a stranger's flood must cost nothing: the first
  message gets one short explanation, ever, then silence, whichever capability the command
  names. Only /link from someone who belongs to a cluster goes through (it is how a group
  becomes the cluster's group).
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    ApplicationHandlerStop,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.clock import system_clock
from bot.handlers import Handler
from bot.handlers.replying import db_of, settings_of, wake_effects
from bot.publishing.outbox import queue_outcome
from bot.services.screens import Outcome
from storage import clusters, effects, people

log = logging.getLogger(__name__)


async def follow_migration(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat_id
    else:
        return
    async with db_of(context).session() as session:
        moved = await clusters.move_group(session, old, new)
        await effects.move_chat(session, old, new)
    if moved:
        log.info("the cluster's group %s is now supergroup %s", old, new)
    wake_effects(context.application)
    raise ApplicationHandlerStop


def _is_link(update: Update) -> bool:
    message = update.message
    if message is None or not message.text:
        return False
    word = message.text.split(maxsplit=1)[0].split("@", 1)[0].lower()
    return word == "/link"


async def foreign_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    if update.message is None and update.callback_query is None:
        return  # membership changes and the like: their own handlers decide
    async with db_of(context).session() as session:
        if await clusters.find_cluster_for_group(session, chat.id) is not None:
            return
        user = update.effective_user
        if (
            _is_link(update)
            and user is not None
            and await people.list_memberships(session, user.id)
        ):
            return
        if await clusters.mark_chat_noticed(session, chat.id):
            await queue_outcome(
                session,
                chat.id,
                settings_of(context).language,
                Outcome().add("onboarding.foreign_group"),
                now=system_clock(),
                is_group=True,
            )
    wake_effects(context.application)
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except Exception:  # noqa: BLE001 - a stranger's spinner is no concern of ours
            pass
    raise ApplicationHandlerStop


def migration() -> Handler:
    """In the MIGRATION group (bot/handlers/__init__.py)."""
    return MessageHandler(filters.StatusUpdate.MIGRATE, follow_migration)


def gate() -> Handler:
    """In the GATE group, after MIGRATION: every update of a group is checked here first."""
    return TypeHandler(Update, foreign_group)
