"""The ticks' queries, as storage sends them, can use the indexes revision 9b9ae66083f2 made for
them, on both engines: each statement is captured as executed and explained. PostgreSQL is told
to avoid sequential scans (on a small table it would rightly prefer one): the question is
whether the index is usable by the query as written, not whether it is worth it today."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import announcements, deliveries, migrate
from storage.database import Database

NOW = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)

QUERIES: list[tuple[str, Callable[[AsyncSession], Awaitable[object]]]] = [
    ("ix_round_state_id", deliveries.list_open_rounds),
    ("ix_announcement_state_sent_at", lambda s: announcements.list_sent_since(s, NOW)),
    ("ix_announcement_nudge_due", lambda s: announcements.list_due_nudges(s, NOW)),
]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    await asyncio.to_thread(migrate.upgrade, database_url)
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.mark.parametrize(("index", "query"), QUERIES, ids=[name for name, _ in QUERIES])
async def test_the_ticks_queries_use_their_index(
    db: Database, index: str, query: Callable[[AsyncSession], Awaitable[object]]
) -> None:
    captured: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        _connection, _cursor, statement, parameters, _context, _many = args
        captured.append((statement, parameters))

    event.listen(db.read_engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with db.session(write=False) as s:
            await query(s)
    finally:
        event.remove(db.read_engine.sync_engine, "before_cursor_execute", capture)
    selects = [(sql, p) for sql, p in captured if sql.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1
    sql, parameters = selects[0]
    async with db.engine.connect() as connection:
        if db.is_sqlite:
            plan = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)
        else:
            await connection.exec_driver_sql("SET enable_seqscan = off")
            plan = await connection.exec_driver_sql(f"EXPLAIN {sql}", parameters)
        text = " / ".join(str(cell) for row in plan.all() for cell in row)
    assert index in text, text
