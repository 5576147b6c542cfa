"""Two real ``clusterbot run`` processes on PostgreSQL against the emulator: kill -9 of the
active one in the middle of a reminder fan-out; the standby takes over and finishes it.

Every officer ends with exactly one copy of the reminder, but for a message in the delivery
log's claim window at the kill (claimed, its request not yet at Telegram: bot/delivery.py), which
is lost and never duplicated; the group gets one digest; nobody polls beside the active replica
(no 409 Conflict). The takeover time (kill to the standby's /readyz saying "active", and kill to
the first message the new active sends) is printed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.emulator.harness import Harness
from storage.database import Database
from storage.models_delivery import Delivery
from tests.conftest import GROUP, Clock
from tests.reminders.fan_out import REMINDER, fan_out_world
from tests.runtime.support import free_port, readyz, wait_role

ROOT = Path(__file__).resolve().parents[2]
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
KILL_AT = 8  # the active replica dies as the 8th reminder reaches Telegram
log = logging.getLogger(__name__)


@pytest.fixture
async def setup(postgres_url: str) -> AsyncIterator[tuple[Harness, list[int]]]:
    """The example cluster, three officers per department, its group, round Q4/2023 open; the
    in-process bot is then stopped: only the emulator keeps running here."""
    async with Harness(postgres_url, clock=Clock()) as h:
        officers = await fan_out_world(h)
        await h.stop_bot()
        yield h, officers


async def start_replica(
    h: Harness, now: datetime, port: int, log_file: Path
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "CLUSTERBOT_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=h.emu.token,
        DATABASE_URL=h.database_url,
        TELEGRAM_API_BASE_URL=h.emu.base_url,
        TELEGRAM_API_BASE_FILE_URL=h.emu.base_file_url,
        CLUSTERBOT_HTTP_PORT=str(port),
        CLUSTERBOT_TEST_NOW=now.isoformat(),
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.runtime.replica_process",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log_file.open("ab"),
    )


def reminders(h: Harness, chat: int) -> list[str]:
    return [m.text for m in h.emu.messages(chat) if REMINDER in m.text]


async def delivery_states(url: str) -> dict[int, tuple[str, str]]:
    """The reminders' rows in the delivery log, by chat: (state, owner)."""
    db = Database(url)
    try:
        async with db.session(write=False) as session:
            rows = (await session.exec(select(Delivery))).all()
    finally:
        await db.dispose()
    return {
        row.chat_id: (row.state, row.owner or "") for row in rows if row.kind.startswith("reminder")
    }


def in_claim_window(row: tuple[str, str] | None, pid: int) -> bool:
    """Claimed by the killed process and never confirmed: delivered or lost, never resent."""
    return row is not None and row[0] in ("claimed", "uncertain") and f":{pid}:" in row[1]


async def wait_fan_out_done(h: Harness, officers: list[int], pid: int, timeout: float) -> None:
    """Until every officer has the reminder or a claim the dead replica left, and the group
    its digest."""

    async def poll() -> None:
        while True:
            if any("Chưa nộp" in m.text for m in h.emu.messages(GROUP)):
                states = await delivery_states(h.database_url)
                if all(reminders(h, c) or in_claim_window(states.get(c), pid) for c in officers):
                    return
            await asyncio.sleep(0.2)

    await asyncio.wait_for(poll(), timeout)


async def test_kill_9_of_the_active_replica_mid_fan_out_the_standby_finishes_it(
    setup: tuple[Harness, list[int]],
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    h, officers = setup
    emu = h.emu
    chats = {*officers, GROUP}
    now = datetime(2024, 1, 8, 8, 0, tzinfo=HANOI)  # 7 days before the deadline
    port_a, port_b = free_port(), free_port()
    log_a, log_b = tmp_path / "replica-a.log", tmp_path / "replica-b.log"
    both_up = asyncio.Event()
    arrivals: list[float] = []  # monotonic arrival time of each reminder at "Telegram"
    killed_at: list[float] = []
    processes: dict[str, asyncio.subprocess.Process] = {}
    original = emu._execute

    async def gated(handler: Any, params: Any, method: str, chat_id: int | None) -> Any:
        """Reminders wait until both replicas run; the K-th kills the active one as it
        arrives, before it is answered (Telegram has it, the sender never hears back)."""
        if method.lower() == "sendmessage" and chat_id in chats:
            await both_up.wait()
            arrivals.append(time.monotonic())
            if len(arrivals) == KILL_AT:
                os.kill(processes["a"].pid, signal.SIGKILL)
                killed_at.append(time.monotonic())
        return await original(handler, params, method, chat_id)

    emu._execute = gated  # type: ignore[method-assign]  # the test's hook in the emulator

    def logs() -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text()[-3000:]}" for p in (log_a, log_b) if p.exists()
        )

    try:
        processes["a"] = await start_replica(h, now, port_a, log_a)
        await wait_role(port_a, "active")
        processes["b"] = await start_replica(h, now, port_b, log_b)
        await wait_role(port_b, "standby")
        conflicts_before = [c for c in emu.calls_to("getUpdates") if c.error_code == 409]
        both_up.set()

        code = await asyncio.wait_for(processes["a"].wait(), timeout=120)
        assert code == -signal.SIGKILL, logs()
        await wait_role(port_b, "active")
        active_at = time.monotonic()
        try:
            await wait_fan_out_done(h, officers, processes["a"].pid, timeout=120)
        except TimeoutError:
            raise AssertionError(logs()) from None
        await asyncio.sleep(1.5)  # anything more would be a duplicate: give it time to show
        status, body = await readyz(port_b)
        assert status == 200 and body["role"] == "active"
        processes["b"].terminate()
        assert await asyncio.wait_for(processes["b"].wait(), timeout=60) == 0, logs()
    finally:
        for process in processes.values():
            if process.returncode is None:
                process.kill()
                await process.wait()

    states = await delivery_states(h.database_url)
    copies = Counter({c: len(reminders(h, c)) for c in officers})
    # The claim window: claimed by the dead replica, never at Telegram, never sent again.
    lost = sorted(c for c in officers if copies[c] == 0)
    pid_a = processes["a"].pid
    assert all(in_claim_window(states.get(c), pid_a) for c in lost), (states, logs())
    assert len(lost) <= 4, (lost, logs())  # at most the fan-out's concurrency was in flight
    assert all(copies[c] == 1 for c in officers if c not in lost), (copies, logs())
    digests = [m for m in emu.messages(GROUP) if "Còn 7 ngày" in m.text]
    assert len(digests) == 1, logs()
    assert len(arrivals) >= KILL_AT + 1  # the standby sent the rest
    # Nobody polled beside the active replica: no 409 while both ran, at most the one that
    # ended the dead replica's long poll when the new active's first getUpdates arrived.
    assert conflicts_before == []
    conflicts = [c for c in emu.calls_to("getUpdates") if c.error_code == 409]
    assert len(conflicts) <= 1, logs()

    killed = killed_at[0]
    first_after = next(t for t in arrivals if t > killed)
    report = (
        f"takeover after kill -9: standby active in {active_at - killed:.2f} s, its first "
        f"reminder at Telegram {first_after - killed:.2f} s after the kill; "
        f"{len(officers) - len(lost)}/{len(officers)} officers with one copy, "
        f"{len(lost)} lost in the claim window, 0 duplicates"
    )
    log.warning(report)
    record_property("figure", report)  # printed in the run's summary (tests/runtime/conftest.py)
