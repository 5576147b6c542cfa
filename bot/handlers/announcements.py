"""/announce (compose, preview, send or cancel), the "Đã nhận" button, /acks (thin:
bot/services/announcements.py decides), and the delivery steps: the fan-out after a send, and
the job that finishes interrupted fan-outs and nudges once.

Fan-out goes through the delivery log (`bot.delivery.deliver`): every private copy, the group
post and every nudge has a unique key, so a second press, a second process or a restart never
sends one twice. A fan-out interrupted by a restart is finished by the next tick (the keys
already sent are skipped). The pin and the author's report are effects, queued once the
fan-out has been recorded.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Message, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.clock import clock_of, system_clock
from bot.delivery import SendFn, deliver
from bot.domain.callback_data import ANNOUNCE
from bot.handlers.replying import adapter, db_of, gated, is_private, wake_effects
from bot.publishing.after_commit import after_commit
from bot.publishing.outbox import queue_requests
from bot.publishing.requests import Request
from bot.scheduler import get_scheduler, telegram_sender
from bot.services import announcements as service
from bot.services.context import Context
from bot.services.screens import FanOut, Outcome
from messages.render import render
from storage import announcements as store
from storage import deliveries
from storage.database import Database
from storage.models_announcements import Announcement
from storage.models_delivery import Delivery

log = logging.getLogger(__name__)

FANOUT_ROUNDS = 3  # a fan-out right after the press tries what failed transiently this often


# --------------------------------------------------------------------------------------------
# Commands and buttons


@gated
async def announce_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    message = update.effective_message
    assert message is not None
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


async def composed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The author's message after a bare /announce. Any other private message passes on."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    async with db_of(context).session(write=False) as session:
        if await store.composing_for(session, user.id) is None:
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


# --------------------------------------------------------------------------------------------
# The fan-out


class _MediaBot:
    """Lets `telegram_sender` send a photo or document instead of a text: one request per
    call (the item's text is the caption; an empty text sends the file alone)."""

    def __init__(self, bot: Any, kind: str, file_id: str) -> None:
        self.bot = bot
        self.kind = kind
        self.file_id = file_id

    async def send_message(
        self, chat_id: int, text: str, parse_mode: Any = None, reply_markup: Any = None, **_: Any
    ) -> Message:
        send = self.bot.send_photo if self.kind == "photo" else self.bot.send_document
        return await send(
            chat_id,
            self.file_id,
            caption=text or None,
            parse_mode=parse_mode,
            reply_markup=reply_markup,
        )


def _file_sender(app: Application, row: Announcement) -> SendFn:
    assert row.media_kind and row.media_file_id
    return telegram_sender(_MediaBot(app.bot, row.media_kind, row.media_file_id))


async def fan_out(
    app: Application,
    announcement_id: int,
    report_message_id: int | None = None,
    rounds: int = FANOUT_ROUNDS,
) -> tuple[bool, int, int]:
    """Post to the group, then a private copy to every officer; record them, pin, report to
    the author (once). Idempotent: each message has its key in the delivery log. Returns
    (posted in the group, departments, officers reached)."""
    db: Database = app.bot_data["db"]
    lang = app.bot_data["settings"].language
    scheduler = get_scheduler(app)
    fan: service.Plan | None = None
    for attempt in range(rounds):
        async with db.session(write=False) as session:
            fan = await service.plan(session, announcement_id, lang)
        if fan is None:
            return False, 0, 0
        transient = 0
        if fan.files:
            report = await deliver(
                db,
                fan.files,
                _file_sender(app, fan.row),
                pacer=scheduler.pacer,
                owner=scheduler.owner,
            )
            transient += report.transient
        if fan.texts:
            report = await deliver(
                db, fan.texts, scheduler.send, pacer=scheduler.pacer, owner=scheduler.owner
            )
            transient += report.transient
        if not transient:
            break
        if attempt + 1 < rounds:
            await asyncio.sleep(0.5 * 2**attempt)
    assert fan is not None
    delivered = await _delivered(db, fan.keys)
    posted = service.group_key(announcement_id) in delivered
    async with db.session() as session:
        reached = await service.record(session, fan, delivered, lang, clock_of(app.bot_data)())
        now = system_clock()
        if reached.pin and fan.group is not None and reached.group_message_id:
            pin = Request("pin", message_id=reached.group_message_id)
            await queue_requests(session, fan.group, [pin], now=now)
        if reached.report:
            text = render(
                reached.author_lang,
                "announcements.sent_for_you",
                group=posted,
                departments=reached.departments,
                officers=reached.officers,
            )
            method = "edit" if report_message_id is not None else "text"
            request = Request(method, text, message_id=report_message_id)
            await queue_requests(session, reached.author_id, [request], now=now)
    wake_effects(app)
    return posted, reached.departments, reached.officers


async def _fan_out_step(app: Application, fanout: FanOut) -> None:
    await fan_out(app, fanout.ref, fanout.report_message_id)


async def _delivered(db: Database, keys: list[str]) -> dict[str, int]:
    """key -> Telegram message id (0 when unknown) for the keys that were delivered."""
    found: dict[str, int] = {}
    async with db.session(write=False) as session:
        rows = await session.exec(  # type: ignore[call-overload]  # sqlmodel types exec() for its own select() only
            select(col(Delivery.key), col(Delivery.message_id), col(Delivery.state)).where(
                col(Delivery.key).in_(keys)
            )
        )
        for key, message_id, state in rows.all():
            if deliveries.is_delivered(state):
                found[key] = int(message_id or 0)
    return found


# --------------------------------------------------------------------------------------------
# The tick: finish interrupted fan-outs, nudge once


async def tick(app: Application) -> None:
    db: Database = app.bot_data["db"]
    now = clock_of(app.bot_data)()
    async with db.session() as session:
        recent = await session.exec(  # type: ignore[call-overload]  # sqlmodel types exec() for its own select() only
            select(col(Announcement.id)).where(
                col(Announcement.state) == "sent",
                col(Announcement.sent_at) >= now - timedelta(hours=1),
            )
        )
        unfinished = [i for (i,) in recent.all()]
        due = await store.due_nudges(session, now)
    for announcement_id in unfinished:
        await fan_out(app, announcement_id, rounds=1)
    for announcement_id in due:
        await nudge(app, announcement_id)


async def nudge(app: Application, announcement_id: int) -> int:
    """Once: the officers of every department that has not acknowledged. Returns how many."""
    db: Database = app.bot_data["db"]
    lang = app.bot_data["settings"].language
    scheduler = get_scheduler(app)
    async with db.session(write=False) as session:
        found = await service.nudge_items(session, announcement_id, lang)
    if found is None:
        return 0
    _, items = found
    report = await deliver(db, items, scheduler.send, pacer=scheduler.pacer, owner=scheduler.owner)
    async with db.session() as session:
        await store.mark_nudged(session, announcement_id, clock_of(app.bot_data)())
    return report.sent


async def _tick_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await tick(context.application)
    except Exception:  # noqa: BLE001 - the next tick tries again
        log.exception("announcement tick failed")


def register(app: Application) -> None:
    app.add_handler(CommandHandler("announce", announce_command))
    app.add_handler(CommandHandler("acks", acks_command))
    app.add_handler(CallbackQueryHandler(announce_button, pattern=ANNOUNCE.pattern))
    app.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE  # an edit is never the announcement (bot/handlers/guards.py)
            & filters.ChatType.PRIVATE
            & (
                (filters.TEXT & ~filters.COMMAND)
                | filters.PHOTO
                | filters.Document.ALL
                | filters.Regex(r"^/cancel\b")
            ),
            composed,
        ),
        group=-1,
    )
    after_commit(app).register("announcement", _fan_out_step)
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            _tick_job,
            interval=float(app.bot_data.get("announcements_interval", 60)),
            first=2.0,
            name="announcements",
            job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )
