"""The catch-up tick right after start runs even when the job queue starts late.

A slow start-up (a loaded machine, a slow database) can start the scheduler after the moment
the first tick was due; APScheduler's interval trigger then moves the first run a whole interval
later, and reminders due at start wait an hour here instead of running at once."""

from __future__ import annotations

import asyncio

from telegram.ext import Application, ApplicationBuilder

from bot.jobs import wiring


async def test_a_late_started_job_queue_still_runs_the_first_ticks(monkeypatch) -> None:
    ran: dict[str, asyncio.Event] = {n: asyncio.Event() for n in ("reminders", "elections")}

    async def reminders(app: Application) -> None:
        ran["reminders"].set()

    async def elections(app: Application) -> None:
        ran["elections"].set()

    monkeypatch.setattr(wiring, "reminders_tick", reminders)
    monkeypatch.setattr(wiring.elections, "tick", elections)
    app = ApplicationBuilder().token("123:abc").build()
    app.bot_data.update(scheduler_interval=3600, elections_interval=3600)
    wiring.register_jobs(app)
    assert app.job_queue is not None
    await asyncio.sleep(1.2)  # past both first runs (0,5 s and 1 s) before the queue starts
    await app.job_queue.start()
    try:
        # Without the fix the first runs would come an interval (an hour) later.
        await asyncio.wait_for(
            asyncio.gather(*(event.wait() for event in ran.values())), timeout=30
        )
    finally:
        await app.job_queue.stop(wait=False)
