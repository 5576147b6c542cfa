"""Fixtures for the backup tests: an empty target database, at the head, on either engine (its
SQLite file apart from the harness's own)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import migrate
from storage.database import Database


@pytest.fixture(params=["sqlite", "postgresql"])
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    # A sync fixture: the PostgreSQL one migrates a template with Alembic's own event loop.
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'target.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def target(target_url: str) -> AsyncIterator[Database]:
    await asyncio.to_thread(migrate.upgrade, target_url)
    db = Database(target_url)
    yield db
    await db.dispose()
