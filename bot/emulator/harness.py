"""The real application wired to the emulator: what the demo and the end-to-end tests drive.

Everything is real but the network: python-telegram-bot polls the emulator over HTTP, the
handlers use the real database and templates. `say` and `press` return once the bot has
finished handling the update and carried out what it queued (the effects worker has nothing
due), with the messages it sent meanwhile.

``Harness(..., faults=Faults(...))`` makes Telegram flaky for the running bot: the faults are
switched off while the bot starts (getMe, menus) and on once it polls, after every
``start_bot`` too. ``migrate`` upgrades a group to a supergroup and waits for the bot.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import OrderedDict
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.app import build_application
from bot.clock import system_clock
from bot.emulator import BotApiEmulator, EmuChat, EmuUser, SentMessage
from bot.emulator.faults import Faults
from bot.processing import ChatOrderedProcessor
from bot.publishing.after_commit import settled
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
        rate_limit: bool = False,
        background_jobs: bool = False,
        faults: Faults | None = None,
        request_timeout: float | None = None,
    ) -> None:
        self.database_url = database_url
        self.request_timeout = request_timeout
        self.language = language
        self.clock = clock
        self.rate_limit = rate_limit
        # The repeating jobs (reminders, election closing, nudges) wake on the real clock; a test
        # moving its injected clock would race them, so tests call their `tick()` instead.
        self.background_jobs = background_jobs
        self.emu = BotApiEmulator(bot_username=bot_username)
        self.emu.faults = faults
        self._db: Database | None = None
        self.app: Application | None = None
        self._settings: Settings | None = None
        self.tracker = UpdateTracker()
        self._restores = 0
        # Set before start(): begin from this snapshot (see `snapshot`) rather than empty.
        self.start_from: HarnessSnapshot | None = None

    @property
    def db(self) -> Database:
        """The bot's database (once started)."""
        assert self._db is not None, "the harness has not started"
        return self._db

    @db.setter
    def db(self, value: Database) -> None:
        self._db = value

    @property
    def application(self) -> Application:
        """The running bot's Application (``app`` is None while it is stopped)."""
        assert self.app is not None, "the bot is not running"
        return self.app

    @property
    def settings(self) -> Settings:
        """The bot's settings (once started)."""
        assert self._settings is not None, "the harness has not started"
        return self._settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self._settings = value

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
        if self.start_from is None:
            await asyncio.to_thread(migrate.upgrade, self.database_url)
        else:  # the database and the world of a snapshot, instead of empty ones
            await self._place(self.start_from, Path(_sqlite_path(self.database_url)))
        self.db = Database(self.database_url)
        await self.start_bot()

    async def start_bot(self) -> None:
        processor = ChatOrderedProcessor()
        processor.on_done = self.tracker.done
        # Faults (whatever emu.faults holds now) hit the running bot, not its start-up.
        faults, self.emu.faults = self.emu.faults, None
        self.app = build_application(
            self.settings,
            self.db,
            clock=self.clock,
            rate_limit=self.rate_limit,
            processor=processor,
            request_timeout=self.request_timeout,
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
        self.emu.faults = faults

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
        if self._db is not None:
            await self._db.dispose()
        await self.emu.stop()

    # --- starting from a world made once ----------------------------------------------------

    async def snapshot(self) -> HarnessSnapshot:
        """The database and Telegram's state as they are now, once the bot has settled."""
        await self.settled()
        image = await asyncio.to_thread(_read_image, _sqlite_path(self.database_url))
        return HarnessSnapshot(database=image, telegram=self.emu.snapshot())

    async def restore(self, snapshot: HarnessSnapshot) -> None:
        """Go back to ``snapshot``: the bot restarts on a copy of its database (a new file
        beside the old one, in ``database_url`` from now on) and of Telegram's world."""
        await self.stop_bot()
        await self.db.dispose()
        # A new file, not the old one overwritten: SQLite would delete a WAL file of that name
        # when a connection to the old one is closed, even by the garbage collector.
        self._restores += 1
        old = Path(_sqlite_path(self.database_url))
        new = old.with_name(f"{old.stem}.restored-{self._restores}{old.suffix}")
        await self._place(snapshot, new)
        self.database_url = f"{_SQLITE}{new}"
        self.settings = self.settings.model_copy(update={"database_url": self.database_url})
        self.db = Database(self.database_url)
        await self.start_bot()

    async def _place(self, snapshot: HarnessSnapshot, path: Path) -> None:
        """The snapshot's database written to ``path`` (no connection has it open) and its
        world in the emulator."""
        await asyncio.to_thread(path.write_bytes, snapshot.database)
        self.emu.restore(snapshot.telegram)

    # --- acting as users -------------------------------------------------------------------

    def user(
        self, user_id: int, first_name: str, last_name: str | None = None, language_code: str = "vi"
    ) -> EmuUser:
        return self.emu.user(user_id, first_name, last_name=last_name, language_code=language_code)

    async def _settle(self, update_id: int | None, before: int) -> list[SentMessage]:
        if update_id is None:
            return []
        assert self.app is not None
        await self.tracker.wait(update_id)
        await self.settled()
        return self.emu.sent[before:]

    async def settled(self, timeout: float = 30) -> None:
        """Until the effects worker has nothing due (what was queued has gone out)."""
        assert self.app is not None
        await settled(self.app, timeout)

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

    async def photo(
        self, user: EmuUser, chat_id: int, data: bytes, caption: str | None = None
    ) -> list[SentMessage]:
        before = len(self.emu.sent)
        return await self._settle(
            await self.emu.send_photo(user, chat_id, data, caption=caption), before
        )

    async def add_to_group(self, user: EmuUser, chat_id: int, title: str) -> list[SentMessage]:
        before = len(self.emu.sent)
        group = self.emu.group(chat_id, title)
        return await self._settle(await self.emu.add_bot_to_group(user, group), before)

    async def migrate(
        self, chat_id: int, by: EmuUser | None = None
    ) -> tuple[EmuChat, list[SentMessage]]:
        """Upgrade a group to a supergroup; returns it once the bot has handled the updates."""
        before, last = len(self.emu.sent), self.emu.last_update_id
        supergroup = await self.emu.migrate_to_supergroup(chat_id, by=by)
        for update_id in range(last + 1, self.emu.last_update_id + 1):
            await self._settle(update_id, before)  # one per chat: they run concurrently
        return supergroup, self.emu.sent[before:]

    # --- what an administrator does on the command line ------------------------------------

    async def init_cluster(self, path: Path) -> None:
        await init_cluster(self.db, path)

    async def invite(
        self,
        cluster_id: str,
        department: str | None,
        role: str = "officer",
        valid_for: timedelta = timedelta(days=7),
    ) -> str:
        now = (self.clock or system_clock)()
        invite = await make_invite(self.db, cluster_id, department, role, valid_for, now=now)
        return invite.code


@dataclass(frozen=True)
class HarnessSnapshot:
    database: bytes  # the SQLite file's image
    telegram: bytes  # BotApiEmulator.snapshot()


_SQLITE = "sqlite+aiosqlite:///"


def _sqlite_path(url: str) -> str:
    if not url.startswith(_SQLITE):
        raise ValueError("snapshots are of SQLite databases only")
    return url[len(_SQLITE) :]


def _read_image(path: str) -> bytes:
    # The backup API copies a consistent database, the WAL's committed pages included.
    with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(":memory:")) as image:
        source.backup(image)
        return image.serialize()


class UpdateTracker:
    """Which updates the bot has finished with, so a test can wait for one (instead of
    sleeping). Remembers the newest ``keep`` only: a long soak does not grow it."""

    def __init__(self, keep: int = 10_000) -> None:
        self.keep = keep
        self._done: OrderedDict[int, None] = OrderedDict()
        self._waiters: dict[int, list[asyncio.Future[None]]] = {}

    def done(self, update: object) -> None:
        update_id = getattr(update, "update_id", None)
        if update_id is None:
            return
        self._done[update_id] = None
        while len(self._done) > self.keep:
            self._done.popitem(last=False)
        for waiter in self._waiters.pop(update_id, []):
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self, update_id: int, timeout: float = 20) -> None:
        if update_id in self._done:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(update_id, []).append(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        finally:
            waiters = self._waiters.get(update_id)
            if waiters is not None and waiter in waiters:
                waiters.remove(waiter)
                if not waiters:
                    del self._waiters[update_id]
