"""Storage on both engines: migrations from empty, idempotent loading, invites, revisions."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (every table, for the comparison with the migrations)
from bot.domain.cluster_file import load_cluster_file, parse_cluster_data
from storage import clusters, people, rounds, submissions
from storage.database import Database
from tests.conftest import CLUSTER, EXAMPLE

NOW = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)  # the clock the tests hand to storage


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
        row = await rounds.open_round(
            s, CLUSTER, "2023", date(2023, 1, 1), date(2024, 1, 15), None, opened_at=NOW
        )
        assert row.id is not None and departments[0].id is not None
        await submissions.save_revision(
            s,
            row.id,
            departments[0].id,
            {i.id: "1" for i in indicators if i.id},
            by=1,
            late=False,
            expected_revision=0,
            at=NOW,
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
        latest = await submissions.get_latest_revision(s, row.id, departments[0].id)
        assert latest is not None and len(latest.values) == 5


async def test_an_invite_works_once_even_when_raced(db: Database) -> None:
    async with db.session() as s:
        await clusters.apply_cluster_spec(s, load_cluster_file(EXAMPLE))
        department = await clusters.find_department_by_slug(s, CLUSTER, "bac-kan")
        assert department is not None
        invite = await people.create_invite(
            s, CLUSTER, "officer", department.id, timedelta(days=7), now=NOW
        )

    async def redeem(user_id: int) -> str:
        async with db.session() as s:
            return (await people.redeem_invite(s, invite.code, user_id, "X", None, now=NOW)).outcome

    # Both engines serialise the two: the loser sees the code consumed (the conditional UPDATE
    # on PostgreSQL, BEGIN IMMEDIATE on SQLite) and is told so; nobody gets an error.
    outcomes = await asyncio.gather(redeem(1), redeem(2))
    assert sorted(outcomes) == ["bound", "used"]
    async with db.session() as s:
        assert (await people.redeem_invite(s, invite.code, 3, "Y", None, now=NOW)).outcome == "used"


async def test_a_revision_is_all_or_nothing_and_conflicts_are_refused(db: Database) -> None:
    async with db.session() as s:
        await clusters.apply_cluster_spec(s, load_cluster_file(EXAMPLE))
        department = (await clusters.list_departments(s, CLUSTER))[0]
        indicators = await clusters.list_indicators(s, CLUSTER)
        row = await rounds.open_round(
            s, CLUSTER, "2023", date(2023, 1, 1), date(2024, 1, 15), None, opened_at=NOW
        )
    values: dict[int, str | None] = {i.id: "5" for i in indicators if i.id}
    assert row.id is not None and department.id is not None
    async with db.session() as s:
        await submissions.save_revision(
            s, row.id, department.id, values, by=1, late=False, expected_revision=0, at=NOW
        )
    async with db.session() as s:
        with pytest.raises(submissions.RevisionConflict):
            await submissions.save_revision(
                s, row.id, department.id, values, by=2, late=False, expected_revision=0, at=NOW
            )
    broken = dict(values)
    broken[999999] = "1"  # no such indicator: the foreign key refuses the whole revision
    with pytest.raises(IntegrityError, match="(?i)foreign key"):
        async with db.session() as s:
            await submissions.save_revision(
                s, row.id, department.id, broken, by=2, late=False, expected_revision=1, at=NOW
            )
    async with db.session() as s:
        history = await submissions.list_revisions(s, row.id, department.id)
        assert [r.submission.revision for r in history] == [1]


async def test_storage_decides_and_records_by_the_clock_it_is_given(db: Database) -> None:
    """No storage function reads the host's clock: an invite expires by the caller's now, and
    the times a round opens, closes and is reopened are the caller's."""
    far_past = datetime(2001, 2, 3, 4, 5, tzinfo=UTC)  # far from the host's real time
    async with db.session() as s:
        await clusters.apply_cluster_spec(s, load_cluster_file(EXAMPLE))
        department = await clusters.find_department_by_slug(s, CLUSTER, "bac-kan")
        assert department is not None and department.id is not None
        invite = await people.create_invite(
            s, CLUSTER, "officer", department.id, timedelta(days=1), now=far_past
        )
        spare = await people.create_invite(
            s, CLUSTER, "officer", department.id, timedelta(days=1), now=far_past
        )
    assert invite.expires_at == far_past + timedelta(days=1)
    async with db.session() as s:
        # By the host's clock both expired in 2001; by the given one the first is still valid.
        bound = await people.redeem_invite(
            s, invite.code, 11, "A", None, now=far_past + timedelta(hours=23)
        )
        late = await people.redeem_invite(
            s, spare.code, 12, "B", None, now=far_past + timedelta(days=1)
        )
    assert (bound.outcome, late.outcome) == ("bound", "expired")

    async with db.session() as s:
        row = await rounds.open_round(
            s, CLUSTER, "2000", date(2000, 1, 1), date(2001, 1, 15), None, opened_at=far_past
        )
        await rounds.close_round(s, row, far_past + timedelta(days=2))
        await rounds.reopen_for(s, row, department.id, 11, far_past + timedelta(days=3))
        assert row.id is not None
        round_id = row.id
    async with db.session() as s:
        stored = await rounds.get_round(s, round_id)
        reopened = await rounds.find_reopening(s, round_id, department.id)
    assert stored is not None and reopened is not None
    assert stored.opened_at == far_past
    assert stored.closed_at == far_past + timedelta(days=2)
    assert reopened.reopened_at == far_past + timedelta(days=3)
