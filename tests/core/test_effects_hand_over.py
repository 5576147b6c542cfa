"""The effects worker is handed the rows a handler's unit of work committed instead of reading
them back (bot/publishing/worker.py `hand_over`), and rows carried out together are deleted in
one transaction (bot/publishing/finishing.py): the answers still go out, once and in order,
and what another process commits is still found."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import event

from bot.publishing.finishing import Finisher
from bot.publishing.requests import Request
from storage import effects
from storage.database import Database
from tests.conftest import Cluster

NOW = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)
Q2 = "2/5. Số cơ quan, đơn vị được kiểm tra kỷ luật"
Q3 = "3/5. Số lớp đào tạo, bồi dưỡng"
Q4 = "4/5. Tỷ lệ hoàn thành nhập CSDL cán bộ, công chức, viên chức"


async def test_answers_go_out_in_order_without_being_read_back(cluster: Cluster) -> None:
    h = cluster.h
    assert h.app is not None
    worker = h.app.bot_data["effects"]
    worker.max_stale = worker.idle_poll = 3600.0  # no read but those a commit asks for
    await cluster.open_round()
    officer = cluster.officers["yen-bai"]
    await h.say(officer, officer.id, "/report")
    reads = worker.reads
    before = len(cluster.emu.messages(officer.id))
    for value, question in (("165", Q2), ("22", Q3), ("52", Q4)):
        replies = await h.say(officer, officer.id, value)
        assert question in replies[-1].text
    sent = [m.text for m in cluster.emu.messages(officer.id)[before:]]
    assert [next(q for q in (Q2, Q3, Q4) if q in t) for t in sent] == [Q2, Q3, Q4]
    assert worker.reads == reads  # each answer's row handed over, none read back
    async with h.db.session(write=False) as session:
        assert await effects.pending(session) == []  # and each deleted once sent


async def test_what_another_process_commits_is_still_found(cluster: Cluster) -> None:
    """The command line queues effects from its own process: the worker's next read finds
    them, and while hand-overs keep it from reading, its rows are never older than
    `max_stale`."""
    h = cluster.h
    assert h.app is not None and h.db is not None
    worker = h.app.bot_data["effects"]
    worker.max_stale = 0.0  # the bound reached at once
    worker.idle_poll = 3600.0
    await cluster.open_round()
    officer = cluster.officers["yen-bai"]
    await h.say(officer, officer.id, "/report")
    other = Database(h.db.url)  # another process's connections
    try:
        async with other.session() as session:
            request = Request("text", "Từ dòng lệnh")
            await effects.add(session, "send", officer.id, request.to_json(), now=NOW)
    finally:
        await other.dispose()
    replies = await h.say(officer, officer.id, "165")  # handed over: the rows were current
    assert Q2 in replies[-1].text
    await cluster.emu.wait_until(
        lambda: any(m.text == "Từ dòng lệnh" for m in cluster.emu.messages(officer.id))
    )


async def test_rows_done_at_once_are_deleted_in_one_transaction(db: Database) -> None:
    async with db.session() as session:
        for n in range(5):
            await effects.add(session, "send", 7, f'{{"n": {n}}}', now=NOW)
        await effects.touch(session, "live:progress:4", "live", -5, "{}", now=NOW)
        await effects.touch(session, "live:progress:4", "live", -5, "{}", now=NOW)  # version 1
    async with db.session(write=False) as session:
        rows = list(await effects.pending(session))
    began: list[object] = []

    def count(connection: object) -> None:
        began.append(connection)

    event.listen(db.engine.sync_engine, "begin", count)
    try:
        finisher = Finisher(db)
        # The live row was sent at version 0: it stays, to go again at its newest version.
        done = await asyncio.gather(*(finisher.finish(r.id or 0, 0) for r in rows))
    finally:
        event.remove(db.engine.sync_engine, "begin", count)
    assert done == [True] * 5 + [False]
    assert len(began) == 1
    async with db.session(write=False) as session:
        assert [(r.key, r.version) for r in await effects.pending(session)] == [
            ("live:progress:4", 1)
        ]
