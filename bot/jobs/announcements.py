"""Announcements after the press: the fan-out (run right after the commit, see
bot/jobs/wiring.py), and the tick that finishes fan-outs a restart interrupted and nudges once.

Fan-out goes through the delivery log (`bot.delivery.deliver`): every private copy, the group
post and every nudge has a unique key, so a second press, a second process or a restart never
sends one twice (the keys already sent are skipped). The pin and the author's report are
effects, queued once the fan-out has been recorded.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram.ext import Application

from bot.clock import clock_of, system_clock
from bot.delivery import SendFn, deliver
from bot.jobs.scheduler import get_scheduler
from bot.publishing.after_commit import wake_effects
from bot.publishing.outbox import queue_requests
from bot.publishing.requests import Request
from bot.publishing.sender import file_sender
from bot.services import announcements as service
from bot.services.screens import FanOut
from messages.render import render
from storage import announcements as store
from storage import deliveries
from storage.database import Database
from storage.models_announcements import Announcement

log = logging.getLogger(__name__)

FANOUT_ROUNDS = 3  # a fan-out right after the press tries what failed transiently this often


def _file_sender(app: Application, row: Announcement) -> SendFn:
    assert row.media_kind and row.media_file_id
    return file_sender(app.bot, row.media_kind, row.media_file_id)


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


async def fan_out_step(app: Application, fanout: FanOut) -> None:
    await fan_out(app, fanout.ref, fanout.report_message_id)


async def _delivered(db: Database, keys: list[str]) -> dict[str, int]:
    """key -> Telegram message id (0 when unknown) for the keys that were delivered."""
    async with db.session(write=False) as session:
        return await deliveries.get_delivered_message_ids(session, keys)


# --------------------------------------------------------------------------------------------
# The tick: finish interrupted fan-outs, nudge once


async def tick(app: Application) -> None:
    db: Database = app.bot_data["db"]
    now = clock_of(app.bot_data)()
    async with db.session() as session:
        unfinished = await store.list_sent_since(session, now - timedelta(hours=1))
        due = await store.list_due_nudges(session, now)
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
