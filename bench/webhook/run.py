"""Benchmark: how fast the bot answers Telegram's POST in webhook mode, before processing the
update, under the officers' load (issue 9, "Speed, measured": goal p99 under 50 ms).

    python bench/webhook/run.py            # 200 officers in 20 clusters, about 1 minute
    python bench/webhook/run.py --quick    # 10 officers in 2 clusters, under 30 s

``clusterbot run`` in webhook mode (TELEGRAM_WEBHOOK_URL, TELEGRAM_WEBHOOK_SECRET,
CLUSTERBOT_HTTP_PORT) in its own process, on SQLite; the emulator posts each update to it as
Telegram does (bot/emulator/webhook.py: one at a time, with the secret header, through its
stand-in for the reverse proxy). The answer time runs from the POST sent to its answer read,
at the emulator. The baseline in the same run: the bot idle, one officer at a time sending
/help. Then the officers' waves of bench/throughput (the report conversation, a pasted report,
their confirmations: every officer at once), while the bot processes the updates already
taken. The standby's takeover time is measured and printed by tests/runtime/test_takeover.py.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench.load, run as a script

from bench.load.officers import Step, conversation, pasting  # noqa: E402
from bench.load.targets import (  # noqa: E402
    Measure,
    Target,
    figures,
    machine,
    measure,
    ms,
    pct,
    print_rows,
    start_target,
    stop_target,
)
from bench.load.world import Layout  # noqa: E402

GOAL_P99 = 0.050
IDLE_PROBES = 30
HELP = Step("/help, alone", "idle", "/help", lambda m: True)


@dataclass
class Result:
    answers: dict[str, list[float]] = field(default_factory=dict)  # phase -> seconds
    refused: int = 0  # answers other than 200
    measures: list[Measure] = field(default_factory=list)


def time_posts(target: Target, result: Result, phase: list[str]) -> None:
    """Wrap the emulator's webhook post: each answer's time, under the phase running."""
    emu: Any = target.emu
    post = emu._post  # noqa: SLF001 - the one place the emulator posts an update

    async def timed(session: Any, body: Any, secret: str | None) -> int:
        began = time.perf_counter()
        status = int(await post(session, body, secret))
        result.answers.setdefault(phase[0], []).append(time.perf_counter() - began)
        if status != 200:
            result.refused += 1
        return status

    emu._post = timed  # noqa: SLF001


async def run(layout: Layout, idle_probes: int = IDLE_PROBES) -> Result:
    result = Result()
    phase = ["start"]
    with tempfile.TemporaryDirectory(prefix="clusterbot-bench-") as tmp:
        print("starting the bot in webhook mode ...", flush=True)
        target = await start_target("webhook", layout, Path(tmp), engine="sqlite", webhook=True)
        time_posts(target, result, phase)
        try:
            phase[0] = "idle: one update at a time"
            for n in range(idle_probes):
                only = [layout.officers[n % len(layout.officers)]]
                result.measures.append(await measure(target, HELP, only=only))
            for step in conversation() + pasting(1):
                phase[0] = f"under load: {step.kind}"
                result.measures.append(await measure(target, step))
                print(f"  {step.name}: {result.measures[-1].wave.per_second:.0f}/s", flush=True)
        finally:
            await stop_target(target)
    return result


def report(result: Result, layout: Layout) -> None:
    print()
    print(
        f"webhook mode, SQLite, {len(layout.officers)} officers in {layout.clusters} clusters, "
        f"{machine()}; answers other than 200: {result.refused}"
    )
    rows = [["POSTs answered", "posts", "p50 ms", "p99 ms", "max ms"]]
    loaded: list[float] = []
    for name, seconds in result.answers.items():
        if name == "start":
            continue
        if name.startswith("under load"):
            loaded += seconds
        rows.append([name, str(len(seconds)), ms(pct(seconds, 0.5)), ms(pct(seconds, 0.99)),
                     ms(max(seconds))])  # fmt: skip
    rows.append(["under load: all", str(len(loaded)), ms(pct(loaded, 0.5)),
                 ms(pct(loaded, 0.99)), ms(max(loaded, default=float("nan")))])  # fmt: skip
    print_rows(rows)
    print("(from the POST sent to its answer read, at the emulator; the bot answers before it")
    print(" processes the update)")
    print()
    table = [["update", "waves", "updates/s", "CPU ms/update", "p50 reply ms", "p99 reply ms"]]
    for r in figures([m for m in result.measures if m.step.kind != "idle"]):
        table.append([r.kind, str(r.waves), f"{r.per_second:.1f}", f"{r.cpu_ms:.1f}",
                      ms(r.p50), ms(r.p99)])  # fmt: skip
    print_rows(table)
    p99 = pct(loaded, 0.99)
    met = p99 < GOAL_P99
    print(
        f"goal: p99 of the webhook's answer under {GOAL_P99 * 1000:.0f} ms under load: "
        f"{'met' if met else 'NOT met'} ({ms(p99)} ms)"
    )


async def main_async(argv: list[str] | None = None) -> Result:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 officers in 2 clusters")
    parser.add_argument("--officers", type=int, help="default 200 (quick 10)")
    parser.add_argument("--clusters", type=int, help="default 20 (quick 2)")
    parser.add_argument(
        "--idle", type=int, help=f"baseline posts, idle (default {IDLE_PROBES}, quick 10)"
    )
    args = parser.parse_args(argv)
    officers = args.officers or (10 if args.quick else 200)
    clusters = args.clusters or (2 if args.quick else 20)
    per_cluster = max(1, officers // clusters)
    layout = Layout(clusters, per_cluster, per_cluster + 1)
    result = await run(layout, args.idle or (10 if args.quick else IDLE_PROBES))
    report(result, layout)
    return result


def main(argv: list[str] | None = None) -> int:
    asyncio.run(main_async(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
