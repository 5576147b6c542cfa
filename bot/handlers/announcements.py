"""/announce (compose, preview, send or cancel), the "Đã nhận" button, /acks, and the nudge.

Fan-out goes through the delivery log (`bot.delivery.deliver`): every private copy, the group
post and every nudge has a unique key, so a second press, a second process or a restart never
sends one twice. A fan-out interrupted by a restart is finished by the next tick (the keys
already sent are skipped).
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.clock import clock_of
from bot.delivery import Button, Outgoing, deliver
from bot.domain import elections as rules
from bot.domain.callback_data import ANNOUNCE
from bot.domain.elections import may_announce
from bot.handlers.replying import (
    context_for,
    db_of,
    inline_markup,
    is_private,
    reply_html,
)
from bot.scheduler import get_scheduler, telegram_sender
from bot.services.context import Context
from messages.render import render
from storage import announcements as store
from storage import clusters, deliveries, schedules
from storage.database import Database
from storage.models_announcements import Announcement
from storage.models_delivery import Delivery

log = logging.getLogger(__name__)

TEXT_LIMIT = 3500  # leaves room for the header and footer within Telegram's 4096
CAPTION_LIMIT = 900  # Telegram's caption limit is 1024


def _office_of(ctx: Context) -> str:
    if ctx.actor is None:
        return ""
    if ctx.actor.is_head:
        return "head"
    if ctx.actor.is_deputy:
        return "deputy"
    return ""


def _copy_text(lang: str, row: Announcement, office: str, private: bool) -> str:
    text = render(
        lang,
        "announcements.copy",
        header=Markup(render(lang, "announcements.header", author_office=office)),
        body=Markup(row.text),
    )
    if private:
        text += "\n\n" + render(lang, "announcements.private_footer")
    return text


def _ack_markup(lang: str, announcement_id: int) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(
                render(lang, "announcements.btn_ack"),
                callback_data=rules.announcement_data("ack", announcement_id),
            ),
        ),
    )


class _MediaBot:
    """Lets `telegram_sender` send a photo or document (with its caption) instead of a text."""

    def __init__(self, bot: Any, kind: str, file_id: str) -> None:
        self.bot = bot
        self.kind = kind
        self.file_id = file_id

    async def send_message(
        self, chat_id: int, text: str, parse_mode: Any = None, reply_markup: Any = None, **_: Any
    ) -> Message:
        send = self.bot.send_photo if self.kind == "photo" else self.bot.send_document
        if len(text) <= 1024:
            return await send(
                chat_id,
                self.file_id,
                caption=text,
                parse_mode=parse_mode,
                reply_markup=reply_markup,
            )
        await send(chat_id, self.file_id)
        return await self.bot.send_message(
            chat_id, text, parse_mode=parse_mode, reply_markup=reply_markup
        )


def _sender(app: Application, row: Announcement) -> Any:
    if row.media_kind and row.media_file_id:
        return telegram_sender(_MediaBot(app.bot, row.media_kind, row.media_file_id))
    return get_scheduler(app).send


# --------------------------------------------------------------------------------------------
# Composing


def _content(message: Message) -> tuple[str, str | None, str | None]:
    """(Telegram HTML text, media kind, file id) of what the author sent."""
    if message.photo:
        return message.caption_html or "", "photo", message.photo[-1].file_id
    if message.document:
        return message.caption_html or "", "document", message.document.file_id
    return message.text_html or "", None, None


async def _preview(
    session: AsyncSession, ctx: Context, row: Announcement
) -> tuple[str, InlineKeyboardMarkup]:
    assert row.id is not None and ctx.cluster is not None
    recipients = await store.officer_recipients(session, ctx.cluster.id)
    schedule = await schedules.load_schedule(session, ctx.cluster.id)
    nudge_at = rules.nudge_time(
        ctx.now, schedule.tz(ctx.tz), schedule.calendar(), row.nudge_working_days
    )
    text = render(
        ctx.lang,
        "announcements.preview_header",
        pin=row.pin,
        departments=len({d for _, d in recipients}),
        officers=len(recipients),
        nudge_at=nudge_at,
    )
    markup = inline_markup(
        [
            [(render(ctx.lang, "announcements.btn_send"), rules.announcement_data("send", row.id))],
            [
                (
                    render(ctx.lang, "announcements.btn_pin", pin=row.pin),
                    rules.announcement_data("pin", row.id),
                ),
                (
                    render(ctx.lang, "announcements.btn_nudge", days=row.nudge_working_days),
                    rules.announcement_data("nudge", row.id),
                ),
            ],
            [
                (
                    render(ctx.lang, "announcements.btn_cancel"),
                    rules.announcement_data("cancel", row.id),
                )
            ],
        ]
    )
    return text, markup


async def _show_preview(
    update: Update, ctx: Context, row: Announcement, control: tuple[str, Any]
) -> None:
    """The announcement as officers will see it, then the controls."""
    chat = update.effective_chat
    assert chat is not None
    body = _copy_text(ctx.lang, row, _office_of(ctx), private=False)
    if row.media_kind == "photo" and row.media_file_id:
        await chat.send_photo(row.media_file_id, caption=body, parse_mode=ParseMode.HTML)
    elif row.media_kind == "document" and row.media_file_id:
        await chat.send_document(row.media_file_id, caption=body, parse_mode=ParseMode.HTML)
    else:
        await chat.send_message(body, parse_mode=ParseMode.HTML)
    await reply_html(update, control[0], control[1])


def _too_long(text: str, media: str | None) -> bool:
    return len(text) > (CAPTION_LIMIT if media else TEXT_LIMIT)


async def announce_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    async with db_of(context).session() as session:
        ctx = await context_for(update, context, session)
        if ctx.actor is None or ctx.cluster is None:
            await reply_html(update, render(ctx.lang, "onboarding.stranger"))
            return
        if not may_announce(ctx.actor):
            await reply_html(update, render(ctx.lang, "announcements.not_allowed"))
            return
        if not is_private(update):
            await reply_html(update, render(ctx.lang, "announcements.private_only"))
            return
        text = re.sub(r"^/announce(@\w+)?\s*", "", message.text_html or "", count=1).strip()
        if not text:
            await store.start_composing(session, ctx.cluster.id, ctx.user_id, ctx.now)
            reply: tuple[str, Any] | None = (render(ctx.lang, "announcements.compose"), None)
            row = None
        elif _too_long(text, None):
            reply, row = (render(ctx.lang, "announcements.too_long", limit=TEXT_LIMIT), None), None
        else:
            row = await store.create_draft(session, ctx.cluster.id, ctx.user_id, text, ctx.now)
            reply = await _preview(session, ctx, row)
    if row is not None:
        await _show_preview(update, ctx, row, reply)
    else:
        await reply_html(update, reply[0], reply[1])


async def composed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The author's message after a bare /announce. Any other private message passes on."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return
    async with db_of(context).session() as session:
        pending = await store.composing_for(session, user.id)
        if pending is None or pending.id is None:
            return
        ctx = await context_for(update, context, session)
        if (message.text or "").strip().startswith("/cancel"):
            await store.cancel(session, pending.id)
            reply: tuple[str, Any] = (render(ctx.lang, "announcements.cancelled"), None)
            row = None
        else:
            text, media, file_id = _content(message)
            if not text.strip() and media is None:
                reply, row = (render(ctx.lang, "announcements.empty"), None), None
            elif _too_long(text, media):
                reply, row = (
                    (render(ctx.lang, "announcements.too_long", limit=TEXT_LIMIT), None),
                    None,
                )
            else:
                await store.fill_draft(session, pending.id, text, media, file_id)
                row = await store.get_announcement(session, pending.id)
                assert row is not None
                reply = await _preview(session, ctx, row)
    if row is not None:
        await _show_preview(update, ctx, row, reply)
    else:
        await reply_html(update, reply[0], reply[1])
    raise ApplicationHandlerStop


# --------------------------------------------------------------------------------------------
# Sending


async def fan_out(app: Application, announcement_id: int) -> tuple[bool, int, int]:
    """Post to the group (and pin), then a private copy to every officer. Idempotent: each
    message has its key in the delivery log. Returns (posted in the group, departments,
    officers reached)."""
    db: Database = app.bot_data["db"]
    lang = app.bot_data["settings"].language
    scheduler = get_scheduler(app)
    async with db.session() as session:
        row = await store.get_announcement(session, announcement_id)
        if row is None or row.state != "sent" or row.id is None:
            return False, 0, 0
        cluster = await clusters.get_cluster(session, row.cluster_id)
        recipients = await store.officer_recipients(session, row.cluster_id)
        languages = {
            r.person_id: r.language
            for r in await deliveries.officers(session, {d for _, d in recipients})
        }
        office = await _author_office(session, row)
    send = _sender(app, row)
    group = cluster.group_chat_id if cluster else None
    items: list[Outgoing] = []
    group_key = f"ann:{announcement_id}:group"
    if group is not None:
        items.append(
            Outgoing(
                key=group_key,
                chat_id=group,
                text=_copy_text(lang, row, office, private=False),
                kind="announcement",
                cluster_id=row.cluster_id,
            )
        )
    for person, department in recipients:
        person_lang = languages.get(person) or lang
        items.append(
            Outgoing(
                key=f"ann:{announcement_id}:copy:{person}",
                chat_id=person,
                text=_copy_text(person_lang, row, office, private=True),
                markup=_ack_markup(person_lang, announcement_id),
                kind="announcement",
                cluster_id=row.cluster_id,
                department_id=department,
            )
        )
    await deliver(db, items, send, pacer=scheduler.pacer, owner=scheduler.owner)
    sent_rows = await _delivered(db, [i.key for i in items])
    now = clock_of(app.bot_data)()
    async with db.session() as session:
        for person, department in recipients:
            delivered = sent_rows.get(f"ann:{announcement_id}:copy:{person}")
            if delivered is not None:
                await store.record_copy(
                    session, announcement_id, person, department, delivered, now
                )
        group_message = sent_rows.get(group_key)
        if group is not None and group_message and row.group_message_id is None:
            await store.set_group_message(session, announcement_id, group, group_message)
    if row.pin and group is not None and group_message and row.group_message_id is None:
        try:
            await app.bot.pin_chat_message(group, group_message, disable_notification=True)
        except TelegramError as exc:
            log.warning("could not pin announcement %s: %s", announcement_id, exc)
    reached = {d for p, d in recipients if f"ann:{announcement_id}:copy:{p}" in sent_rows}
    officers = sum(1 for p, _ in recipients if f"ann:{announcement_id}:copy:{p}" in sent_rows)
    return group_key in sent_rows, len(reached), officers


async def _delivered(db: Database, keys: list[str]) -> dict[str, int]:
    """key -> Telegram message id (0 when unknown) for the keys that were delivered."""
    found: dict[str, int] = {}
    async with db.session() as session:
        rows = await session.exec(  # type: ignore[call-overload]
            select(Delivery.key, Delivery.message_id, Delivery.state).where(
                col(Delivery.key).in_(keys)
            )
        )
        for key, message_id, state in rows.all():
            if deliveries.is_delivered(state):
                found[key] = int(message_id or 0)
    return found


async def _author_office(session: AsyncSession, row: Announcement) -> str:
    from storage import people

    membership = await people.membership_in(session, row.author_id, row.cluster_id)
    if membership is None or membership.department_id is None:
        return ""
    year = (row.sent_at or row.created_at).year
    holders = await clusters.current_offices(session, row.cluster_id, year)
    for role in ("head", "deputy"):
        if holders.get(role) == membership.department_id:
            return role
    return ""


async def announce_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    parsed = rules.parse_announcement_data(query.data or "")
    app = context.application
    if parsed is None:  # not data we ever sent: said so, nothing changes
        await query.answer()
        async with db_of(context).session() as session:
            ctx = await context_for(update, context, session)
        await reply_html(update, render(ctx.lang, "common.stale_button"))
        return
    action, announcement_id = parsed
    if action == "ack":
        await _acknowledge(update, context, announcement_id)
        return
    send_now = False
    async with db_of(context).session() as session:
        ctx = await context_for(update, context, session)
        row = await store.get_announcement(session, announcement_id)
        text: str
        markup: InlineKeyboardMarkup | None = None
        if (
            not may_announce(ctx.actor)
            or row is None
            or ctx.cluster is None
            or row.cluster_id != ctx.cluster.id
        ):
            text = render(ctx.lang, "announcements.not_allowed")
        elif row.state != "draft":
            text = render(ctx.lang, "announcements.already_handled")
        elif action == "cancel":
            await store.cancel(session, announcement_id)
            text = render(ctx.lang, "announcements.cancelled")
        elif action in ("pin", "nudge"):
            if action == "pin":
                await store.set_pin(session, announcement_id, not row.pin)
            else:
                days = rules.next_nudge_choice(row.nudge_working_days)
                await store.set_nudge_days(session, announcement_id, days)
            row = await store.get_announcement(session, announcement_id)
            assert row is not None
            text, markup = await _preview(session, ctx, row)
        else:  # send
            schedule = await schedules.load_schedule(session, ctx.cluster.id)
            nudge_at = rules.nudge_time(
                ctx.now, schedule.tz(ctx.tz), schedule.calendar(), row.nudge_working_days
            )
            send_now = await store.claim_send(session, announcement_id, ctx.now, nudge_at)
            text = render(ctx.lang, "announcements.already_handled")
    await query.answer()
    if send_now:
        group, departments, officers = await fan_out(app, announcement_id)
        text = render(
            ctx.lang,
            "announcements.sent_for_you",
            group=group,
            departments=departments,
            officers=officers,
        )
    message = query.message
    try:
        if isinstance(message, Message):
            await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
            return
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return
    await reply_html(update, text, markup)


async def _acknowledge(
    update: Update, context: ContextTypes.DEFAULT_TYPE, announcement_id: int
) -> None:
    query = update.callback_query
    assert query is not None
    async with db_of(context).session() as session:
        ctx = await context_for(update, context, session)
        row = await store.get_announcement(session, announcement_id)
        if ctx.actor is None or row is None or row.cluster_id != ctx.actor.cluster_id:
            outcome = "unknown"
        else:
            outcome = await store.acknowledge(
                session, announcement_id, ctx.user_id, ctx.actor.department_id, ctx.now
            )
    if outcome == "new":
        answer = render(ctx.lang, "announcements.acked", department=ctx.department, at=ctx.now)
    elif outcome == "again":
        answer = render(ctx.lang, "announcements.acked_again")
    else:
        answer = render(ctx.lang, "announcements.unknown")
    try:
        await query.answer(re.sub(r"<[^>]+>", "", answer)[:200])
    except TelegramError:
        pass
    if outcome == "new":
        message = query.message
        if isinstance(message, Message):
            acked = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            render(ctx.lang, "announcements.btn_acked"), callback_data=query.data
                        )
                    ]
                ]
            )
            try:
                await message.edit_reply_markup(reply_markup=acked)
            except TelegramError:
                pass
        await reply_html(update, answer)


# --------------------------------------------------------------------------------------------
# /acks


async def acks_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    async with db_of(context).session() as session:
        ctx = await context_for(update, context, session)
        if ctx.actor is None or ctx.cluster is None:
            text = render(ctx.lang, "onboarding.stranger")
        elif not may_announce(ctx.actor):
            text = render(ctx.lang, "announcements.not_allowed")
        else:
            row = await store.latest_sent(session, ctx.cluster.id)
            if row is None or row.id is None:
                text = render(ctx.lang, "announcements.none_sent")
            else:
                lines = await store.acks_by_department(session, row.id)
                text = render(
                    ctx.lang,
                    "announcements.acks",
                    announcement=row,
                    excerpt=rules.excerpt(row.text),
                    lines=lines,
                    done=sum(1 for line in lines if line.acknowledged),
                    total=len(lines),
                )
    await reply_html(update, text)


# --------------------------------------------------------------------------------------------
# The tick: finish interrupted fan-outs, nudge once


async def tick(app: Application) -> None:
    db: Database = app.bot_data["db"]
    now = clock_of(app.bot_data)()
    async with db.session() as session:
        recent = await session.exec(  # type: ignore[call-overload]
            select(Announcement.id).where(
                col(Announcement.state) == "sent",
                col(Announcement.sent_at) >= now - timedelta(hours=1),
            )
        )
        unfinished = [i for (i,) in recent.all()]
        due = await store.due_nudges(session, now)
    for announcement_id in unfinished:
        await fan_out(app, announcement_id)
    for announcement_id in due:
        await nudge(app, announcement_id)


async def nudge(app: Application, announcement_id: int) -> int:
    """Once: the officers of every department that has not acknowledged. Returns how many."""
    db: Database = app.bot_data["db"]
    lang = app.bot_data["settings"].language
    scheduler = get_scheduler(app)
    async with db.session() as session:
        row = await store.get_announcement(session, announcement_id)
        if row is None or row.nudged_at is not None:
            return 0
        missing = await store.unacknowledged_departments(session, announcement_id)
        recipients = await deliveries.officers(session, missing)
    items = []
    for r in recipients:
        person_lang = r.language or lang
        items.append(
            Outgoing(
                key=f"ann:{announcement_id}:nudge:{r.person_id}",
                chat_id=r.person_id,
                text=render(
                    person_lang,
                    "announcements.nudge",
                    announcement=row,
                    excerpt=rules.excerpt(row.text),
                ),
                markup=_ack_markup(person_lang, announcement_id),
                kind="announcement_nudge",
                cluster_id=row.cluster_id,
                department_id=r.department_id,
            )
        )
    report = await deliver(db, items, scheduler.send, pacer=scheduler.pacer, owner=scheduler.owner)
    async with db.session() as session:
        await store.mark_nudged(
            session,
            announcement_id,
            clock_of(app.bot_data)(),
        )
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
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            _tick_job,
            interval=float(app.bot_data.get("announcements_interval", 60)),
            first=2.0,
            name="announcements",
            job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )
