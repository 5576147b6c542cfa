"""`clusterbot migrate` as a deploy step that two replicas may run at once: real processes on a
fresh database; both succeed, and the schema is built once (the other finds it at the head).

On PostgreSQL the test holds the migration lock itself while both processes start, waits until
PostgreSQL shows both waiting for it, and only then lets them go: they certainly overlap, and
only the lock keeps them apart.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

from storage import migrate
from storage.database import Database

HEAD = ", ".join(sorted(migrate.script_heads() or ()))
CREATED = f"Created the database schema at revision {HEAD}."
CURRENT = f"The database schema is up to date. ({HEAD})"


def _start(url: str, cwd: Path) -> subprocess.Popen[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_URL", "CLUSTERBOT_"))
    }
    env.update(DATABASE_URL=url, CLUSTERBOT_LANGUAGE="en")
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "migrate"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    )


def _finish(processes: list[subprocess.Popen[str]]) -> list[str]:
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        outputs.append(out.strip())
    return sorted(outputs)


async def _versions(url: str) -> list[str]:
    db = Database(url)
    try:
        async with db.engine.connect() as connection:
            rows = await connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            return [str(row[0]) for row in rows]
    finally:
        await db.dispose()


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _waiting_for_the_lock(connection: asyncpg.Connection) -> int:
    key = migrate.MIGRATION_LOCK
    return int(
        await connection.fetchval(
            # Advisory locks are per database: count only this database's waiters.
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND classid = $1 AND objid = $2 AND objsubid = 1 AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())",
            key >> 32,
            key & 0xFFFFFFFF,
        )
    )


def test_two_migrate_processes_at_once_on_postgresql(
    empty_postgres_url: str, tmp_path: Path
) -> None:
    async def run() -> list[str]:
        holder = await asyncpg.connect(_dsn(empty_postgres_url))
        try:
            await holder.execute(f"SELECT pg_advisory_lock({migrate.MIGRATION_LOCK})")
            processes = [_start(empty_postgres_url, tmp_path) for _ in range(2)]
            deadline = time.monotonic() + 120  # a guard against a hang, not a measurement
            while await _waiting_for_the_lock(holder) < 2:
                assert all(p.poll() is None for p in processes), "a process ended unlocked"
                assert time.monotonic() < deadline, "the processes never waited for the lock"
                await asyncio.sleep(0.05)
            # Both wait; neither has touched the schema.
            assert await holder.fetchval("SELECT to_regclass('alembic_version')") is None
            await holder.execute(f"SELECT pg_advisory_unlock({migrate.MIGRATION_LOCK})")
        finally:
            await holder.close()
        return await asyncio.to_thread(_finish, processes)

    outputs = asyncio.run(run())
    assert outputs == sorted([CREATED, CURRENT])
    assert asyncio.run(_versions(empty_postgres_url)) == [HEAD]


def test_two_migrate_processes_at_once_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    outputs = _finish([_start(url, tmp_path) for _ in range(2)])
    assert outputs == sorted([CREATED, CURRENT])
    assert asyncio.run(_versions(url)) == [HEAD]
