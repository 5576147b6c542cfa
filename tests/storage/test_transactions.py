"""A unit of work is one transaction on both engines: all of it or nothing, SAVEPOINTs inside.

On SQLite (pysqlite's legacy transaction control) a `begin_nested()` holding the first write
used to open the transaction itself, and its RELEASE committed: these tests failed there.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from storage import announcements, clusters, rounds, submissions
from storage.database import Database
from storage.models import Submission, SubmissionValue
from storage.models_announcements import AnnouncementAck
from tests.conftest import CLUSTER

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)


class Boom(Exception):
    """A failure later in the unit of work (a check, a bug, a lost connection)."""


@pytest.fixture
def db(example_db: Database) -> Database:
    return example_db


async def _round_and_department(db: Database) -> tuple[int, int, list[int]]:
    async with db.session() as s:
        department = (await clusters.list_departments(s, CLUSTER))[0]
        indicators = [i.id for i in await clusters.list_indicators(s, CLUSTER) if i.id]
        row = await rounds.open_round(
            s, CLUSTER, "2023", date(2023, 1, 1), date(2024, 1, 15), None, NOW
        )
    assert row.id is not None and department.id is not None
    return row.id, department.id, indicators


async def _stored(db: Database) -> tuple[int, int]:
    async with db.session(write=False) as s:
        revisions = (await s.exec(select(func.count()).select_from(Submission))).one()
        values = (await s.exec(select(func.count()).select_from(SubmissionValue))).one()
    return revisions, values


async def test_a_first_write_inside_a_savepoint_is_rolled_back_with_the_unit_of_work(
    db: Database,
) -> None:
    round_id, department_id, indicators = await _round_and_department(db)
    with pytest.raises(Boom):
        async with db.session() as s:
            # save_revision's writes are the first of this unit of work, in begin_nested().
            await submissions.save_revision(
                s, round_id, department_id, {i: "5" for i in indicators}, 1, False, 0, NOW
            )
            raise Boom
    assert await _stored(db) == (0, 0)


async def test_every_savepoint_of_storage_stays_inside_the_transaction(db: Database) -> None:
    """Each begin_nested() in storage/ as the first write, then a failure: nothing stays."""
    round_id, department_id, indicators = await _round_and_department(db)
    async with db.session() as s:
        announcement = await announcements.create_draft(s, CLUSTER, 1, "Thông báo", NOW)
        assert announcement.id is not None
        assert await announcements.claim_send(s, announcement.id, NOW, None)
    with pytest.raises(Boom):
        async with db.session() as s:
            assert await announcements.acknowledge(s, announcement.id, 7, None, NOW) == "new"
            raise Boom
    async with db.session(write=False) as s:
        acks = (await s.exec(select(func.count()).select_from(AnnouncementAck))).one()
    assert acks == 0
    # A savepoint rolled back (the unique key refusing a second revision) keeps the rest.
    async with db.session() as s:
        await submissions.save_revision(s, round_id, department_id, {}, 1, False, 0, NOW)
    async with db.session() as s:
        await s.exec(text("UPDATE round SET deadline = deadline"))  # type: ignore[call-overload]  # sqlmodel's exec has no overload for this statement
        with pytest.raises(submissions.RevisionConflict):
            await submissions.save_revision(s, round_id, department_id, {}, 2, False, 0, NOW)
        await submissions.save_revision(s, round_id, department_id, {}, 2, False, 1, NOW)
    assert (await _stored(db))[0] == 2


async def test_writers_that_read_first_never_fail_with_database_is_locked(db: Database) -> None:
    """Read, then write, from many units of work at once. A deferred BEGIN would let them all
    take a snapshot and then fail to upgrade (SQLITE_BUSY); BEGIN IMMEDIATE queues them."""
    round_id, department_id, _ = await _round_and_department(db)
    conflicts = 0

    async def submit(by: int) -> None:
        nonlocal conflicts
        for _ in range(20):
            try:
                async with db.session() as s:
                    latest = await submissions.get_latest_revision(s, round_id, department_id)
                    await asyncio.sleep(0)  # let the others read too
                    current = latest.submission.revision if latest else 0
                    await submissions.save_revision(
                        s, round_id, department_id, {}, by, False, current, NOW
                    )
                return
            except submissions.RevisionConflict:
                conflicts += 1  # PostgreSQL: a racing writer got there first; read again

    await asyncio.gather(*(submit(n) for n in range(8)))
    assert (await _stored(db))[0] == 8


async def test_a_reader_does_not_wait_for_a_writer(db: Database) -> None:
    round_id, department_id, _ = await _round_and_department(db)
    writing = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with db.session() as s:
            await submissions.save_revision(s, round_id, department_id, {}, 1, False, 0, NOW)
            writing.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await asyncio.wait_for(writing.wait(), 10)
    started = time.perf_counter()
    seen = await asyncio.wait_for(_stored(db), 5)  # a read session while the writer holds on
    waited = time.perf_counter() - started
    release.set()
    await task
    assert seen == (0, 0)  # the committed state, not the writer's
    assert waited < 1.0
    assert await _stored(db) == (1, 0)


async def test_a_read_session_refuses_to_write(db: Database) -> None:
    with pytest.raises(DBAPIError):
        async with db.session(write=False) as s:
            await s.exec(text("UPDATE cluster SET name = name"))  # type: ignore[call-overload]  # sqlmodel's exec has no overload for this statement


async def test_kill_9_after_the_first_write_leaves_nothing_stored(
    db: Database, tmp_path: Path
) -> None:
    """A child process runs a unit of work (a report's revision: its first write in a
    savepoint), says when the writes are done, and is killed before it commits."""
    round_id, department_id, indicators = await _round_and_department(db)
    log = tmp_path / "child.log"
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.storage.uow_process",
        db.url,
        str(round_id),
        str(department_id),
        ",".join(map(str, indicators)),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=log.open("wb"),
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 60)
        assert line.strip() == b"written", log.read_text()
        # The child's writes are flushed: the database already has them in its transaction.
        os.kill(child.pid, signal.SIGKILL)
        assert await asyncio.wait_for(child.wait(), 30) == -signal.SIGKILL
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert await _stored(db) == (0, 0)
    async with db.session() as s:  # and the database is usable: the lock died with the child
        await submissions.save_revision(s, round_id, department_id, {}, 1, False, 0, NOW)
    assert (await _stored(db))[0] == 1
