"""Benchmark: a large cluster's summary, chart and workbook, among 1.000 other clusters.

The measured cluster has 34 departments x 60 indicators and 5 years of quarterly rounds
(2020-2024), each department submitting every round, a third of them revising once or twice.
The database also holds 1.000 other clusters (7 departments x 10 indicators, 8 quarterly rounds
each). The same cluster is then built alone in a second database, to compare: a summary must
not be slower than 1,5x its time alone (indexes, no full scans).

    python bench/summary/run.py                 # SQLite files in a temporary folder
    python bench/summary/run.py --others 100    # quicker
    python bench/summary/run.py --url postgresql+asyncpg://...  (an empty database)

Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert, text  # noqa: E402

from bot.domain.periods import Period  # noqa: E402
from bot.reports import summary_messages  # noqa: E402
from bot.reports.charts import indicator_chart  # noqa: E402
from bot.reports.workbook import build_workbook  # noqa: E402
from bot.services.summaries import history_for, summary_for  # noqa: E402
from storage import migrate  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.models import (  # noqa: E402
    Cluster,
    Department,
    Indicator,
    Person,
    Round,
    Submission,
    SubmissionValue,
)

MAIN = "cum-lon"
YEARS = range(2020, 2025)
T0 = datetime(2020, 1, 1, tzinfo=UTC)


class Ids:
    """Sequential primary keys, so rows can be inserted in bulk without round trips."""

    def __init__(self) -> None:
        self.department = 0
        self.indicator = 0
        self.round = 0
        self.submission = 0


def _indicator_kind(j: int) -> tuple[str, str]:
    if j % 10 == 7:
        return "percent", "average"
    if j % 10 == 8:
        return "boolean", "count"
    if j == 59:
        return "text", "none"
    if j % 10 == 9:
        return "decimal", "sum"
    return "integer", "sum"


def _value(kind: str, rng: random.Random) -> str | None:
    if rng.random() < 0.02:
        return None
    if kind == "integer":
        return str(rng.randint(0, 5000))
    if kind == "decimal":
        return f"{rng.randint(0, 900)}.{rng.randint(0, 99)}"
    if kind == "percent":
        return str(rng.randint(0, 100))
    if kind == "boolean":
        return rng.choice(("true", "false"))
    return "Kết quả nổi bật của đơn vị trong kỳ: hoàn thành các nhiệm vụ được giao. " * 3


async def _fill_cluster(
    db: Database,
    ids: Ids,
    cluster_id: str,
    departments: int,
    indicators: int,
    quarters: list[Period],
    rng: random.Random,
    revise: float,
) -> None:
    """One cluster with its departments, indicators, rounds and submissions, in bulk."""
    cluster_rows = [{"id": cluster_id, "name": f"Cụm thi đua {cluster_id}",
                     "name_en": f"Cluster {cluster_id}", "created_at": T0}]  # fmt: skip
    dept_rows, ind_rows, round_rows, sub_rows, value_rows = [], [], [], [], []
    dept_ids = []
    for i in range(departments):
        ids.department += 1
        dept_ids.append(ids.department)
        dept_rows.append({"id": ids.department, "cluster_id": cluster_id, "slug": f"so-{i + 1}",
                          "name": f"Sở Nội vụ tỉnh số {i + 1}",
                          "name_en": f"Department {i + 1}", "position": i})  # fmt: skip
    kinds = []
    for j in range(indicators):
        ids.indicator += 1
        kind, rule = _indicator_kind(j)
        kinds.append((ids.indicator, kind))
        ind_rows.append({"id": ids.indicator, "cluster_id": cluster_id, "slug": f"chi-tieu-{j}",
                         "position": j, "label": f"Chỉ tiêu số {j + 1} của cụm",
                         "label_en": f"Indicator {j + 1}", "type": kind, "unit": "người",
                         "unit_en": "people", "required": True, "aggregate": rule,
                         "choices": "", "active": True})  # fmt: skip
    for period in quarters:
        ids.round += 1
        round_id = ids.round
        round_rows.append({"id": round_id, "cluster_id": cluster_id, "period": period.code,
                           "period_start": period.start,
                           "deadline": period.end + timedelta(days=15),
                           "state": "closed", "opened_at": T0})  # fmt: skip
        for dept_id in dept_ids:
            revisions = 1
            while revisions < 3 and rng.random() < revise:
                revisions += 1
            for revision in range(1, revisions + 1):
                ids.submission += 1
                at = datetime.combine(period.end, datetime.min.time(), UTC) + timedelta(
                    days=revision
                )
                sub_rows.append({"id": ids.submission, "round_id": round_id,
                                 "department_id": dept_id, "revision": revision,
                                 "submitted_by": 100000 + dept_id, "submitted_at": at,
                                 "late": revision > 1 and rng.random() < 0.3})  # fmt: skip
                for indicator_id, kind in kinds:
                    value_rows.append({"submission_id": ids.submission,
                                       "indicator_id": indicator_id,
                                       "value": _value(kind, rng)})  # fmt: skip
    async with db.session() as s:
        conn = await s.connection()
        await conn.execute(insert(Cluster), cluster_rows)
        await conn.execute(insert(Department), dept_rows)
        await conn.execute(insert(Indicator), ind_rows)
        await conn.execute(insert(Round), round_rows)
        for start in range(0, len(sub_rows), 5000):
            await conn.execute(insert(Submission), sub_rows[start : start + 5000])
        for start in range(0, len(value_rows), 20000):
            await conn.execute(insert(SubmissionValue), value_rows[start : start + 20000])


async def build(url: str, others: int) -> Database:
    await asyncio.to_thread(migrate.upgrade, url)
    db = Database(url)
    ids = Ids()
    rng = random.Random(20240115)
    quarters = [Period.of_quarter(y, q) for y in YEARS for q in range(1, 5)]
    async with db.session() as s:
        conn = await s.connection()
        await conn.execute(
            insert(Person),
            [
                {"id": 100000 + d, "full_name": f"Cán bộ {d}", "created_at": T0}
                for d in range(1, 35)
            ],
        )
    # The other clusters first, so the measured cluster's rows are not the first in any table.
    for n in range(others // 2):
        await _fill_cluster(db, ids, f"cum-{n:04d}", 7, 10, quarters[-8:], rng, 0.0)
    # Its own generator: the measured cluster holds the same figures in both databases.
    await _fill_cluster(db, ids, MAIN, 34, 60, quarters, random.Random(34 * 60), 0.35)
    for n in range(others // 2, others):
        await _fill_cluster(db, ids, f"cum-{n:04d}", 7, 10, quarters[-8:], rng, 0.0)
    async with db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))  # planner statistics, as a live database has
    return db


async def _counts(db: Database) -> dict[str, int]:
    result = {}
    async with db.session() as s:
        conn = await s.connection()
        for table in ("cluster", "round", "submission", "submissionvalue"):
            result[table] = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
    return result


def _median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:7.1f} ms (min {min(samples) * 1000:.1f})"


async def measure(db: Database, label: str, runs: int) -> dict[str, list[float]]:
    """Median timings of the summary (load + render), chart and workbook."""
    results: dict[str, list[float]] = {"load": [], "render": [], "summary": [], "year": [],
                                       "chart": [], "workbook": []}  # fmt: skip
    now = datetime(2025, 1, 20, tzinfo=UTC)
    for n in range(runs + 1):  # the first run warms caches and templates up
        t0 = time.perf_counter()
        async with db.session() as s:
            summary = await summary_for(s, MAIN, "2024-Q4", now=now)
        t1 = time.perf_counter()
        assert summary is not None
        text_ = summary_messages(summary, "vi")
        t2 = time.perf_counter()
        async with db.session() as s:
            year = await summary_for(s, MAIN, "2024", now=now)  # compiled from 4 quarters
        assert year is not None and year.compiled
        summary_messages(year, "vi")
        t3 = time.perf_counter()
        if n:
            results["load"].append(t1 - t0)
            results["render"].append(t2 - t1)
            results["summary"].append(t2 - t0)
            results["year"].append(t3 - t2)
    assert summary is not None
    for n in range(min(runs, 5) + 1):
        t0 = time.perf_counter()
        indicator_chart(summary.indicators[0], summary.period, "vi")
        if n:
            results["chart"].append(time.perf_counter() - t0)
    for n in range(min(runs, 5) + 1):
        t0 = time.perf_counter()
        async with db.session() as s:
            history = await history_for(s, MAIN, ["2024-Q4"])
        data = build_workbook(summary, "vi", history, now)
        if n:
            results["workbook"].append(time.perf_counter() - t0)
    print(f"\n[{label}]")
    print(f"  summary text (load + render): {_median_ms(results['summary'])}"
          f"   load {statistics.median(results['load']) * 1000:.1f} ms,"
          f" render {statistics.median(results['render']) * 1000:.1f} ms,"
          f" {len(text_.messages)} message(s), complete={text_.complete}")  # fmt: skip
    print(f"  year compiled from quarters:  {_median_ms(results['year'])}")
    print(f"  chart (one indicator, PNG):   {_median_ms(results['chart'])}")
    print(f"  workbook (+ history, {len(data) // 1024} KB):  {_median_ms(results['workbook'])}")
    return results


async def peak_memory(db: Database) -> None:
    now = datetime(2025, 1, 20, tzinfo=UTC)
    gc.collect()
    tracemalloc.start()
    async with db.session() as s:
        summary = await summary_for(s, MAIN, "2024-Q4", now=now)
        history = await history_for(s, MAIN, ["2024-Q4"])
    assert summary is not None
    summary_messages(summary, "vi")
    _, text_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    indicator_chart(summary.indicators[0], summary.period, "vi")
    _, chart_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    build_workbook(summary, "vi", history, now)
    _, book_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak Python memory: summary {text_peak / 2**20:.1f} MiB, chart "
          f"{chart_peak / 2**20:.1f} MiB, workbook {book_peak / 2**20:.1f} MiB;"
          f" process max RSS {rss:.0f} MiB")  # fmt: skip


async def query_plans(db: Database) -> None:
    """Every statement of one summary, with SQLite's plan: a SCAN of a big table is a full scan."""
    if not db.url.startswith("sqlite"):
        return
    statements: list[tuple[str, Any]] = []

    def remember(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", remember)
    try:
        async with db.session() as s:
            await summary_for(s, MAIN, "2024-Q4")
            await summary_for(s, MAIN, "2024")
            await history_for(s, MAIN, ["2024-Q4"])
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", remember)
    full_scans = []
    async with db.engine.connect() as conn:
        for statement, parameters in statements:
            raw = await conn.get_raw_connection()
            assert raw.driver_connection is not None
            cursor = await raw.driver_connection.execute(
                f"EXPLAIN QUERY PLAN {statement}", parameters
            )
            for row in await cursor.fetchall():
                detail = row[-1]
                # "SCAN anon_1" walks a subquery's own result, not a table
                words = detail.split()
                if (
                    words[0] == "SCAN"
                    and not words[1].startswith("anon_")
                    and "USING" not in detail
                ):
                    full_scans.append(detail)
    print(f"  queries for a quarter + a compiled year + history: {len(statements)};"
          f" full table scans: {full_scans or 'none'}")  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--others", type=int, default=1000, help="other clusters (default 1000)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--url", help="an empty database for the big run (default: SQLite)")
    parser.add_argument("--alone-url", help="an empty database for the cluster alone")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        big_url = args.url or f"sqlite+aiosqlite:///{os.path.join(folder, 'big.db')}"
        alone_url = args.alone_url or f"sqlite+aiosqlite:///{os.path.join(folder, 'alone.db')}"
        t0 = time.perf_counter()
        big = await build(big_url, args.others)
        print(
            f"built the shared database in {time.perf_counter() - t0:.0f} s: {await _counts(big)}"
        )
        alone = await build(alone_url, 0)
        print(f"built the single-cluster database: {await _counts(alone)}")
        try:
            shared = await measure(big, f"34 x 60 among {args.others} other clusters", args.runs)
            await peak_memory(big)
            await query_plans(big)
            single = await measure(alone, "the same cluster alone", args.runs)
            ratio = statistics.median(shared["summary"]) / statistics.median(single["summary"])
            year_ratio = statistics.median(shared["year"]) / statistics.median(single["year"])
            print(f"\nshared / alone: summary {ratio:.2f}x, compiled year {year_ratio:.2f}x"
                  " (goal: at most 1.5x)")  # fmt: skip
            summary_ms = statistics.median(shared["summary"]) * 1000
            book_s = statistics.median(shared["workbook"])
            print(f"goals: summary text {summary_ms:.0f} ms (< 100 ms),"
                  f" workbook {book_s:.2f} s (< 1 s)")  # fmt: skip
        finally:
            await big.dispose()
            await alone.dispose()


if __name__ == "__main__":
    asyncio.run(main())
