"""One open election per cluster, when two openings race (two replicas, a tick and a press): the
second is refused as "already running", on both engines. On PostgreSQL the second opening does
its check while the first is uncommitted (the check sees nothing) and is stopped by the partial
unique index (uq_election_cluster_id_open); on SQLite the write lock orders them and the check
sees the first."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import pytest
from sqlmodel import col, select

from storage import elections
from storage.database import Database
from storage.models_elections import Election
from tests.conftest import CLUSTER

NOW = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)


@pytest.fixture
def db(example_db: Database) -> Database:
    return example_db


async def _scheduled(db: Database, title: str) -> int:
    async with db.session() as s:
        election = Election(
            cluster_id=CLUSTER, title=title, term=2024, mode="secret", quorum="2/3",
            majority="1/2", opens_at=NOW, closes_at=NOW + timedelta(days=1), created_by=1,
        )  # fmt: skip
        s.add(election)
        await s.flush()
        assert election.id is not None
        return election.id


async def _blocked_on_a_lock(url: str) -> int:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    finally:
        await connection.close()


async def test_two_openings_racing_leave_one_election_open(db: Database) -> None:
    first_id, second_id = await _scheduled(db, "Bầu A"), await _scheduled(db, "Bầu B")
    claimed, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with db.session() as s:
            await elections.claim_opening(s, first_id, NOW)
            claimed.set()
            await release.wait()  # uncommitted while the second one tries

    async def second() -> None:
        async with db.session() as s, s.begin_nested():  # as bot.services.elections does
            await elections.claim_opening(s, second_id, NOW)

    one = asyncio.create_task(first())
    await claimed.wait()
    two = asyncio.create_task(second())
    if not db.is_sqlite:
        deadline = time.monotonic() + 60  # a guard against a hang, not a measurement
        while await _blocked_on_a_lock(db.url) < 1:
            assert not two.done(), "the second opening did not wait for the first"
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
    release.set()
    await one
    with pytest.raises(elections.ElectionError) as refused:
        await two
    assert refused.value.codes == ("already_running",)
    async with db.session(write=False) as s:
        open_ = (await s.exec(select(Election.id).where(col(Election.state) == "open"))).all()
    assert list(open_) == [first_id]
