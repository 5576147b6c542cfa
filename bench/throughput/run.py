"""Benchmark: officers answering the report conversation and pasting whole reports, against
the real bot (``clusterbot run`` in its own process) on SQLite and on PostgreSQL and a bare
python-telegram-bot echo bot, in the same run (issue 9, "Speed, measured").

    python bench/throughput/run.py            # 200 officers in 20 clusters, about 3 minutes
    python bench/throughput/run.py --quick    # 10 officers in 2 clusters, under 30 s
    python bench/throughput/run.py --profile  # where the CPU of an answer goes (SQLite only)

Each bot has an emulator of its own in this process (same networking: python-telegram-bot
over HTTP to it); the bots run at once, idle but for the one measured. The officers act in
waves (bench/load/officers.py): all of them send the same step at once and wait for the reply
they expect; the steps are /report, the five answers one at a time, "Xác nhận" (the first
submission), then the whole report pasted and confirmed (revisions), ``--pastes`` times. Each
wave runs on every bot in turn, the order rotating from wave to wave; the figures are the
medians over the waves of a kind (the echo bot: over all its waves, the same texts; a press is
the text "ok" for it).

Measured from outside: CPU of the bot's process from /proc before and after the wave (until it
has been idle for 100 ms), the statements SQLAlchemy sent (counted in the bot's process by the
bench's runner, bench/load/bot_runner.py), reply time from the update queued at the emulator to
the expected reply recorded there. The bot runs without its pacing (no 30 messages/s cap) and
the emulator without Telegram's limits: what is measured is what the bot's CPU allows. A
cluster has one department more than it has officers, so no round finishes and no summary is
drawn (bench/summary measures those). Reply times are those of a burst: the last officer of a
wave waits for every update before his.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench.load, run as a script

from bench.load.hotspots import summarise  # noqa: E402
from bench.load.officers import conversation, pasting  # noqa: E402
from bench.load.targets import (  # noqa: E402
    Figures,
    Measure,
    Target,
    figures,
    machine,
    measure,
    ms,
    print_rows,
    start_target,
    stop_target,
)
from bench.load.world import Layout  # noqa: E402

GOAL_RATIO = 3.0


@dataclass
class Result:
    rows: list[Figures]
    measures: list[Measure]
    hotspots: list[str]


def ratio(row: Figures, echo: Figures | None) -> str:
    return f"{row.cpu_ms / echo.cpu_ms:.1f}x" if echo is not None and echo.cpu_ms else "-"


def report(result: Result, layout: Layout, bench_cpu: float, wall: float) -> None:
    rows = result.rows
    echo = next((r for r in rows if r.kind == "echo"), None)
    table = [
        [
            "bot", "update", "waves", "updates", "updates/s", "CPU ms/update",
            "on the loop", "SQL/update", "p50 ms", "p95 ms", "p99 ms", "CPU / echo",
        ]
    ]  # fmt: skip
    for r in rows:
        table.append(
            [
                r.target, r.kind, str(r.waves), str(r.updates), f"{r.per_second:.1f}",
                f"{r.cpu_ms:.1f}", f"{100 * r.main_share:.0f}%", f"{r.statements:.1f}",
                ms(r.p50), ms(r.p95), ms(r.p99), ratio(r, echo) if r is not echo else "1x",
            ]
        )  # fmt: skip
    print()
    print(
        f"{len(layout.officers)} officers in {layout.clusters} clusters "
        f"({layout.departments} departments each), {machine()}; "
        f"{wall:.0f} s, this process (emulators, officers) {bench_cpu:.0f} s of CPU"
    )
    print_rows(table)
    print("(medians over the waves of a kind; CPU of the bot's process, all threads, per update;")
    print(
        " on the loop: the share on its main thread, the rest is aiosqlite's thread or asyncpg's;"
    )
    print(" reply times pooled over the waves, from the update queued to the reply recorded)")
    for r in rows:
        # A tiny run can leave the echo bot's CPU below the kernel's 10 ms tick: no ratio then.
        if r.kind == "answer" and echo is not None and echo.cpu_ms > 0:
            met = r.cpu_ms <= GOAL_RATIO * echo.cpu_ms
            print(
                f"goal, {r.target}: CPU per answer at most {GOAL_RATIO:.0f}x the echo bot's per "
                f"update: {'met' if met else 'NOT met'} ({ratio(r, echo)})"
            )
    if result.hotspots:
        print()
        print("\n".join(result.hotspots))


async def run(layout: Layout, pastes: int, engines: list[str], profile: bool = False) -> Result:
    steps = conversation() + pasting(pastes)
    answers = [step for step in steps if step.kind == "answer"]
    texts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="clusterbot-bench-") as tmp:
        workdir = Path(tmp)
        profile_file = workdir / "answers.pstats" if profile else None
        targets: list[Target] = []
        measures: list[Measure] = []
        hotspots: list[str] = []
        try:
            names = {"echo": "echo", "sqlite": "SQLite", "postgresql": "PostgreSQL"}
            print(f"starting {', '.join(names[e] for e in engines)} ...", flush=True)
            began = time.perf_counter()
            targets = list(
                await asyncio.gather(
                    *(
                        start_target(names[e], layout, workdir, engine=e, profile=profile_file)
                        for e in engines
                    )
                )
            )
            print(f"  ready in {time.perf_counter() - began:.0f} s", flush=True)
            for n, step in enumerate(steps):
                order = targets[n % len(targets) :] + targets[: n % len(targets)]
                for target in order:
                    profiled = profile_file is not None and not target.echo
                    if profiled and step is answers[0]:
                        target.process.toggle_profile()
                        texts = (await target.process.stats()).get("texts", {})
                    measures.append(await measure(target, step))
                    if profiled and step is answers[-1]:
                        assert profile_file is not None
                        target.process.toggle_profile()
                        after = (await target.process.stats()).get("texts", {})
                        await wait_for_file(profile_file)
                        count = sum(m.updates for m in measures if m.step.kind == "answer")
                        hotspots += summarise(profile_file, count)
                        hotspots += statements_per(texts, after, count)
                print(
                    f"  {step.name}: "
                    + ", ".join(
                        f"{m.target} {m.wave.per_second:.0f}/s" for m in measures[-len(order) :]
                    ),
                    flush=True,
                )
        finally:
            for target in targets:
                await stop_target(target)
    return Result(figures(measures), measures, hotspots)


def statements_per(before: dict[str, int], after: dict[str, int], per: int) -> list[str]:
    counts = Counter({text: n - before.get(text, 0) for text, n in after.items()})
    lines = [f"statements per answer, {sum(counts.values()) / per:.1f} in all, by text:"]
    for text, n in counts.most_common(12):
        if n > 0:
            lines.append(f"  {n / per:5.2f}  {text}")
    return lines


async def wait_for_file(path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(path.exists):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no profile written to {path}")
        await asyncio.sleep(0.05)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 officers in 2 clusters")
    parser.add_argument("--officers", type=int, help="default 200 (quick 10)")
    parser.add_argument("--clusters", type=int, help="default 20 (quick 2)")
    parser.add_argument("--pastes", type=int, default=1, help="paste-and-confirm waves")
    parser.add_argument("--profile", action="store_true", help="cProfile the answers (SQLite)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite and echo only")
    args = parser.parse_args(argv)
    args.officers = args.officers or (10 if args.quick else 200)
    args.clusters = args.clusters or (2 if args.quick else 20)
    return args


async def main_async(argv: list[str] | None = None) -> Result:
    args = parse(argv)
    per_cluster = max(1, args.officers // args.clusters)
    layout = Layout(args.clusters, per_cluster, per_cluster + 1)
    engines = ["sqlite"] if args.profile else ["echo", "sqlite"]
    if not args.profile and not args.no_postgres:
        engines.append("postgresql")
    started, cpu = time.perf_counter(), time.process_time()
    result = await run(layout, args.pastes, engines, profile=args.profile)
    report(result, layout, time.process_time() - cpu, time.perf_counter() - started)
    if args.profile:
        print("(profiled: cProfile's own cost inflates the CPU figures of this run)")
    return result


def main(argv: list[str] | None = None) -> int:
    asyncio.run(main_async(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
