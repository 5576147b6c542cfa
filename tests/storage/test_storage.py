"""Storage on both engines: migrations from empty, idempotent loading, invites, revisions."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from bot.domain.cluster_file import load_cluster_file, parse_cluster_data
from storage import clusters, migrate, people, rounds, submissions
from storage.database import Database
from tests.conftest import CLUSTER, EXAMPLE


@pytest.fixture
async def db(database_url: str):  # noqa: ANN201
    await asyncio.to_thread(migrate.upgrade, database_url)
    database = Database(database_url)
    yield database
    await database.dispose()


async def test_migrations_build_exactly_the_models(db: Database) -> None:
    async with db.engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
        )
    assert diff == []


async def test_loading_twice_changes_nothing_and_edits_keep_data(db: Database) -> None:
    spec = load_cluster_file(EXAMPLE)
    async with db.session() as s:
        assert (await clusters.apply_cluster_spec(s, spec)).changed
    async with db.session() as s:
        assert not (await clusters.apply_cluster_spec(s, spec)).changed
        departments = await clusters.list_departments(s, CLUSTER)
        indicators = await clusters.list_indicators(s, CLUSTER)
        row = await rounds.open_round(s, CLUSTER, "2023", date(2023, 1, 1), date(2024, 1, 15), None)
        assert row.id is not None and departments[0].id is not None
        await submissions.save_revision(
            s,
            row.id,
            departments[0].id,
            {i.id: "1" for i in indicators if i.id},
            by=1,
            late=False,
            expected_revision=0,
        )
    raw = EXAMPLE.read_text(encoding="utf-8").replace(
        'label = "Số lớp đào tạo, bồi dưỡng cán bộ, công chức, viên chức"',
        'label = "Số lớp đào tạo"',
    )
    import tomllib

    edited = parse_cluster_data(tomllib.loads(raw))
    async with db.session() as s:
        report = await clusters.apply_cluster_spec(s, edited)
        assert report.updated == ["indicator lop-dao-tao"]
    async with db.session() as s:
        labels = [i.label for i in await clusters.list_indicators(s, CLUSTER)]
        assert "Số lớp đào tạo" in labels
        latest = await submissions.latest_revision(s, row.id, departments[0].id)
        assert latest is not None and len(latest.values) == 5


async def test_an_invite_works_once_even_when_raced(db: Database) -> None:
    async with db.session() as s:
        await clusters.apply_cluster_spec(s, load_cluster_file(EXAMPLE))
        department = await clusters.department_by_slug(s, CLUSTER, "bac-kan")
        invite = await people.create_invite(s, CLUSTER, "officer", department.id, timedelta(days=7))  # type: ignore[union-attr]

    async def redeem(user_id: int) -> str:
        try:
            async with db.session() as s:
                return (await people.redeem_invite(s, invite.code, user_id, "X", None)).outcome
        except Exception:  # noqa: BLE001 - a writer that lost the race may be refused by the engine
            return "refused"

    outcomes = await asyncio.gather(redeem(1), redeem(2))
    assert sorted(outcomes).count("bound") == 1
    async with db.session() as s:
        assert (await people.redeem_invite(s, invite.code, 3, "Y", None)).outcome == "used"


async def test_a_revision_is_all_or_nothing_and_conflicts_are_refused(db: Database) -> None:
    async with db.session() as s:
        await clusters.apply_cluster_spec(s, load_cluster_file(EXAMPLE))
        department = (await clusters.list_departments(s, CLUSTER))[0]
        indicators = await clusters.list_indicators(s, CLUSTER)
        row = await rounds.open_round(s, CLUSTER, "2023", date(2023, 1, 1), date(2024, 1, 15), None)
    values = {i.id: "5" for i in indicators if i.id}
    async with db.session() as s:
        await submissions.save_revision(
            s, row.id, department.id, values, by=1, late=False, expected_revision=0
        )  # type: ignore[arg-type]
    async with db.session() as s:
        with pytest.raises(submissions.RevisionConflict):
            await submissions.save_revision(
                s, row.id, department.id, values, by=2, late=False, expected_revision=0
            )  # type: ignore[arg-type]
    broken = dict(values)
    broken[999999] = "1"  # no such indicator: the foreign key refuses the whole revision
    with pytest.raises(Exception):  # noqa: B017
        async with db.session() as s:
            await submissions.save_revision(
                s, row.id, department.id, broken, by=2, late=False, expected_revision=1
            )  # type: ignore[arg-type]
    async with db.session() as s:
        history = await submissions.revisions(s, row.id, department.id)  # type: ignore[arg-type]
        assert [r.submission.revision for r in history] == [1]
