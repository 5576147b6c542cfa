"""The election job: openings and closings by time, and the handover; and the sending of the
group posts the elections' state changes queue in the delivery log.

The state changes queue their group posts in the delivery log in their own transaction; the
buttons' posts are sent right after the commit (``FanOut("election")``, see bot/jobs/wiring.py),
the job's by the job itself, and anything a stopped process left by the job's next tick.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.ext import Application

from bot.clock import clock_of, system_clock
from bot.delivery import deliver_queued
from bot.jobs import awards
from bot.jobs.scheduler import get_scheduler
from bot.publishing.after_commit import wake_effects
from bot.publishing.outbox import queue_live, queue_menu
from bot.services import elections as service
from bot.services.screens import FanOut
from storage import clusters, people
from storage import elections as store
from storage.database import Database

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Sending what was queued in the delivery log


async def flush_queue(app: Application) -> None:
    """Send the group posts queued with state changes (each key once, ever)."""
    scheduler = get_scheduler(app)
    try:
        await deliver_queued(
            app.bot_data["db"], scheduler.send, pacer=scheduler.pacer, owner=scheduler.owner
        )
    except Exception:  # noqa: BLE001 - the rows stay queued; the next tick sends them
        log.exception("could not send queued election messages")


async def fan_out_step(app: Application, fanout: FanOut) -> None:
    await flush_queue(app)


# --------------------------------------------------------------------------------------------
# The job: what is due by time


def _group_lang(app: Application) -> str:
    return str(app.bot_data["settings"].language)


async def _queue_turnout(session: AsyncSession, app: Application, *round_ids: int | None) -> None:
    for round_id in round_ids:
        if not round_id:
            continue
        round_ = await store.get_round(session, round_id)
        election = await store.get_election(session, round_.election_id) if round_ else None
        cluster = await clusters.get_cluster(session, election.cluster_id) if election else None
        if cluster is not None and cluster.group_chat_id is not None:
            await queue_live(
                session,
                "turnout",
                round_id,
                cluster.group_chat_id,
                _group_lang(app),
                now=system_clock(),
            )


async def open_and_announce(app: Application, election_id: int, now: datetime) -> str | None:
    """Open the election; the group gets the roll and its fingerprint. Returns the opening
    text, or None when it could not be opened (the reason is logged)."""
    db: Database = app.bot_data["db"]
    try:
        async with db.session() as session:
            opened = await service.open_election(
                session, election_id, now, _group_lang(app), app.bot.username
            )
            await _queue_turnout(session, app, opened.round_id)
    except service.ElectionError as exc:
        log.info("election %s not opened: %s", election_id, exc)
        return None
    wake_effects(app)
    await flush_queue(app)
    return opened.text


async def close_and_announce(
    app: Application, round_id: int, now: datetime, closed_by: int | None
) -> service.RoundClosed | None:
    """Count a round and post the result; None when someone else closed it first."""
    db: Database = app.bot_data["db"]
    async with db.session() as session:
        closed = await service.close_round(session, round_id, now, closed_by, _group_lang(app))
        if closed is None:
            return None
        next_id = closed.next_round.id if closed.next_round is not None else None
        await _queue_turnout(session, app, round_id, next_id)
    wake_effects(app)
    await flush_queue(app)
    return closed


async def tick(app: Application) -> None:
    """What is due now: openings, closings, handovers; and the group posts left queued. Safe to
    run twice (each step is claimed in the database first)."""
    db: Database = app.bot_data["db"]
    now = clock_of(app.bot_data)()
    async with db.session() as session:
        openings = await store.list_due_openings(session, now)
        closings = await store.list_due_closings(session, now)
    for election_id in openings:
        await open_and_announce(app, election_id, now)
    for round_id in closings:
        await close_and_announce(app, round_id, now, None)
    if await awards.close_due(app, now):  # award votes: counted by their own rules
        wake_effects(app)
    await handovers(app, now)
    await flush_queue(app)


async def handovers(app: Application, now: datetime) -> None:
    """On the first day of the new term: tell the group who now holds the offices."""
    db: Database = app.bot_data["db"]
    year = now.astimezone(app.bot_data["settings"].tz).year
    async with db.session() as session:
        handed_over = await service.handovers(session, year, now, _group_lang(app))
        # The new head's and deputy's officers get the head's commands in their menu (and the
        # old ones lose them), as effects; permissions are worked out afresh on every update.
        for cluster_id in handed_over:
            for member in await people.list_members(session, cluster_id):
                await queue_menu(session, member.person_id, now=system_clock())
    if handed_over:
        wake_effects(app)
        await flush_queue(app)


__all__ = [
    "close_and_announce",
    "fan_out_step",
    "flush_queue",
    "handovers",
    "open_and_announce",
    "tick",
]
