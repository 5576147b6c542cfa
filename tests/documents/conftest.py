"""A migrated database on either engine with the example cluster, its 2023 reporting round and
the conference's election of the 2024 head and deputy (Tuyên Quang 5/7, Hòa Bình 6/7 of the
six who voted), through the services as the bot runs them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.domain.cluster_file import load_cluster_file
from storage import clusters, migrate
from storage.clusters import list_departments
from storage.database import Database
from tests.conftest import CLUSTER, EXAMPLE
from tests.elections import test_storage as elections
from tests.elections.conftest import Seeded
from tests.summaries.test_storage import FULL, _round

HEAD_VOTES: dict[str, str | None] = {
    **dict.fromkeys(elections.SLUGS[:5], "tuyen-quang"),
    "phu-tho": "hoa-binh",
    "tuyen-quang": None,
}
DEPUTY_VOTES: dict[str, str | None] = dict.fromkeys(elections.SLUGS[:6], "hoa-binh")


@dataclass
class Year:
    db: Database
    url: str
    ids: dict[str, int]


async def migrated(url: str) -> Year:
    await asyncio.to_thread(migrate.upgrade, url)
    db = Database(url)
    async with db.session() as s:
        await clusters.apply_cluster_spec(s, load_cluster_file(EXAMPLE))
        ids = {d.slug: d.id for d in await list_departments(s, CLUSTER) if d.id is not None}
    return Year(db, url, ids)


async def elect(year: Year) -> None:
    seeded = Seeded(year.db, CLUSTER, year.ids)
    _, head_round = await elections.start(seeded)
    await elections.vote_all(seeded, head_round, HEAD_VOTES)
    closed = await elections.close(seeded, head_round)
    assert closed.next_round is not None and closed.next_round.id is not None
    await elections.vote_all(seeded, closed.next_round.id, DEPUTY_VOTES)
    await elections.close(seeded, closed.next_round.id)


@pytest.fixture
async def year_2023(database_url: str) -> AsyncIterator[Year]:
    """The 2023 round (every department, 1.203 cases in all) and the 2024 election."""
    year = await migrated(database_url)
    await _round(year.db, CLUSTER, "2023", FULL)
    await elect(year)
    yield year
    await year.db.dispose()


@pytest.fixture
async def empty_year(sqlite_url: str) -> AsyncIterator[Year]:
    """The example cluster loaded, nothing reported, nobody elected."""
    year = await migrated(sqlite_url)
    yield year
    await year.db.dispose()
