"""The migration history itself, with pytest-alembic, on SQLite and on PostgreSQL: one head, an
upgrade from empty, every step down and up again, the models equal to what the migrations
build; and a database filled at the initial revision upgraded to the head with its data, the
new indexes in place and the partial unique index enforced.

pytest-alembic's checks are its own functions (imported below, so pytest collects them here),
run on the fixtures of this module: its plugin is off (pyproject.toml says why).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import pytest_alembic
from pytest_alembic.config import Config
from pytest_alembic.runner import MigrationContext
from pytest_alembic.tests import (  # noqa: F401  (collected as tests of this module)
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage import announcements, deliveries, elections, migrate, submissions
from storage.database import Database

INITIAL = "de36d9ec9b07"
AT = datetime(2024, 1, 5, 1, 0)  # naive UTC, as the columns store it
NOW = AT.replace(tzinfo=UTC)
# How each engine names the partial unique index's refusal (not any other key's).
REFUSED = r"uq_election_cluster_id_open|UNIQUE constraint failed: election\.cluster_id"


@pytest.fixture
def alembic_engine(empty_database_url: str) -> Iterator[AsyncEngine]:
    engine = create_async_engine(empty_database_url)
    yield engine
    asyncio.run(engine.dispose())


@pytest.fixture
def alembic_runner(alembic_engine: AsyncEngine) -> Iterator[MigrationContext]:
    config = Config.from_raw_config(migrate.alembic_config(""))
    # pytest-alembic runs its own tasks on an AsyncEngine too (ConnectionExecutor.run_task).
    with pytest_alembic.runner(config=config, engine=alembic_engine) as runner:  # type: ignore[arg-type]  # pytest-alembic's hint wants its own Config type
        yield runner


def _url(engine: AsyncEngine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_the_history_starts_at_the_initial_schema_and_ends_at_the_files_head(
    alembic_runner: MigrationContext,
) -> None:
    assert alembic_runner.history.revisions[0] == "base"
    assert alembic_runner.history.revisions[1] == INITIAL
    assert frozenset(alembic_runner.heads) == migrate.script_heads()


# --------------------------------------------------------------------------------------------
# A database in use at the initial revision


def _election(id_: int, cluster: str, state: str, title: str) -> dict[str, Any]:
    return {
        "id": id_,
        "cluster_id": cluster,
        "title": title,
        "term": 2024,
        "mode": "secret",
        "quorum": "2/3",
        "majority": "1/2",
        "majority_of": "cast",
        "max_rounds": 3,
        "reballot_top": 2,
        "no_reelect_head": True,
        "one_office_each": True,
        "allow_replace": True,
        "voting_minutes": 1440,
        "state": state,
        "opens_at": AT,
        "closes_at": AT + timedelta(days=1),
        "custom_candidates": False,
        "roll_fingerprint": "",
        "created_by": 1001,
        "created_at": AT,
    }


def _fill(runner: MigrationContext) -> dict[str, int]:
    """Representative rows of a cluster's year, as the initial schema stored them. Returns the
    number of rows written per table."""
    rows: dict[str, list[dict[str, Any]]] = {
        "cluster": [
            {"id": c, "name": f"Cụm {c}", "name_en": c, "group_chat_id": g, "created_at": AT}
            for c, g in (("cum-a", -1001), ("cum-b", -1002))
        ],
        "department": [
            {"id": i, "cluster_id": c, "slug": s, "name": s, "name_en": s, "position": i}
            for i, c, s in ((1, "cum-a", "bac-kan"), (2, "cum-a", "yen-bai"), (3, "cum-b", "x"))
        ],
        "indicator": [
            {
                "id": 1,
                "cluster_id": "cum-a",
                "slug": "thu-ngan-sach",
                "position": 0,
                "label": "Thu ngân sách",
                "label_en": "Budget revenue",
                "type": "integer",
                "unit": "tỷ đồng",
                "unit_en": "billion VND",
                "required": True,
                "aggregate": "sum",
                "choices": "",
                "headline": True,
                "active": True,
            }
        ],
        "person": [{"id": 1001, "full_name": "Nguyễn Văn A", "created_at": AT}],
        "membership": [
            {
                "id": 1,
                "person_id": 1001,
                "cluster_id": "cum-a",
                "department_id": 1,
                "role": "officer",
                "created_at": AT,
            }
        ],
        "round": [
            {
                "id": r,
                "cluster_id": "cum-a",
                "period": p,
                "period_start": date(int(p), 1, 1),
                "deadline": date(int(p) + 1, 1, 15),
                "state": s,
                "opened_at": AT,
            }
            for r, p, s in ((1, "2022", "closed"), (2, "2023", "open"))
        ],
        "submission": [
            {
                "id": 1,
                "round_id": 1,
                "department_id": 1,
                "revision": 1,
                "submitted_by": 1001,
                "submitted_at": AT,
                "late": False,
            }
        ],
        "submissionvalue": [{"submission_id": 1, "indicator_id": 1, "value": "42"}],
        "draft": [
            {
                "person_id": 1001,
                "round_id": 2,
                "department_id": 1,
                "state": "{}",
                "version": 7,
                "updated_at": AT,
            }
        ],
        "delivery": [
            {
                "id": 1,
                "key": "r2:due:1001",
                "kind": "reminder:due",
                "cluster_id": "cum-a",
                "round_id": 2,
                "department_id": 1,
                "chat_id": 1001,
                "state": "sent",
                "attempts": 1,
                "created_at": AT,
                "updated_at": AT,
            },
            {
                "id": 2,
                "key": "r2:open:-1001",
                "kind": "round_open",
                "cluster_id": "cum-a",
                "round_id": 2,
                "chat_id": -1001,
                "state": "queued",
                "attempts": 0,
                "text": "Đã mở kỳ báo cáo",
                "created_at": AT,
                "updated_at": AT,
            },
        ],
        "announcement": [
            {
                "id": 1,
                "cluster_id": "cum-a",
                "author_id": 1001,
                "text": "<b>Họp</b>",
                "pin": False,
                "state": "sent",
                "nudge_working_days": 1,
                "created_at": AT,
                "sent_at": AT,
                "nudge_at": AT + timedelta(days=1),
            },
            {
                "id": 2,
                "cluster_id": "cum-a",
                "author_id": 1001,
                "text": "",
                "pin": False,
                "state": "cancelled",
                "nudge_working_days": 1,
                "created_at": AT,
            },
        ],
        "announcement_copy": [
            {"id": 1, "announcement_id": 1, "person_id": 1001, "department_id": 1, "sent_at": AT}
        ],
        "election": [
            _election(1, "cum-a", "closed", "Bầu 2023"),
            _election(2, "cum-a", "open", "Bầu 2024"),
            _election(3, "cum-b", "open", "Bầu 2024"),
        ],
        "electionoffice": [
            {
                "id": 1,
                "election_id": 2,
                "position": 0,
                "role": "head",
                "label": "",
                "label_en": "",
                "state": "voting",
            }
        ],
    }
    for table, items in rows.items():
        runner.insert_into(table, items)
    return {table: len(items) for table, items in rows.items()}


async def _counts(db: Database, tables: list[str]) -> dict[str, int]:
    async with db.engine.connect() as connection:
        return {
            table: (
                await connection.exec_driver_sql(f'SELECT COUNT(*) FROM "{table}"')
            ).scalar_one()
            for table in tables
        }


def test_a_database_filled_at_the_initial_revision_upgrades_with_its_data(
    alembic_runner: MigrationContext, alembic_engine: AsyncEngine
) -> None:
    alembic_runner.migrate_up_to(INITIAL)
    written = _fill(alembic_runner)
    alembic_runner.migrate_up_to("heads")
    assert frozenset([alembic_runner.current]) == migrate.script_heads()

    async def check() -> None:
        db = Database(_url(alembic_engine))
        try:
            assert await _counts(db, list(written)) == written
            # Today's code reads what the old schema stored.
            async with db.session(write=False) as s:
                assert [r.id for r in await deliveries.list_open_rounds(s)] == [2]
                assert await announcements.list_due_nudges(s, NOW + timedelta(days=2)) == [1]
                assert await announcements.list_due_nudges(s, NOW) == []
                active = await elections.find_active_election(s, "cum-a")
                assert active is not None and active.id == 2
                latest = await submissions.get_latest_revision(s, 1, 1)
                assert latest is not None and latest.values == {1: "42"}
                draft = await submissions.get_draft(s, 1001)
                assert draft is not None and draft.version == 7
                assert await deliveries.states_of(s, ["r2:due:1001", "r2:open:-1001"]) == {
                    "r2:due:1001": "sent",
                    "r2:open:-1001": "queued",
                }
            # One open election per cluster, now the database's rule: a second open one in
            # cum-a is refused, a closed one is not, and another cluster is another matter.
            insert = text(
                "INSERT INTO election (id, cluster_id, title, term, mode, quorum, majority, "
                "majority_of, max_rounds, reballot_top, no_reelect_head, one_office_each, "
                "allow_replace, voting_minutes, state, opens_at, closes_at, custom_candidates, "
                "roll_fingerprint, created_by, created_at) VALUES (:id, :cluster, 't', 2025, 'open', "
                "'2/3', '1/2', 'cast', 3, 2, true, true, true, 60, :state, :at, :at, false, '', "
                "1001, :at)"
            )
            with pytest.raises(IntegrityError, match=REFUSED):
                async with db.session() as s:
                    await s.exec(insert.bindparams(id=101, cluster="cum-a", state="open", at=AT))  # type: ignore[call-overload]  # sqlmodel's exec has no overload for this statement
            async with db.session() as s:
                await s.exec(insert.bindparams(id=102, cluster="cum-a", state="closed", at=AT))  # type: ignore[call-overload]  # sqlmodel's exec has no overload for this statement
                await s.exec(insert.bindparams(id=103, cluster="cum-a", state="cancelled", at=AT))  # type: ignore[call-overload]  # sqlmodel's exec has no overload for this statement
            with pytest.raises(IntegrityError, match=REFUSED):
                async with db.session() as s:
                    await s.exec(insert.bindparams(id=104, cluster="cum-b", state="open", at=AT))  # type: ignore[call-overload]  # sqlmodel's exec has no overload for this statement
            async with db.session() as s:
                await s.exec(text("UPDATE election SET state = 'closed' WHERE id = 3"))  # type: ignore[call-overload]  # sqlmodel's exec has no overload for this statement
                await s.exec(insert.bindparams(id=105, cluster="cum-b", state="open", at=AT))  # type: ignore[call-overload]  # sqlmodel's exec has no overload for this statement
        finally:
            await db.dispose()

    asyncio.run(check())


def test_the_new_indexes_are_there_and_the_partial_ones_are_partial(
    alembic_runner: MigrationContext, alembic_engine: AsyncEngine
) -> None:
    alembic_runner.migrate_up_to("heads")

    def indexes(connection: Connection) -> dict[str, dict[str, Any]]:
        return {
            str(index["name"]): dict(index)
            for table in ("round", "announcement", "election")
            for index in inspect(connection).get_indexes(table)
        }

    async def reflect() -> dict[str, dict[str, Any]]:
        async with alembic_engine.connect() as connection:
            found = await connection.run_sync(indexes)
        await alembic_engine.dispose()
        return found

    found = asyncio.run(reflect())
    assert found["ix_round_state_id"]["column_names"] == ["state", "id"]
    assert found["ix_announcement_state_sent_at"]["column_names"] == ["state", "sent_at"]
    unique = found["uq_election_cluster_id_open"]
    assert unique["unique"] and unique["column_names"] == ["cluster_id"]
    # Autogenerate does not compare the WHERE of a partial index: read it back here.
    dialect = alembic_engine.dialect.name
    where = {
        name: str(found[name].get("dialect_options", {}).get(f"{dialect}_where", ""))
        for name in ("uq_election_cluster_id_open", "ix_announcement_nudge_due")
    }
    assert "state" in where["uq_election_cluster_id_open"]
    assert "'open'" in where["uq_election_cluster_id_open"]
    assert "nudged_at IS NULL" in where["ix_announcement_nudge_due"]


def test_two_open_elections_in_a_cluster_stop_the_upgrade_and_nothing_is_changed(
    alembic_runner: MigrationContext, alembic_engine: AsyncEngine
) -> None:
    alembic_runner.migrate_up_to(INITIAL)
    alembic_runner.insert_into(
        "cluster", {"id": "cum-a", "name": "Cụm A", "name_en": "A", "created_at": AT}
    )
    alembic_runner.insert_into(
        "election", [_election(1, "cum-a", "open", "a"), _election(2, "cum-a", "open", "b")]
    )
    with pytest.raises(RuntimeError, match=r"cum-a \(2\)"):
        migrate.upgrade_from(_url(alembic_engine))  # as `clusterbot migrate` runs it
    # The whole upgrade was one transaction, on both engines: still at the initial revision,
    # without the table and the indexes the failed run had made before the refusal.
    assert alembic_runner.current == INITIAL

    async def round_indexes() -> set[str]:
        async with alembic_engine.connect() as connection:
            indexes = await connection.run_sync(lambda c: inspect(c).get_indexes("round"))
        await alembic_engine.dispose()
        return {str(index["name"]) for index in indexes}

    assert "ix_round_state_id" not in asyncio.run(round_indexes())  # made, then rolled back
