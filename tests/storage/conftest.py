"""Databases for the storage tests, on either engine: with nothing in them (no schema, no
version table) for the migration tests, which start from empty or from an early revision; or
migrated, with the example cluster loaded."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.domain.cluster_file import load_cluster_file
from storage import clusters, migrate
from storage.database import Database
from tests.conftest import _PG_BASE, EXAMPLE, _in_own_loop


@pytest.fixture
async def example_db(database_url: str) -> AsyncIterator[Database]:
    """The database at the head revision with the example cluster loaded."""
    await asyncio.to_thread(migrate.upgrade, database_url)
    database = Database(database_url)
    async with database.session() as s:
        await clusters.apply_cluster_spec(s, load_cluster_file(EXAMPLE))
    yield database
    await database.dispose()


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database (not a copy of the migrated template), dropped after."""
    name = f"clusterbot_e_{uuid.uuid4().hex[:12]}"
    _in_own_loop(f'CREATE DATABASE "{name}"')
    try:
        yield f"{_PG_BASE}/{name}"
    finally:
        _in_own_loop(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Runs the test once per engine, on an empty database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    else:
        yield request.getfixturevalue("empty_postgres_url")
