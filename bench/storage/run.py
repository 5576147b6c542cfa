"""Transactions and ballot erasure, measured: `python bench/storage/run.py [--postgres URL]`.

1. Reader latency on SQLite while four writers keep the write lock busy (each unit of work
   writes, then holds its transaction 5 ms as a handler doing more work would): read
   sessions as `db.session(write=False)` (deferred BEGIN, query_only) against reads in write
   sessions (BEGIN IMMEDIATE for everything).
2. A secret vote's unit of work with and without the erasure of the ballot history (SQLite:
   WAL checkpoint TRUNCATE), and a close (PostgreSQL: VACUUM FULL of the ballot table).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import text  # noqa: E402

from storage.database import Database  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def readers_during_writers(url: str, write_reads: bool) -> tuple[float, float, int]:
    db = Database(url)
    async with db.session() as s:
        await s.exec(text("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)"))  # type: ignore[call-overload]  # sqlmodel's exec has no overload for text()
    stop = asyncio.Event()
    writes = 0

    async def writer() -> None:
        nonlocal writes
        while not stop.is_set():
            async with db.session() as s:
                await s.exec(text("INSERT INTO t (v) VALUES ('x')"))  # type: ignore[call-overload]  # sqlmodel's exec has no overload for text()
                await asyncio.sleep(0.005)
            writes += 1

    tasks = [asyncio.create_task(writer()) for _ in range(4)]
    latencies = []
    for _ in range(300):
        started = time.perf_counter()
        async with db.session(write=write_reads) as s:
            await s.exec(text("SELECT count(*) FROM t"))  # type: ignore[call-overload]  # sqlmodel's exec has no overload for text()
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.002)
    stop.set()
    await asyncio.gather(*tasks)
    await db.dispose()
    return pct(latencies, 0.5), pct(latencies, 0.99), writes


async def votes(url: str, erase: bool) -> tuple[float, float, float]:
    from bot.domain import elections as E
    from bot.domain.cluster_file import load_cluster_file
    from bot.domain.elections import ElectionRules
    from bot.services import elections as V
    from storage import elections as S
    from storage.clusters import apply_cluster_spec, list_departments
    from tests.conftest import CLUSTER, EXAMPLE
    from tests.elections.conftest import NOW, create_schema

    class Plain(Database):
        async def erase_ballot_history(self, attempts: int = 5) -> bool:
            return False

    db = (Database if erase else Plain)(url)
    await create_schema(db)
    async with db.session() as s:
        await apply_cluster_spec(s, load_cluster_file(EXAMPLE))
        await list_departments(s, CLUSTER)
    plan = E.default_plan(2024, "Bầu", ElectionRules(offices=("head",)), now=NOW)
    async with db.session() as s:
        election = await V.create_election(s, CLUSTER, plan, 1, NOW)
        assert election.id is not None
        await V.start_election(s, election.id, NOW)
        round_ = await S.get_open_round(s, election.id)
        assert round_ is not None and round_.id is not None
        roll = await S.list_roll(s, election.id)
        candidates = await S.list_round_candidates(s, round_.id)
    timings = []
    for n, voter in enumerate(roll):
        started = time.perf_counter()
        async with db.session() as s:
            result = await V.cast_vote(
                s,
                round_.id,
                voter,
                100 + n,
                candidates[0],
                NOW + timedelta(minutes=n),
            )
        timings.append(time.perf_counter() - started)
        assert result.ok
    started = time.perf_counter()
    async with db.session() as s:
        await V.count_round(s, round_.id, NOW + timedelta(hours=1), 1)
    close = time.perf_counter() - started
    await db.dispose()
    return statistics.median(timings) * 1000, max(timings) * 1000, close * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--postgres",
        help="libpq URL of a server where we may CREATE DATABASE, e.g. "
        "postgresql://postgres@127.0.0.1:5432/postgres",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for write_reads in (False, True):
            url = f"sqlite+aiosqlite:///{Path(tmp) / f'r{write_reads}.db'}"
            p50, p99, writes = await readers_during_writers(url, write_reads)
            kind = "write=True (BEGIN IMMEDIATE)" if write_reads else "write=False (deferred)"
            print(f"SQLite reader {kind}: p50 {p50:.2f} ms, p99 {p99:.2f} ms ({writes} writes)")
        for erase in (False, True):
            url = f"sqlite+aiosqlite:///{Path(tmp) / f'v{erase}.db'}"
            median, worst, close = await votes(url, erase)
            print(
                f"SQLite secret vote {'with' if erase else 'without'} erasure: median "
                f"{median:.1f} ms, max {worst:.1f} ms; close {close:.1f} ms"
            )
    if args.postgres:
        import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

        async def admin(statement: str) -> None:
            connection = await asyncpg.connect(args.postgres)
            try:
                await connection.execute(statement)
            finally:
                await connection.close()

        base = args.postgres.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        for erase in (False, True):
            name = f"clusterbot_bench_storage_{int(erase)}"
            await admin(f'DROP DATABASE IF EXISTS "{name}"')
            await admin(f'CREATE DATABASE "{name}"')
            try:
                median, worst, close = await votes(f"{base}/{name}", erase)
            finally:
                await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(
                f"PostgreSQL secret vote median {median:.1f} ms; close "
                f"{'with' if erase else 'without'} VACUUM FULL {close:.1f} ms"
            )


if __name__ == "__main__":
    asyncio.run(main())
