"""Wires the jobs into the application: the job queue wakes each tick up to look (what is due
lives in our own tables, so nothing is pickled and a second scheduler shares nothing), and the
after-commit fan-outs an Outcome asks for (bot/publishing/after_commit.py) run the jobs' steps."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.jobs import announcements, elections, retention
from bot.jobs.scheduler import get_scheduler
from bot.publishing.after_commit import after_commit

log = logging.getLogger(__name__)

# One tick at a time per job; ticks missed while one ran are merged into the next, and a late
# tick still runs (it catches up on what the database says is due).
_ONE_AT_A_TIME = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}


async def reminders_tick(app: Application) -> None:
    await get_scheduler(app).tick(wait=False)


def _job(
    name: str, tick: Callable[[Application], Awaitable[object]]
) -> Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    async def run(context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await tick(context.application)
        except Exception:  # noqa: BLE001 - the next tick tries again; the database is the truth
            log.exception("%s tick failed", name)

    return run


def register_jobs(app: Application) -> None:
    """The rounds' tick every ``bot_data["scheduler_interval"]`` seconds (default 60), the
    elections' every ``elections_interval`` (30), the announcements' every
    ``announcements_interval`` (60); each once soon after start (catch-up). The retention job
    every ``retention_interval`` (a day), first ``retention_first`` (600) after start, once the
    others have caught up (bot/jobs/retention.py)."""
    after_commit(app).register("announcement", announcements.fan_out_step)
    after_commit(app).register("election", elections.fan_out_step)
    after_commit(app).register("pact", elections.fan_out_step)  # sends what the log queued
    after_commit(app).register("scoring", elections.fan_out_step)  # checking's messages too
    if app.job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    data = app.bot_data
    for name, tick, interval, first in (
        ("reminders", reminders_tick, float(data.get("scheduler_interval", 60)), 0.5),
        ("elections", elections.tick, float(data.get("elections_interval", 30)), 1.0),
        ("announcements", announcements.tick, float(data.get("announcements_interval", 60)), 2.0),
        (
            "retention",
            retention.tick,
            float(data.get("retention_interval", retention.DAY)),
            float(data.get("retention_first", 600)),
        ),
    ):
        # The first run is given as the job's own next run time, not only as the trigger's
        # start: a scheduler that starts after that moment (a slow start-up: the job queue
        # starts after the database and the first getUpdates) would otherwise skip the
        # catch-up tick and wait a whole interval; given explicitly, a late first run still runs.
        first_at = datetime.now(UTC) + timedelta(seconds=first)
        app.job_queue.run_repeating(
            _job(name, tick),
            interval=interval,
            first=first_at,
            name=name,
            job_kwargs={**_ONE_AT_A_TIME, "next_run_time": first_at},
        )
