"""The bots under test, each in a process of its own, and what the bench reads of them from
outside: CPU and memory from /proc (Linux), statement counts by signal (bench/load/bot_runner.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stat_cpu(path: Path) -> float:
    """utime + stime of a /proc/.../stat file, in seconds."""
    fields = path.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (the bot's chart worker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def status_kib(pid: int, key: str) -> int:
    """A field of /proc/<pid>/status in KiB (VmRSS: now, VmHWM: the peak), 0 if gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


@dataclass
class Cpu:
    """CPU seconds used so far: the process, its main thread, its children (alive now)."""

    process: float
    main_thread: float
    children: float


@dataclass
class BotProcess:
    name: str
    process: asyncio.subprocess.Process
    stats_file: Path | None
    log_file: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> Cpu:
        base = Path(f"/proc/{self.pid}")
        kids = 0.0
        for child in children(self.pid):
            with contextlib.suppress(OSError, IndexError):
                kids += _stat_cpu(Path(f"/proc/{child}/stat"))
        return Cpu(
            _stat_cpu(base / "stat"), _stat_cpu(base / "task" / str(self.pid) / "stat"), kids
        )

    def rss_mib(self) -> tuple[float, float]:
        """(VmRSS, VmHWM) of the process itself, in MiB."""
        return status_kib(self.pid, "VmRSS") / 1024, status_kib(self.pid, "VmHWM") / 1024

    def children_hwm_mib(self) -> float:
        return sum(status_kib(child, "VmHWM") for child in children(self.pid)) / 1024

    async def statements(self, timeout: float = 5.0) -> int:
        """The statements the bot has sent so far (it writes them down on SIGUSR1)."""
        return int((await self.stats(timeout)).get("statements", 0))

    async def stats(self, timeout: float = 5.0) -> dict[str, Any]:
        """What the bot's runner wrote on SIGUSR1: statements, and by text if asked."""
        if self.stats_file is None:
            return {}
        before = self._seq()
        os.kill(self.pid, signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await asyncio.sleep(0.005)
            seq = self._seq()
            if seq > before:
                return dict(json.loads(self.stats_file.read_text()))
        raise TimeoutError(f"{self.name}: no statistics after SIGUSR1\n{self.log_tail()}")

    def _seq(self) -> int:
        assert self.stats_file is not None
        with contextlib.suppress(OSError, ValueError):
            return int(json.loads(self.stats_file.read_text())["seq"])
        return 0

    def toggle_profile(self) -> None:
        os.kill(self.pid, signal.SIGUSR2)

    async def quiet(self, settle: float = 0.1, limit: float = 5.0) -> None:
        """Until the process has used no CPU for ``settle`` seconds (what it queued after the
        last reply, the effects worker's bookkeeping, is then done), at most ``limit``."""
        deadline = time.monotonic() + limit
        last = self.cpu().process
        still_since = time.monotonic()
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            now = self.cpu().process
            if now != last:
                last, still_since = now, time.monotonic()
            elif time.monotonic() - still_since >= settle:
                return

    def log_tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_file.read_text(errors="replace")[-chars:]
        return ""

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def _clean_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "CLUSTERBOT_", "DATABASE_", "BENCH_"))
    }


async def start_bot(
    name: str,
    settings: dict[str, str],
    workdir: Path,
    *,
    profile: Path | None = None,
    pacing: bool = False,
    sql_texts: bool = False,
) -> BotProcess:
    """``clusterbot run`` with ``settings`` (environment variables) and the bench's counters."""
    stats = workdir / f"{name}.stats.json"
    log_file = workdir / f"{name}.log"
    env = _clean_env() | settings
    env |= {"BENCH_STATS": str(stats), "BENCH_COUNT_SQL": "1", "PYTHONUNBUFFERED": "1"}
    if not pacing:
        env["BENCH_PACING"] = "0"
    if profile is not None:
        env["BENCH_PROFILE"] = str(profile)
    if sql_texts:
        env["BENCH_SQL_TEXTS"] = "1"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.load.bot_runner",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log_file.open("wb"),
    )  # fmt: skip
    return BotProcess(name, process, stats, log_file)


async def start_echo(name: str, token: str, base_url: str, workdir: Path) -> BotProcess:
    log_file = workdir / f"{name}.log"
    env = _clean_env() | {"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": base_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.load.echo_bot",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log_file.open("wb"),
    )  # fmt: skip
    return BotProcess(name, process, None, log_file)
