"""Fixtures for the election and announcement tests: a database on either engine (the shared
`database_url` fixture), the tables created from the models, the example cluster loaded."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlmodel import SQLModel

import storage.models_announcements  # noqa: F401
import storage.models_elections  # noqa: F401
import storage.tables  # noqa: F401 - registers every table
from bot.domain import elections as E
from bot.domain.cluster_file import load_cluster_file
from bot.domain.elections import ElectionRules
from bot.services import elections as V
from storage import elections as S
from storage.clusters import apply_cluster_spec, list_departments
from storage.database import Database
from storage.models import Department
from tests.conftest import CLUSTER, EXAMPLE, GROUP, Cluster

NOW = datetime(2023, 12, 20, 2, 0, tzinfo=UTC)  # the conference, 09:00 in Hà Nội


@dataclass
class Seeded:
    db: Database
    cluster_id: str
    ids: dict[str, int]  # department slug -> id

    def slug(self, department_id: int) -> str:
        return next(s for s, i in self.ids.items() if i == department_id)


@dataclass(frozen=True)
class HeadElection:
    """A secret election of the head, its first round open: who may vote and for whom."""

    round_id: int
    candidates: list[int]
    roll: list[int]


async def open_head_election(seeded: Seeded, more: Sequence[str]) -> HeadElection:
    """Adds the departments `more` (slugs) to the cluster, then creates and opens a secret
    election of next year's head: the secrecy tests' common start."""
    async with seeded.db.session() as s:
        for n, slug in enumerate(more):
            s.add(
                Department(
                    cluster_id=seeded.cluster_id, slug=slug, name=slug, name_en=slug, position=10 + n
                )
            )
    plan = E.default_plan(
        2024, "Bầu Cụm trưởng năm 2024", ElectionRules(offices=("head",)), now=NOW
    )
    async with seeded.db.session() as s:
        election = await V.create_election(s, seeded.cluster_id, plan, 1, NOW)
        assert election.id is not None
        await V.start_election(s, election.id, NOW)
        first = await S.get_open_round(s, election.id)
        assert first is not None and first.id is not None
        candidates = await S.list_round_candidates(s, first.id)
        roll = await S.list_roll(s, election.id)
    return HeadElection(first.id, list(candidates), list(roll))


async def create_schema(db: Database) -> None:
    async with db.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)


@pytest.fixture
async def seeded(database_url: str) -> AsyncIterator[Seeded]:
    db = Database(database_url)
    await create_schema(db)
    async with db.session() as s:
        await apply_cluster_spec(s, load_cluster_file(EXAMPLE))
        ids = {d.slug: d.id for d in await list_departments(s, CLUSTER)}
    yield Seeded(db, CLUSTER, ids)  # type: ignore[arg-type]  # ids of stored departments: never None
    await db.dispose()


@pytest.fixture
async def ecluster(cluster: Cluster) -> Cluster:
    """The shared `cluster` fixture (the migration has this capability's tables)."""
    return cluster


def turnout_text(c: Cluster) -> str:
    """The group's live turnout message ("🗳 ...: n/7 departments have voted"). Found by what it
    is, not by being the group's last message: the opening post goes through the delivery log
    and the turnout through the effects worker, so either may reach the group first."""
    found = [m.text for m in c.emu.messages(GROUP) if m.text.startswith("🗳")]
    assert found, "no turnout message in the group"
    return found[-1]
