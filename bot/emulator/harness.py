"""The real application wired to the emulator: what the demo and the end-to-end tests drive.

Everything is real but the network: python-telegram-bot polls the emulator over HTTP, the
handlers use the real database and templates. `say` and `press` return once the bot has
finished handling the update, with the messages it sent meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.app import build_application
from bot.clock import system_clock
from bot.emulator.server import BotApiEmulator, EmuUser, SentMessage
from bot.processing import ChatOrderedProcessor
from bot.services.admin import init_cluster, make_invite
from bot.settings import Settings, load_settings
from storage import migrate
from storage.database import Database


class Harness:
    def __init__(
        self,
        database_url: str,
        *,
        language: str = "vi",
        clock: Callable[[], datetime] | None = None,
        bot_username: str = "clusterbot_demo_bot",
        rate_limit: bool = True,
        background_jobs: bool = False,
    ) -> None:
        self.database_url = database_url
        self.language = language
        self.clock = clock
        self.rate_limit = rate_limit
        # The repeating jobs (reminders, election closing, nudges) wake on the real clock; a test
        # moving its injected clock would race them, so tests call their `tick()` instead.
        self.background_jobs = background_jobs
        self.emu = BotApiEmulator(bot_username=bot_username)
        self.db: Database | None = None
        self.app: Application | None = None
        self.settings: Settings | None = None

    async def __aenter__(self) -> Harness:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        await self.emu.start()
        self.settings = load_settings(
            TELEGRAM_BOT_TOKEN=self.emu.token,
            DATABASE_URL=self.database_url,
            TELEGRAM_API_BASE_URL=self.emu.base_url,
            TELEGRAM_API_BASE_FILE_URL=self.emu.base_file_url,
            CLUSTERBOT_LANGUAGE=self.language,
        )
        await asyncio.to_thread(migrate.upgrade, self.database_url)
        self.db = Database(self.database_url)
        await self.start_bot()

    async def start_bot(self) -> None:
        assert self.settings is not None and self.db is not None
        self.app = build_application(
            self.settings, self.db, clock=self.clock, rate_limit=self.rate_limit
        )
        if not self.background_jobs and self.app.job_queue is not None:
            for job in self.app.job_queue.jobs():
                job.schedule_removal()
        await self.app.initialize()
        if self.app.post_init:
            await self.app.post_init(self.app)
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(poll_interval=0, timeout=1)

    async def stop_bot(self) -> None:
        if self.app is None:
            return
        assert self.app.updater is not None
        if self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()  # post_shutdown disposes of the engine
        self.app = None

    async def stop(self) -> None:
        await self.stop_bot()
        if self.db is not None:
            await self.db.dispose()
        await self.emu.stop()

    # --- acting as users -------------------------------------------------------------------

    def user(
        self, user_id: int, first_name: str, last_name: str | None = None, language_code: str = "vi"
    ) -> EmuUser:
        return self.emu.user(user_id, first_name, last_name=last_name, language_code=language_code)

    async def _settle(self, update_id: int | None, before: int) -> list[SentMessage]:
        if update_id is None:
            return []
        assert self.app is not None
        processor = self.app.update_processor
        assert isinstance(processor, ChatOrderedProcessor)
        await processor.wait_finished(update_id)
        return self.emu.sent[before:]

    async def say(self, user: EmuUser, chat_id: int, text: str) -> list[SentMessage]:
        before = len(self.emu.sent)
        return await self._settle(await self.emu.send_text(user, chat_id, text), before)

    async def press(self, user: EmuUser, message: SentMessage, label: str) -> list[SentMessage]:
        before = len(self.emu.sent)
        return await self._settle(await self.emu.press_button(user, message, label), before)

    async def press_data(self, user: EmuUser, message: SentMessage, data: str) -> list[SentMessage]:
        """Press with any data at all: how a forged or stale button arrives."""
        before = len(self.emu.sent)
        return await self._settle(
            await self.emu.press(user, message.chat_id, message.message_id, data), before
        )

    async def upload(
        self, user: EmuUser, chat_id: int, name: str, content: bytes, **kw: Any
    ) -> list[SentMessage]:
        before = len(self.emu.sent)
        return await self._settle(
            await self.emu.send_document(user, chat_id, name, content, **kw), before
        )

    async def add_to_group(self, user: EmuUser, chat_id: int, title: str) -> list[SentMessage]:
        before = len(self.emu.sent)
        group = self.emu.group(chat_id, title)
        return await self._settle(await self.emu.add_bot_to_group(user, group), before)

    # --- what an administrator does on the command line ------------------------------------

    async def init_cluster(self, path: Path) -> None:
        assert self.db is not None
        await init_cluster(self.db, path)

    async def invite(
        self,
        cluster_id: str,
        department: str | None,
        role: str = "officer",
        valid_for: timedelta = timedelta(days=7),
    ) -> str:
        assert self.db is not None
        now = (self.clock or system_clock)()
        invite = await make_invite(self.db, cluster_id, department, role, valid_for, now=now)
        return invite.code
