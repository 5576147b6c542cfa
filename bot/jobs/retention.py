"""The retention job: once a day, delete the delivery-log rows and the finished drafts older than
CLUSTERBOT_RETENTION_DAYS (storage/retention.py says which, and why nothing a live feature needs
goes: the delivery keys of an open round stay, whatever their age).

Each kind is deleted in batches of ``BATCH`` rows, each batch its own short transaction: on
SQLite a batch holds the write lock for milliseconds, not for the whole prune, and on
PostgreSQL no long transaction holds back vacuum or the other replicas' work. The first run
comes a while after start, when the other ticks have caught up on what fell due while the bot
was down (a pending nudge is then sent before anything around it could be pruned).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.ext import Application

from bot.clock import clock_of
from storage import retention as store
from storage.database import Database

log = logging.getLogger(__name__)

BATCH = 500
DAY = 24 * 60 * 60.0

Prune = Callable[[AsyncSession, datetime, int], Awaitable[int]]


@dataclass
class Pruned:
    deliveries: int = 0
    report_drafts: int = 0
    announcements: int = 0
    elections: int = 0

    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


async def _in_batches(db: Database, prune: Prune, cutoff: datetime, batch: int) -> int:
    total = 0
    while True:
        async with db.session() as session:
            count = await prune(session, cutoff, batch)
        total += count
        if count < batch:
            return total
        await asyncio.sleep(0)  # let the updates waiting meanwhile go first


async def prune(db: Database, cutoff: datetime, *, batch: int = BATCH) -> Pruned:
    """Delete what is older than ``cutoff`` and no longer needed; returns how many of each."""
    return Pruned(
        deliveries=await _in_batches(db, store.prune_deliveries, cutoff, batch),
        report_drafts=await _in_batches(db, store.prune_report_drafts, cutoff, batch),
        announcements=await _in_batches(db, store.prune_cancelled_announcements, cutoff, batch),
        elections=await _in_batches(db, store.prune_discarded_elections, cutoff, batch),
    )


async def tick(app: Application) -> Pruned | None:
    """The daily run: the cutoff is the bot's clock less the retention period (0: keep all)."""
    days = int(app.bot_data["settings"].retention_days)
    if days <= 0:
        return None
    cutoff = clock_of(app.bot_data)() - timedelta(days=days)
    pruned = await prune(app.bot_data["db"], cutoff)
    if pruned.total():
        log.info("retention: pruned %s older than %s", pruned, cutoff.isoformat())
    return pruned
