"""The locks themselves: SQLite's file lock, PostgreSQL's advisory lock."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.runtime.leadership import (
    AlreadyRunning,
    FileLeadership,
    PostgresLeadership,
    leadership_for,
)


async def test_one_holder_of_a_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    first, second = leadership_for(url), leadership_for(url)
    assert isinstance(first, FileLeadership) and isinstance(second, FileLeadership)
    await first.acquire()
    with pytest.raises(AlreadyRunning) as refused:
        await second.acquire()
    assert refused.value.path == (tmp_path / "bot.db").resolve()
    await first.release()
    await second.acquire()  # given back: the next one gets it
    await second.release()


def test_the_dsn_for_the_leader_connection() -> None:
    leadership = leadership_for(
        "postgresql+asyncpg://bot:p%40ss@db.example:5433/cb"
        "?ssl=require&prepared_statement_cache_size=0"
    )
    assert isinstance(leadership, PostgresLeadership)
    assert leadership.dsn == "postgresql://bot:p%40ss@db.example:5433/cb?sslmode=require"


async def test_one_holder_of_the_advisory_lock(postgres_url: str) -> None:
    first = leadership_for(postgres_url, poll_interval=0.05, check_interval=0.05)
    second = leadership_for(postgres_url, poll_interval=0.05)
    await first.acquire()
    waiting = asyncio.create_task(second.acquire())
    lost = asyncio.create_task(first.lost())
    await asyncio.sleep(0.3)  # many polls and checks: the holder keeps it, the other waits
    assert not waiting.done() and not lost.done()
    await first.release()
    await asyncio.wait_for(waiting, 10)
    await asyncio.wait_for(lost, 10)  # the released lock is seen as gone by its checks
    await second.release()
