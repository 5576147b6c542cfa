"""Fixtures for the backup tests: an empty target database, at the head, on either engine (its
SQLite file apart from the harness's own)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storage import migrate
from storage.database import Database
from tests.conftest import _PG_BASE, _in_own_loop, _postgres_template
from tests.elections.conftest import seeded  # noqa: F401 - the example cluster, either engine


@pytest.fixture(params=["sqlite", "postgresql"])
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own, not the `postgres_url` a source may already use. A sync fixture:
    the first PostgreSQL one migrates the template with Alembic's own event loop."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'target.db'}"
        return
    name = f"clusterbot_t_{uuid.uuid4().hex[:12]}"
    _in_own_loop(f'CREATE DATABASE "{name}" TEMPLATE "{_postgres_template()}"')
    try:
        yield f"{_PG_BASE}/{name}"
    finally:
        _in_own_loop(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def target(target_url: str) -> AsyncIterator[Database]:
    await asyncio.to_thread(migrate.upgrade, target_url)
    db = Database(target_url)
    yield db
    await db.dispose()
