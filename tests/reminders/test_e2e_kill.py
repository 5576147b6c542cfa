"""kill -9 of the bot process in the middle of a fan-out, twice, then a restart: every officer
has exactly one copy of the reminder, and the group one digest.

The bot runs in its own process (tests/reminders/bot_process.py) against the emulator served
by this test process. The emulator kills the bot the moment the K-th reminder arrives, before
answering it: the worst case, where Telegram has the message and the bot never learns it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.emulator.harness import Harness
from storage import deliveries
from storage.database import Database
from tests.conftest import GROUP, Clock
from tests.reminders.conftest import create_schema
from tests.reminders.fan_out import REMINDER, fan_out_world

ROOT = Path(__file__).resolve().parents[2]
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
async def setup(database_url: str) -> AsyncIterator[tuple[Harness, list[int]]]:
    """The example cluster with three officers per department, its group, round Q4/2023 open;
    then the in-process bot is stopped: only the emulator keeps running here."""
    async with Harness(database_url, clock=Clock()) as h:
        await create_schema(database_url)
        officers = await fan_out_world(h)
        await h.stop_bot()
        yield h, officers


async def run_bot(h: Harness, now: datetime, log: Path) -> asyncio.subprocess.Process:
    assert h.settings is not None
    env = dict(os.environ)
    env.update(
        TELEGRAM_BOT_TOKEN=h.emu.token,
        DATABASE_URL=h.database_url,
        TELEGRAM_API_BASE_URL=h.emu.base_url,
        TELEGRAM_API_BASE_FILE_URL=h.emu.base_file_url,
        CLUSTERBOT_TEST_NOW=now.isoformat(),
        CLUSTERBOT_TEST_CONCURRENCY="1",
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.reminders.bot_process",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


def reminders(h: Harness, chat: int) -> list[str]:
    return [m.text for m in h.emu.messages(chat) if REMINDER in m.text]


async def test_kill_9_mid_fan_out_and_restart_sends_each_reminder_once(
    setup: tuple[Harness, list[int]], tmp_path: Path
) -> None:
    h, officers = setup
    log = tmp_path / "bot.log"
    chats = [*officers, GROUP]
    now = datetime(2024, 1, 8, 8, 0, tzinfo=HANOI)  # 7 days before the deadline
    received = 0
    kill_at: list[int] = [6, 14]
    process: asyncio.subprocess.Process | None = None
    original = h.emu._check_limits

    def kill_on_arrival(method: str, chat_id: int | None) -> None:
        nonlocal received
        original(method, chat_id)
        if method.lower() != "sendmessage" or chat_id not in chats:
            return
        received += 1
        if kill_at and received == kill_at[0] and process is not None:
            kill_at.pop(0)
            os.kill(process.pid, signal.SIGKILL)  # Telegram has it; the bot never hears back

    h.emu._check_limits = kill_on_arrival  # type: ignore[method-assign]  # the test's hook in the emulator
    try:
        for expected in (6, 14):
            process = await run_bot(h, now, log)
            code = await asyncio.wait_for(process.wait(), timeout=120)
            assert code == -signal.SIGKILL, log.read_text()[-3000:]
            sent = sum(len(reminders(h, c)) for c in officers) + len(
                [m for m in h.emu.messages(GROUP) if "Còn 7 ngày" in m.text]
            )
            assert sent == expected, log.read_text()[-3000:]  # killed mid fan-out
        process = await run_bot(h, now, log)
        try:
            await h.emu.wait_until(
                lambda: (
                    all(reminders(h, c) for c in officers)
                    and any("Chưa nộp" in m.text for m in h.emu.messages(GROUP))
                ),
                timeout=120,
            )
        except TimeoutError:
            raise AssertionError(log.read_text()[-3000:]) from None
        await asyncio.sleep(1.5)  # anything more would be a duplicate: give it time to show
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)
    finally:
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()

    copies = Counter({c: len(reminders(h, c)) for c in officers})
    assert copies == Counter({c: 1 for c in officers}), (copies, log.read_text()[-3000:])
    digests = [m for m in h.emu.messages(GROUP) if "Còn 7 ngày" in m.text]
    assert len(digests) == 1 and "Chưa nộp: Sở Nội vụ tỉnh Bắc Kạn" in digests[0].text
    db = Database(h.database_url)
    try:
        async with db.session() as session:
            states = await deliveries.count_by_state(session)
    finally:
        await db.dispose()
    # The two messages in flight at the kills stay "claimed": delivered, never resent.
    assert states == {"sent": len(chats) - 2, "claimed": 2}
