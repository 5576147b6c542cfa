"""The effects table on both engines: one pending row per live key, bumped by every change,
finished only at the version that was sent, failed rows taken up again by the next change."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from storage import effects, migrate
from storage.database import Database

NOW = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)


@pytest.fixture
async def db(database_url: str):  # noqa: ANN201
    await asyncio.to_thread(migrate.upgrade, database_url)
    database = Database(database_url)
    yield database
    await database.dispose()


async def pending(db: Database) -> list[tuple[str | None, int, str]]:
    async with db.session(write=False) as s:
        return [(r.key, r.version, r.state) for r in await effects.pending(s)]


async def test_a_live_key_has_one_row_and_the_newest_version_wins(db: Database) -> None:
    for _ in range(3):
        async with db.session() as s:
            await effects.touch(s, "live:progress:1", "live", -5, "{}", now=NOW)
    assert await pending(db) == [("live:progress:1", 2, "pending")]
    async with db.session() as s:
        (row,) = await effects.pending(s)
        assert row.id is not None
        # Sent at version 1 while version 2 was written: the row stays, to be sent again.
        assert not await effects.finish(s, row.id, 1)
        assert await effects.finish(s, row.id, 2)
    assert await pending(db) == []


async def test_two_writers_touching_one_key_at_once_both_commit(db: Database) -> None:
    async def touch() -> None:
        async with db.session() as s:
            await effects.touch(s, "live:turnout:7", "live", -5, "{}", now=NOW)

    await asyncio.gather(*(touch() for _ in range(6)))
    assert await pending(db) == [("live:turnout:7", 5, "pending")]


async def test_a_failed_row_is_taken_up_again_by_the_next_change(db: Database) -> None:
    async with db.session() as s:
        await effects.touch(s, "live:progress:2", "live", -5, "{}", now=NOW)
        await effects.touch(s, "compose:summary:2:closed", "compose", -5, "{}", now=NOW, bump=False)
    async with db.session() as s:
        for row in await effects.pending(s):
            assert row.id is not None
            await effects.fail(s, row.id, "forbidden")
    assert await pending(db) == []
    async with db.session() as s:
        await effects.touch(s, "live:progress:2", "live", -5, "{}", now=NOW)
        await effects.touch(s, "compose:summary:2:closed", "compose", -5, "{}", now=NOW, bump=False)
        await effects.touch(s, "compose:summary:2:closed", "compose", -5, "{}", now=NOW, bump=False)
    keys = sorted((k, state) for k, _, state in await pending(db))
    assert keys == [("compose:summary:2:closed", "pending"), ("live:progress:2", "pending")]
