"""Retention through the real bot, on both engines: a closed round's reminders and an abandoned
report draft are pruned a retention period later, and the open round's reminders are still sent
exactly once when the rounds' tick runs again after the prune."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, func, select

from bot.app import build_application
from bot.emulator.harness import Harness
from bot.jobs import retention
from bot.settings import load_settings
from storage import rounds, submissions
from storage.database import Database
from storage.models_delivery import Delivery
from storage.types import utcnow
from tests.conftest import CLUSTER, Clock, Cluster
from tests.reminders.test_e2e_round import at, texts, tick

Q4 = "Còn 7 ngày đến hạn báo cáo Quý IV/2023"
Q1 = "Còn 7 ngày đến hạn báo cáo Quý I/2024"


async def _rows(h: Harness, round_id: int) -> int:
    assert h.db is not None
    async with h.db.session(write=False) as s:
        query = select(func.count()).select_from(Delivery).where(col(Delivery.round_id) == round_id)
        return int((await s.exec(query)).one())


async def test_a_prune_keeps_the_open_rounds_reminders_once(database_url: str) -> None:
    clock = Clock()
    async with Harness(database_url, clock=clock) as h:
        cluster = Cluster(h)
        await cluster.setup()
        officers = cluster.officers
        await cluster.open_round("2023-Q4", "15/01/2024")
        # Thái Nguyên starts its report and never finishes it.
        await h.say(officers["thai-nguyen"], officers["thai-nguyen"].id, "/report")
        at(clock, 2024, 1, 8)
        await tick(cluster)
        assert len(texts(cluster, officers["yen-bai"].id, Q4)) == 1
        closing = await h.say(cluster.head, cluster.head.id, "/round close 2023-Q4")
        assert closing, "the close answers"
        await cluster.open_round("2024-Q1", "15/04/2024")
        await h.say(officers["hoa-binh"], officers["hoa-binh"].id, "/report")
        at(clock, 2024, 4, 8)
        await tick(cluster)
        assert len(texts(cluster, officers["yen-bai"].id, Q1)) == 1
        assert h.db is not None and h.app is not None
        async with h.db.session(write=False) as s:
            q4 = await rounds.find_round_by_period(s, CLUSTER, "2023-Q4")
            q1 = await rounds.find_round_by_period(s, CLUSTER, "2024-Q1")
            assert q4 is not None and q4.id and q4.state == "closed"
            assert q1 is not None and q1.id and q1.state == "open"
        assert await _rows(h, q4.id) > 0 and await _rows(h, q1.id) > 0

        # A retention period and a day later by the bot's clock (the log is stamped by the
        # host's), the daily job runs.
        clock.now = utcnow() + timedelta(days=h.settings.retention_days + 1)
        pruned = await retention.tick(h.app)
        assert pruned is not None and pruned.report_drafts == 1
        assert await _rows(h, q4.id) == 0
        assert await _rows(h, q1.id) > 0
        async with h.db.session(write=False) as s:
            assert await submissions.get_draft(s, officers["thai-nguyen"].id) is None
            assert await submissions.get_draft(s, officers["hoa-binh"].id) is not None

        # The open round's tick again, at the same reminder: nobody gets a second copy.
        before = len(h.emu.sent)
        at(clock, 2024, 4, 8, 9)
        await tick(cluster)
        assert len(h.emu.sent) == before
        for officer in officers.values():
            assert len(texts(cluster, officer.id, Q1)) <= 1


async def test_the_retention_job_is_woken_daily_a_while_after_start(sqlite_url: str) -> None:
    settings = load_settings(TELEGRAM_BOT_TOKEN="123:abc", DATABASE_URL=sqlite_url)
    db = Database(sqlite_url)
    try:
        app = build_application(settings, db)
        assert app.job_queue is not None
        jobs = {job.name: job for job in app.job_queue.jobs()}
        trigger = jobs["retention"].job.trigger
        assert trigger.interval == timedelta(days=1)
        # Not at start with the catch-up ticks (reminders 0,5 s, announcements 2 s): later.
        first = trigger.start_date - jobs["reminders"].job.trigger.start_date
        assert first > timedelta(minutes=5)
    finally:
        await db.dispose()
