"""Benchmark: peak memory of a replica with many clusters in its database, officers
reporting and summaries being posted (issue 9, "Speed, measured": goal under 150 MB).

    python bench/memory/run.py            # 1.000 clusters x 10 departments, 200 officers
    python bench/memory/run.py --quick    # 50 clusters, 10 officers, under 30 s
    python bench/memory/run.py --postgres # on PostgreSQL (a database of its own, dropped)

The database holds ``--clusters`` clusters of 10 departments (the example's five indicators,
written through storage); ``--officers`` officers (10 a cluster) answer the report
conversation through the emulator (bench/load/officers.py), the last answers finish their
clusters' rounds, so every one of those clusters gets its summary and charts in its group;
then they paste the whole report and confirm it (revisions). ``clusterbot run`` runs in its
own process (bench/load/bot_runner.py); its memory is read from outside (/proc/<pid>/status:
VmRSS now, VmHWM the peak), and that of its chart process apart. The baseline in the same
run is the same replica idle, before any update.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench.load, run as a script

from bench.load.officers import conversation, pasting  # noqa: E402
from bench.load.targets import (  # noqa: E402
    Target,
    machine,
    measure,
    start_target,
    stop_target,
)
from bench.load.world import Layout  # noqa: E402

GOAL_MIB = 150.0
DEPARTMENTS = 10
CHARTS_SETTLE = 3.0  # seconds without a new chart: the summaries are all out


@dataclass
class Result:
    clusters: int
    officers: int
    points: list[tuple[str, float, float, float]] = field(default_factory=list)
    charts: int = 0

    def add(self, target: Target, what: str) -> None:
        rss, hwm = target.process.rss_mib()
        self.points.append((what, rss, hwm, target.process.children_hwm_mib()))

    @property
    def peak(self) -> float:
        return max(hwm for _, _, hwm, _ in self.points)


async def charts_out(target: Target, groups: list[int], timeout: float = 180.0) -> int:
    """Until every group has a chart and none came for a while; the charts received."""
    photos = target.officers.photos
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = sum(photos.get(g, 0) for g in groups)
        if count != last:
            last, since = count, time.monotonic()
        elif all(photos.get(g) for g in groups) and time.monotonic() - since >= CHARTS_SETTLE:
            return count
        await asyncio.sleep(0.2)
    raise RuntimeError(f"summaries: {last} charts in {len(groups)} groups after {timeout:.0f} s")


async def run(layout: Layout, engine: str) -> Result:
    result = Result(layout.clusters + layout.idle_clusters, len(layout.officers))
    with tempfile.TemporaryDirectory(prefix="clusterbot-bench-") as tmp:
        print(f"seeding {result.clusters} clusters, starting the bot ...", flush=True)
        began = time.perf_counter()
        target = await start_target("replica", layout, Path(tmp), engine=engine)
        try:
            print(f"  ready in {time.perf_counter() - began:.0f} s", flush=True)
            await target.process.quiet(settle=1.0, limit=15)
            result.add(target, "idle, before any update")
            for step in conversation():
                await measure(target, step)
                print(f"  {step.name}: done", flush=True)
            result.add(target, "the conversation answered and confirmed")
            result.charts = await charts_out(target, layout.groups)
            result.add(target, f"{layout.clusters} summaries posted ({result.charts} charts)")
            for step in pasting(1):
                await measure(target, step)
            result.add(target, "the reports pasted and confirmed again")
        finally:
            await stop_target(target)
    return result


def report(result: Result, engine: str) -> None:
    print()
    print(
        f"{result.clusters} clusters x {DEPARTMENTS} departments in {engine}, "
        f"{result.officers} officers reporting, {machine()}"
    )
    print(f"{'when':<46}  {'VmRSS':>9}  {'VmHWM':>9}  {'chart process VmHWM':>19}")
    for what, rss, hwm, chart in result.points:
        print(f"{what:<46}  {rss:6.0f} MiB  {hwm:6.0f} MiB  {chart:15.0f} MiB")
    met = result.peak < GOAL_MIB
    print(
        f"goal: peak RSS of the replica under {GOAL_MIB:.0f} MB: {'met' if met else 'NOT met'} "
        f"({result.peak:.0f} MiB; the chart process apart)"
    )


async def main_async(argv: list[str] | None = None) -> Result:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 clusters, 10 officers")
    parser.add_argument("--clusters", type=int, help="in the database (default 1000, quick 50)")
    parser.add_argument("--officers", type=int, help="default 200 (quick 10), 10 a cluster")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args(argv)
    clusters = args.clusters or (50 if args.quick else 1000)
    active = max(1, (args.officers or (10 if args.quick else 200)) // DEPARTMENTS)
    layout = Layout(active, DEPARTMENTS, DEPARTMENTS, idle_clusters=max(0, clusters - active))
    engine = "postgresql" if args.postgres else "sqlite"
    result = await run(layout, engine)
    report(result, "PostgreSQL" if args.postgres else "SQLite")
    return result


def main(argv: list[str] | None = None) -> int:
    asyncio.run(main_async(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
