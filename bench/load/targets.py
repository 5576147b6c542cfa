"""The bots a bench compares, each with an emulator of its own in the bench's process, and the
measuring of one wave on one of them from outside (CPU from /proc, statements by signal)."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.emulator import BotApiEmulator
from storage import migrate

from .officers import Officers, Step, Wave, echo_step
from .processes import BotProcess, free_port, start_bot, start_echo
from .world import Layout, PostgresDatabase, populate, seed

WEBHOOK_URL = "https://bench.clusterbot.invalid/telegram/updates"
WEBHOOK_SECRET = "bench-webhook-secret"
_migrating = asyncio.Lock()


@dataclass
class Target:
    name: str
    emu: BotApiEmulator
    officers: Officers
    process: BotProcess
    echo: bool
    database: PostgresDatabase | None = None


@dataclass
class Measure:
    """One wave on one target."""

    target: str
    step: Step
    wave: Wave
    cpu: float  # seconds, the process (every thread)
    main_thread: float
    children: float  # the chart worker
    statements: int

    @property
    def updates(self) -> int:
        return len(self.wave.replied)


async def _ready(target: Target, timeout: float = 90.0) -> None:
    """Until the bot takes updates: polling (a getUpdates call) or its webhook set."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if target.emu.webhook_url or target.emu.calls_to("getUpdates"):
            return
        if target.process.process.returncode is not None:
            break
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{target.name} did not start:\n{target.process.log_tail()}")


async def start_target(
    name: str,
    layout: Layout,
    workdir: Path,
    *,
    engine: str,  # "echo" | "sqlite" | "postgresql"
    webhook: bool = False,
    profile: Path | None = None,
) -> Target:
    emu = BotApiEmulator()
    await emu.start()
    populate(emu, layout)
    officers = Officers(emu, layout.officers)
    if engine == "echo":
        process = await start_echo(name, emu.token, emu.base_url, workdir)
        target = Target(name, emu, officers, process, echo=True)
        await _ready(target)
        return target
    database = PostgresDatabase() if engine == "postgresql" else None
    try:
        return await _start_bot_target(name, layout, workdir, emu, officers, database,
                                       webhook=webhook, profile=profile)  # fmt: skip
    except BaseException:
        await emu.stop()
        if database is not None:
            await database.drop()
        raise


async def _start_bot_target(
    name: str,
    layout: Layout,
    workdir: Path,
    emu: BotApiEmulator,
    officers: Officers,
    database: PostgresDatabase | None,
    *,
    webhook: bool,
    profile: Path | None,
) -> Target:
    if database is None:
        url = f"sqlite+aiosqlite:///{workdir / (name + '.db')}"
    else:
        url = await database.create()
    async with _migrating:  # Alembic's context is global to the process: one at a time
        await asyncio.to_thread(migrate.upgrade, url)
    await seed(url, layout)
    settings = {
        "TELEGRAM_BOT_TOKEN": emu.token,
        "DATABASE_URL": url,
        "TELEGRAM_API_BASE_URL": emu.base_url,
        "TELEGRAM_API_BASE_FILE_URL": emu.base_file_url,
    }
    if webhook:
        port = free_port()
        emu.webhook_forward_to = f"http://127.0.0.1:{port}"  # the reverse proxy
        settings |= {
            "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "CLUSTERBOT_HTTP_PORT": str(port),
        }
    process = await start_bot(
        name, settings, workdir, profile=profile, sql_texts=profile is not None
    )
    target = Target(name, emu, officers, process, echo=False, database=database)
    try:
        await _ready(target)
    except BaseException:
        await process.stop()
        raise
    return target


async def stop_target(target: Target) -> None:
    await target.process.stop()
    await target.emu.stop()
    if target.database is not None:
        await target.database.drop()


async def measure(
    target: Target, step: Step, timeout: float = 180.0, only: list[int] | None = None
) -> Measure:
    process = target.process
    await process.quiet()
    before, statements = process.cpu(), await process.statements()
    wave = await target.officers.wave(echo_step(step) if target.echo else step, timeout, only)
    await process.quiet()
    after = process.cpu()
    return Measure(
        target.name,
        step,
        wave,
        after.process - before.process,
        after.main_thread - before.main_thread,
        after.children - before.children,
        await process.statements() - statements,
    )


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class Figures:
    """The medians over the waves of one kind on one target, and the pooled reply times."""

    target: str
    kind: str
    waves: int
    updates: int
    per_second: float
    cpu_ms: float  # per update, the bot process
    main_share: float  # of that CPU, on the main thread (the event loop)
    children_ms: float
    statements: float  # per update
    p50: float
    p95: float
    p99: float
    latencies: list[float] = field(default_factory=list, repr=False)


def figures(measures: list[Measure]) -> list[Figures]:
    """One row per (target, kind): the echo bot's waves all in one; by target, then kind, in
    the order first seen."""
    groups: dict[tuple[str, str], list[Measure]] = {}
    targets: list[str] = []
    for m in measures:
        if m.target not in targets:
            targets.append(m.target)
    for m in sorted(measures, key=lambda m: targets.index(m.target)):
        groups.setdefault((m.target, m.wave.step.kind), []).append(m)
    rows = []
    for (target, kind), ms in groups.items():
        latencies = [x for m in ms for x in m.wave.latencies]
        rows.append(
            Figures(
                target,
                kind,
                len(ms),
                sum(m.updates for m in ms),
                statistics.median(m.wave.per_second for m in ms),
                statistics.median(1000 * m.cpu / m.updates for m in ms),
                statistics.median(m.main_thread / m.cpu if m.cpu else 1.0 for m in ms),
                statistics.median(1000 * m.children / m.updates for m in ms),
                statistics.median(m.statements / m.updates for m in ms),
                pct(latencies, 0.50),
                pct(latencies, 0.95),
                pct(latencies, 0.99),
                latencies,
            )
        )
    return rows


def print_rows(rows: list[list[str]]) -> None:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for n, r in enumerate(rows):
        print("  ".join(cell.rjust(widths[c]) if c else cell.ljust(widths[c])
                        for c, cell in enumerate(r)).rstrip())  # fmt: skip
        if n == 0:
            print("  ".join("-" * w for w in widths))


def machine() -> str:
    """The cores, and how busy the machine is with other work (its 1-minute load average)."""
    return f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"


def ms(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1000:.0f}"
