"""A populated cluster for the backup tests, made through the real bot on either engine, and
what a reader of every table sees (to compare a database with its restored copy)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import SQLModel

import storage.tables  # noqa: F401 - every table on the metadata
from bot.demo_elections import elect_2024
from bot.emulator.harness import Harness
from bot.jobs.scheduler import get_scheduler
from storage.database import Database
from tests.command_line import Ran, run_cli
from tests.conftest import GROUP, Clock, Cluster

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
GOOD = ["187", "28", "55", "100", "Tốt"]
NOT_ARCHIVED = {"effect"}  # the queue of what is about to be sent (storage/backup.py)


async def open_round(c: Cluster, period: str, deadline: str) -> None:
    """The head opens a round (the confirmation and the group's post may come in either order,
    which `Cluster.open_round` does not allow for)."""
    replies = await c.h.say(c.head, c.head.id, f"/round open {period} {deadline}")
    assert any("Đã mở kỳ báo cáo" in m.text for m in replies), [m.text for m in replies]


async def populate(url: str, clock: Clock) -> None:
    """The example cluster with a quarter's round (reminders sent, two reports in, one draft),
    an announcement acknowledged by one officer, and the 2024 election (secret ballots)."""
    async with Harness(url, clock=clock) as h:
        c = Cluster(h)
        await c.setup()
        await open_round(c, "2023-Q4", "15/01/2024")
        clock.now = datetime(2024, 1, 8, 8, 0, tzinfo=HANOI).astimezone(UTC)
        assert h.app is not None
        await get_scheduler(h.app).tick()  # the reminders: delivery rows keyed by the round
        await h.settled()
        await c.submit("bac-giang", GOOD)
        await c.submit("phu-tho", ["200", "30", "60", "95", "Khá"])
        officer = c.officers["thai-nguyen"]
        await h.say(officer, officer.id, "1: 150")  # a draft, half finished
        head = c.head
        preview = await h.say(head, head.id, "/announce Họp giao ban quý I")
        await h.press(head, preview[-1], "Gửi")
        copy = h.emu.messages(c.officers["hoa-binh"].id)[-1]
        await h.press(c.officers["hoa-binh"], copy, "Đã nhận")
        await elect_2024(h, c.officers, head, group_id=GROUP, out=None)


async def dump(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every archived table's rows, in a canonical order. Ballot ids are left out: a restore
    gives ballots new random ids (their old ones are not in the archive)."""
    db = Database(url)
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        async with db.engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                if table.name in NOT_ARCHIVED:
                    continue
                rows = [dict(r._mapping) for r in (await connection.execute(select(table))).all()]
                if table.name == "election_ballot":
                    for row in rows:
                        del row["id"]
                rows.sort(key=lambda r: repr(sorted(r.items())))
                found[table.name] = rows
    finally:
        await db.dispose()
    return found


def cli(*args: str, url: str, lang: str | None = None) -> Ran:
    """`clusterbot ARGS` against ``url`` (tests/command_line.py)."""
    env = {"DATABASE_URL": url}
    if lang:
        env["CLUSTERBOT_LANGUAGE"] = lang
    return run_cli(*args, env=env, cwd=Path(__file__).parent)
