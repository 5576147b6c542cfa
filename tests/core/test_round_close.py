"""Closing a round races a confirmation: the confirmation sees the close or the close waits
(issue 8, item 10), on both engines; and of two closers exactly one closes."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from bot.domain.cluster_file import load_cluster_file
from storage import clusters, migrate, rounds
from storage.database import Database
from tests.conftest import CLUSTER, EXAMPLE

NOW = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)


@pytest.fixture
async def two(database_url: str):  # noqa: ANN201
    await asyncio.to_thread(migrate.upgrade, database_url)
    one, other = Database(database_url), Database(database_url)
    async with one.session() as s:
        await clusters.apply_cluster_spec(s, load_cluster_file(EXAMPLE))
        row = await rounds.open_round(
            s, CLUSTER, "2023", date(2023, 1, 1), date(2024, 1, 15), None, NOW
        )
    yield one, other, row.id
    await one.dispose()
    await other.dispose()


async def test_a_confirmation_during_a_close_sees_it_closed(two) -> None:  # noqa: ANN001
    one, other, round_id = two
    closing = asyncio.Event()
    release = asyncio.Event()

    async def close() -> None:
        async with one.session() as s:
            row = await rounds.get_round(s, round_id)
            assert row is not None
            assert await rounds.close_round(s, row, NOW)
            closing.set()
            await release.wait()  # the close is written, not committed yet

    async def confirm() -> str:
        await closing.wait()
        async with other.session() as s:
            row = await rounds.lock_round(s, round_id)
            assert row is not None
            return row.state

    closer = asyncio.create_task(close())
    confirmer = asyncio.create_task(confirm())
    await asyncio.wait_for(closing.wait(), 10)
    await asyncio.sleep(0.3)
    assert not confirmer.done()  # it waits for the close to commit ...
    release.set()
    await asyncio.wait_for(closer, 10)
    assert await asyncio.wait_for(confirmer, 40) == "closed"  # ... and then sees it


async def test_of_two_closers_exactly_one_closes(two) -> None:  # noqa: ANN001
    one, other, round_id = two

    async def close(db: Database) -> bool:
        async with db.session() as s:
            row = await rounds.get_round(s, round_id)
            assert row is not None
            return await rounds.close_round(s, row, NOW)

    results = await asyncio.gather(close(one), close(other))
    assert sorted(results) == [False, True]
