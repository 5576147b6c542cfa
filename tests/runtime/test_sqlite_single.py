"""SQLite: one ``clusterbot run`` per database file. A second one is refused with one line
(Vietnamese by default) and exit status 3; a killed first one leaves no stale lock."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.emulator import BotApiEmulator
from tests.runtime.support import free_port, wait_role

ROOT = Path(__file__).resolve().parents[2]


async def clusterbot_run(
    emu: BotApiEmulator, database: Path, port: int | None, **extra: str
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "CLUSTERBOT_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=emu.token,
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        TELEGRAM_API_BASE_URL=emu.base_url,
        TELEGRAM_API_BASE_FILE_URL=emu.base_file_url,
        **extra,
    )
    if port is not None:
        env["CLUSTERBOT_HTTP_PORT"] = str(port)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=database.parent,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_a_second_process_on_the_same_sqlite_file_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "bot.db"
    port = free_port()
    async with BotApiEmulator() as emu:
        first = await clusterbot_run(emu, database, port)
        try:
            await wait_role(port, "active")
            for language, words in (("vi", "Một tiến trình clusterbot khác"), ("en", "Another")):
                second = await clusterbot_run(emu, database, None, CLUSTERBOT_LANGUAGE=language)
                out, err = await asyncio.wait_for(second.communicate(), 60)
                lines = err.decode().strip().splitlines()
                assert second.returncode == 3, err.decode()
                assert len(lines) == 1 and words in lines[0] and str(database) in lines[0]
                assert out == b""
            # The first one was not disturbed, and it frees the file when killed (-9 too).
            first.send_signal(signal.SIGKILL)
            await first.wait()
            third = await clusterbot_run(emu, database, port)
            try:
                await wait_role(port, "active")
            finally:
                third.terminate()
                _, err = await asyncio.wait_for(third.communicate(), 60)
            assert third.returncode == 0, err.decode()[-3000:]
        finally:
            if first.returncode is None:
                first.kill()
                await first.wait()
