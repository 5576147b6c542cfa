"""The effects table on both engines: one pending row per live key, bumped by every change,
finished only at the version that was sent, failed rows taken up again by the next change."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from storage import effects
from storage.database import Database

NOW = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)


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


async def test_a_unit_of_work_knows_the_rows_it_added_and_only_those(db: Database) -> None:
    """What the worker is handed after a commit (no read back): the rows added, all of them,
    and nothing when the unit of work did more to the table than add rows."""
    async with db.session() as s:
        await effects.add(s, "send", 7, '{"m": "text", "text": "a"}', now=NOW)
        await effects.add(s, "send", 7, '{"m": "text", "text": "b"}', now=NOW)
    rows = effects.added(s)
    assert rows is not None and [r.payload for r in rows] == [
        '{"m": "text", "text": "a"}',
        '{"m": "text", "text": "b"}',
    ]
    async with db.session(write=False) as r:
        stored = await effects.pending(r)
    assert [(x.id, x.chat_id, x.payload, x.due_at) for x in stored] == [
        (x.id, x.chat_id, x.payload, x.due_at) for x in rows
    ]
    async with db.session() as s:
        await effects.add(s, "send", 7, "{}", now=NOW)
        await effects.touch(s, "live:progress:9", "live", -5, "{}", now=NOW)
    assert effects.added(s) is None  # a live row bumped: only a read tells what is pending


async def test_a_row_rolled_back_with_its_savepoint_is_not_handed_over(db: Database) -> None:
    async with db.session() as s:
        await effects.add(s, "send", 7, "{}", now=NOW)
        try:
            async with s.begin_nested():
                await effects.add(s, "send", 7, '{"gone": 1}', now=NOW)
                await s.flush()
                raise RuntimeError("refused")
        except RuntimeError:
            pass
    assert effects.added(s) is None
    assert [payload for _, _, payload in await _payloads(db)] == ["{}"]


async def test_rows_done_together_go_together_unless_bumped(db: Database) -> None:
    async with db.session() as s:
        await effects.add(s, "send", 7, "{}", now=NOW)
        await effects.touch(s, "live:progress:3", "live", -5, "{}", now=NOW)
        await effects.touch(s, "live:progress:3", "live", -5, "{}", now=NOW)  # version 1
    async with db.session(write=False) as r:
        send, live = await effects.pending(r)
    assert send.id is not None and live.id is not None
    async with db.session() as s:
        # The live row was sent at version 0 but is at 1 now: it stays, to go again.
        gone = await effects.finish_all(s, [(send.id, 0), (live.id, 0)])
    assert gone == {send.id}
    assert await pending(db) == [("live:progress:3", 1, "pending")]
    async with db.session() as s:
        assert await effects.finish_all(s, []) == set()


async def _payloads(db: Database) -> list[tuple[int | None, int, str]]:
    async with db.session(write=False) as r:
        return [(x.id, x.chat_id, x.payload) for x in await effects.pending(r)]
