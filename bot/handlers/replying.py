"""Turning a service's Outcome into Bot API calls: render, attach buttons, split, send."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import wraps
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from bot.clock import clock_of
from bot.handlers.menus import set_user_menu
from bot.services import rounds as round_service
from bot.services.context import Context, load_context
from bot.services.screens import Button, Outcome, Screen
from bot.settings import Settings
from messages.render import render
from messages.splitting import split_html
from storage import clusters, rounds
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


def inline_markup(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    """Rows of (label, callback data), labels already rendered."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


async def reply_html(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    chat = update.effective_chat
    assert chat is not None
    return await chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def edit_in_place(
    bot: Bot, chat_id: int, message_id: int | None, text: str, *, post_if_gone: bool = True
) -> int | None:
    """The one group message of something live (progress, turnout), edited where it stands.

    Returns the id of a newly posted message (none yet, or the old one was deleted), else None.
    """
    if message_id is not None:
        try:
            await bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML
            )
            return None
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return None
            log.info("live message %s gone, posting a new one: %s", message_id, exc)
        except Forbidden as exc:
            log.warning("cannot post to group %s: %s", chat_id, exc)
            return None
    if not post_if_gone:
        return None
    try:
        message = await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
    except (Forbidden, BadRequest) as exc:
        log.warning("cannot post to group %s: %s", chat_id, exc)
        return None
    return message.message_id


def keyboard(lang: str, rows: list[list[Any]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(render(lang, b.message, **b.params), callback_data=b.data)
                if isinstance(b, Button)
                else InlineKeyboardButton(render(lang, b.message, **b.params), url=b.url)
                for b in row
            ]
            for row in rows
        ]
    )


async def send_screen(
    bot: Bot, chat_id: int, lang: str, screen: Screen, edit: Message | None = None
) -> Message | None:
    """Render and send; a long text goes out in several messages, buttons on the last one."""
    text = render(lang, screen.message, **screen.params)
    markup = keyboard(lang, screen.buttons)
    if edit is not None and screen.edit:
        try:
            result = await edit.edit_text(text, reply_markup=markup, parse_mode=ParseMode.HTML)
            return result if isinstance(result, Message) else None
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return None
            log.info("could not edit message %s: %s", edit.message_id, exc)
    chunks = split_html(text)
    sent: Message | None = None
    for n, chunk in enumerate(chunks):
        last = n == len(chunks) - 1
        sent = await bot.send_message(
            chat_id, chunk, reply_markup=markup if last else None, parse_mode=ParseMode.HTML
        )
    return sent


async def deliver(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    ctx: Context,
    outcome: Outcome,
) -> None:
    bot = context.bot
    chat = update.effective_chat
    assert chat is not None
    pressed = update.callback_query.message if update.callback_query else None
    lang = outcome.lang or ctx.lang
    for screen in outcome.screens:
        await send_screen(
            bot, chat.id, lang, screen, pressed if isinstance(pressed, Message) else None
        )
    await send_extras(bot, chat.id, outcome)
    if outcome.group_screens or outcome.progress_round_id is not None:
        await publish_to_group(context, outcome, ctx.cluster.id if ctx.cluster else None)


async def send_extras(bot: Bot, chat_id: int, outcome: Outcome) -> None:
    """Ready-made texts, then photos (several as one media group, not a flood), then documents."""
    for text in outcome.texts:
        for chunk in split_html(text):
            await bot.send_message(chat_id, chunk, parse_mode=ParseMode.HTML)
    photos = [a for a in outcome.attachments if a.kind == "photo"]
    if len(photos) == 1:
        await bot.send_photo(
            chat_id, photos[0].data, caption=photos[0].caption, parse_mode=ParseMode.HTML
        )
    elif photos:
        media = [
            InputMediaPhoto(a.data, caption=a.caption, parse_mode=ParseMode.HTML)
            for a in photos[:10]
        ]
        await bot.send_media_group(chat_id, media)
    for a in outcome.attachments:
        if a.kind == "document":
            await bot.send_document(
                chat_id,
                InputFile(a.data, filename=a.filename),
                caption=a.caption,
                parse_mode=ParseMode.HTML,
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


async def publish_to_group(
    context: ContextTypes.DEFAULT_TYPE, outcome: Outcome, cluster_id: str | None
) -> None:
    """Announcements to the cluster's group, then the progress message, edited in place."""
    db = db_of(context)
    lang = settings_of(context).language
    async with db.session() as session:
        if outcome.progress_round_id is not None:
            row = await rounds.get_round(session, outcome.progress_round_id)
            cluster_id = row.cluster_id if row else None
        if cluster_id is None:
            return
        cluster = await clusters.get_cluster(session, cluster_id)
        group = cluster.group_chat_id if cluster else None
    if group is None:
        return
    for screen in outcome.group_screens:
        await _safe_group_send(context.bot, group, lang, screen)
    if outcome.progress_round_id is not None:
        await refresh_progress(context.bot, db, lang, outcome.progress_round_id, group)
        await _summary_when_done(context.bot, db, lang, outcome.progress_round_id)


async def _summary_when_done(bot: Bot, db: Database, lang: str, round_id: int) -> None:
    """The compiled report follows by itself when the round closes or its last department
    submits (each once)."""
    async with db.session() as session:
        screen = await round_service.progress(session, round_id)
    if screen is None:
        return
    if screen.params["state"] != "open":
        occasion = "closed"
    elif screen.params["done"] == screen.params["total"]:
        occasion = "complete"
    else:
        return
    # Imported here: the summaries handlers are built on this module's adapter.
    from bot.handlers.summaries import post_summary_once

    await post_summary_once(bot, db, round_id, lang, occasion)


async def _safe_group_send(bot: Bot, group: int, lang: str, screen: Screen) -> None:
    try:
        await send_screen(bot, group, lang, screen)
    except (Forbidden, BadRequest) as exc:
        # The bot was removed from the group: the officer's own action still stands.
        log.warning("cannot post to group %s: %s", group, exc)


async def refresh_progress(bot: Bot, db: Database, lang: str, round_id: int, group: int) -> None:
    async with db.session() as session:
        screen = await round_service.progress(session, round_id)
        row = await rounds.get_round(session, round_id)
    if screen is None or row is None:
        return
    text = render(lang, screen.message, **screen.params)
    current = row.progress_message_id if row.progress_chat_id == group else None
    posted = await edit_in_place(bot, group, current, text)
    if posted is not None:
        async with db.session() as session:
            row = await rounds.get_round(session, round_id)
            if row is not None:
                await rounds.set_progress_message(session, row, group, posted)


def gated(body: Body) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]:
    """A command for registered users of the chat's cluster: everyone else meets `group_gate`."""
    return adapter(body, gate=True)


def adapter(
    body: Body, gate: bool = False
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]:
    """One session per update; replies go out after the commit, so what users see is stored."""

    @wraps(body)
    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        chat = update.effective_chat
        if user is None or chat is None or user.is_bot:
            return
        async with db_of(context).session() as session:
            ctx = await context_for(update, context, session)
            outcome = await group_gate(session, update, ctx) if gate else None
            if outcome is None:
                outcome = await body(update, context, session, ctx)
        if update.callback_query is not None:
            await update.callback_query.answer()
        if outcome is not None:
            await deliver(update, context, ctx, outcome)
            if outcome.refresh_menu:
                await set_user_menu(context.application, user.id)

    return handler
