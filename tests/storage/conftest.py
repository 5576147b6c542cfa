"""Databases with nothing in them (no schema, no version table), on either engine: for the
migration tests, which start from empty or from an early revision."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _PG_BASE, _in_own_loop


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
