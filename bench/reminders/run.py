"""Benchmark: many clusters' reminders falling due at the same minute, through the real bot,
against the emulator enforcing Telegram's flood limits (30/s, 1/s per chat, 20/min per group).

    python bench/reminders/run.py            # quick: 150 clusters x 9 departments + 150 groups
    python bench/reminders/run.py --full     # 1.000 clusters x 10 departments + 1.000 groups
    python bench/reminders/run.py --database-url postgresql+asyncpg://...   (an empty database)

Every department has one officer who has not submitted; every cluster has its group. One tick
of the scheduler at 08:00 on the "7 days before" day sends one private reminder per officer and
one digest per group. Printed: deliveries, wall time against the floor the limits allow
(deliveries / 30 s), 429 answers, duplicates and losses, peak memory (RSS of this process, which
also runs the emulator).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import SQLModel

import storage.models_delivery  # noqa: F401 - the delivery tables
from bot.app import build_application
from bot.emulator import BotApiEmulator
from bot.jobs.scheduler import get_scheduler
from bot.settings import load_settings
from storage import migrate
from storage.database import Database
from storage.models import Cluster, Department, Membership, Person, Round

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2024, 1, 8, 8, 0, tzinfo=HANOI).astimezone(UTC)  # 7 days before 15/01/2024
DEADLINE = date(2024, 1, 15)
TELEGRAM_RATE = 30.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def seed(db: Database, clusters: int, departments: int) -> tuple[list[int], list[int]]:
    officers: list[int] = []
    groups: list[int] = []
    person = 100_000
    for c in range(clusters):
        cluster_id = f"bench-{c:04d}"
        group = -1_001_000_000_000 - c
        async with db.session() as session:
            session.add(
                Cluster(id=cluster_id, name=f"Cụm {c}", name_en=f"Cluster {c}", group_chat_id=group)
            )
            await session.flush()
            rows = [
                Department(
                    cluster_id=cluster_id,
                    slug=f"d{d}",
                    name=f"Sở Nội vụ {c}-{d}",
                    name_en=f"Department {c}-{d}",
                    position=d,
                )
                for d in range(departments)
            ]
            session.add_all(rows)
            session.add(
                Round(
                    cluster_id=cluster_id,
                    period="2023-Q4",
                    period_start=date(2023, 10, 1),
                    deadline=DEADLINE,
                    opened_at=datetime(2024, 1, 2, 1, 0, tzinfo=UTC),
                )
            )
            await session.flush()
            for row in rows:
                session.add(Person(id=person, full_name=f"Cán bộ {person}"))
                session.add(
                    Membership(
                        person_id=person,
                        cluster_id=cluster_id,
                        department_id=row.id,
                        role="officer",
                    )
                )
                officers.append(person)
                person += 1
        groups.append(group)
    return officers, groups


async def run(clusters: int, departments: int, database_url: str | None, concurrency: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await asyncio.to_thread(migrate.upgrade, url)
        db = Database(url)
        async with db.engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)
        print(f"seeding {clusters} clusters x {departments} departments ...", flush=True)
        officers, groups = await seed(db, clusters, departments)

        emu = BotApiEmulator(enforce_limits=True)
        await emu.start()
        for n, person in enumerate(officers):
            emu.user(person, f"Cán bộ {n}")
        emu._started_users.update(officers)  # they all pressed Start once  # noqa: SLF001
        for group in groups:
            emu.group(group, f"Nhóm {group}")
            emu.set_member_status(group, emu.bot_id, "member")

        settings = load_settings(
            TELEGRAM_BOT_TOKEN=emu.token,
            DATABASE_URL=url,
            TELEGRAM_API_BASE_URL=emu.base_url,
            TELEGRAM_API_BASE_FILE_URL=emu.base_file_url,
        )
        app = build_application(settings, db, clock=lambda: NOW)
        app.bot_data["delivery_concurrency"] = concurrency
        await app.initialize()  # the bot and its pacing, no polling, no job queue
        scheduler = get_scheduler(app)
        expected = len(officers) + len(groups)
        rss_before = peak_rss_mb()
        print(f"one tick, {expected} deliveries due at the same minute ...", flush=True)
        started = time.perf_counter()
        report = await scheduler.tick()
        elapsed = time.perf_counter() - started
        rss_peak = peak_rss_mb()

        arrived = Counter(m.chat_id for m in emu.sent)
        duplicates = sum(n - 1 for n in arrived.values() if n > 1)
        losses = sum(1 for chat in [*officers, *groups] if arrived[chat] == 0)
        floor = expected / TELEGRAM_RATE
        print()
        print(
            f"deliveries          {expected} ({len(officers)} private reminders, {len(groups)} group digests)"
        )
        print(f"sent (bot's count)  {report.delivery.sent}")
        print(f"time                {elapsed:.1f} s")
        print(f"floor (n / 30 s)    {floor:.1f} s")
        print(f"ratio               {elapsed / floor:.3f}x  (goal <= 1.15x)")
        print(f"429 answers         {emu.limit_429s} (waited out: {report.delivery.retry_after})")
        print(f"duplicates          {duplicates}")
        print(f"losses              {losses}")
        print(f"peak RSS            {rss_peak:.0f} MiB (before the tick: {rss_before:.0f} MiB)")
        await app.shutdown()
        await emu.stop()
        ok = duplicates == 0 and losses == 0
        return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="1.000 clusters x 10 departments")
    parser.add_argument("--clusters", type=int)
    parser.add_argument("--departments", type=int)
    parser.add_argument(
        "--database-url", help="an empty database (default: a temporary SQLite file)"
    )
    parser.add_argument("--concurrency", type=int, default=4, help="sends in flight")
    args = parser.parse_args(argv)
    clusters = args.clusters or (1000 if args.full else 150)
    departments = args.departments or (10 if args.full else 9)
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(run(clusters, departments, args.database_url, args.concurrency))


if __name__ == "__main__":
    sys.exit(main())
