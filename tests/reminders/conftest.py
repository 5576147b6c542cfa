"""A database with the schema, on each engine in turn (built from the models: the migration
for the delivery tables is written by the lead at the end)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import SQLModel

import storage.models_delivery  # noqa: F401
import storage.tables  # noqa: F401 - registers the tables
from storage.database import Database


async def create_schema(url: str) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)
    finally:
        await db.dispose()


@pytest.fixture
async def db_url(database_url: str) -> str:
    await create_schema(database_url)
    return database_url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        await database.dispose()
