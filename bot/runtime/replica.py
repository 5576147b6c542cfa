"""The life of one ``clusterbot run`` process: stand by, become active, stand by again.

1. The HTTP server starts first (when there is one: webhook mode, or ``CLUSTERBOT_HTTP_PORT``),
   so a supervisor sees the process alive (``/healthz``) and a standby (``/readyz``) at once.
2. The replica waits for the lock (bot/runtime/leadership.py). Until it has it, it has no
   Application at all: it neither polls (two pollers of one token get 409 Conflict from
   Telegram, each time, for as long as both run), nor runs the jobs, nor sends.
3. With the lock, a new Application is built and started: the effects worker (post_init), the
   job queue, and then updates: long polling, or ``setWebhook`` with the secret and the
   allowed updates (only the active replica sets the webhook; a standby never touches it).
4. The Application runs until the lock is lost or the process is told to stop (SIGTERM,
   SIGINT). Then:
   - lost: the pacer is closed at once (``pause`` forever: no request passes its gate any
     more, whoever sends, the effects worker, a reminder fan-out or a direct message), and the
     background work gets ``lost_grace`` (1 s) for the requests already past the gate before
     it is cancelled; the standby that takes over sends the rest (what is due is in the
     database: the delivery log and the effect rows).
   - stop: the same without closing the pacer, ``stop_grace`` (5 s) for what runs; then the
     lock is given back, and a standby takes over at its next poll (<= 2 s).
   A replica that lost the lock goes back to step 2 with a fresh Application: it is a standby
   again, in the same process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from telegram.error import NetworkError
from telegram.ext import Application

from bot.app import build_application
from bot.publishing.after_commit import after_commit
from bot.runtime.leadership import Leadership, leadership_for
from bot.runtime.role import ACTIVE, STANDBY, Role, set_role
from bot.settings import Settings
from storage.database import Database

if TYPE_CHECKING:
    from bot.runtime.http import HttpServer

log = logging.getLogger(__name__)

__all__ = ["ALLOWED_UPDATES", "Replica", "serve"]

# The update kinds the handlers use (python-telegram-bot asks Telegram for these only).
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


class Replica:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        leadership: Leadership | None = None,
        http_port: int | None = None,
        poll_timeout: int = 10,
        lost_grace: float = 1.0,
        stop_grace: float = 5.0,
        configure: Callable[[Application], None] | None = None,
        retry_delay: float = 5.0,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.leadership = leadership or leadership_for(settings.database_url)
        self.poll_timeout = poll_timeout
        self.lost_grace = lost_grace
        self.stop_grace = stop_grace
        self.configure = configure  # a test's or bench's last word on each new Application
        self.retry_delay = retry_delay  # after a start that could not reach Telegram
        self.terms = 0  # how many times this replica became active
        self._role: Role = STANDBY
        self._app: Application | None = None
        port = http_port if http_port is not None else settings.listen_port
        self.http: HttpServer | None = None
        if port is not None:
            # aiohttp only when there is a server to run: in polling mode without
            # CLUSTERBOT_HTTP_PORT it would be ~7 MiB of the replica's memory for nothing.
            from bot.runtime.http import HttpServer

            self.http = HttpServer(settings, self, port=port)
        self._probe: AsyncEngine | None = None

    # ------------------------------------------------------------------ what the server asks

    @property
    def role(self) -> Role:
        return self._role

    def active_application(self) -> Application | None:
        return self._app if self._role == ACTIVE else None

    async def database_ok(self) -> bool:
        """One ``SELECT 1`` on a connection of its own (not the bot's pool, which a standby
        does not have), within 2 s."""
        if self._probe is None:
            url = self.settings.database_url
            options: dict[str, Any] = {} if url.startswith("sqlite") else {"pool_size": 1}
            self._probe = create_async_engine(url, pool_pre_ping=True, **options)
        try:
            async with asyncio.timeout(2.0), self._probe.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - any failure means "not reachable" to a probe
            return False

    # ------------------------------------------------------------------ the loop

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set. Raises :class:`~bot.runtime.leadership.AlreadyRunning`
        when another process has the SQLite file."""
        if self.http is not None:
            await self.http.start()
        try:
            while not stop.is_set():
                waited = time.monotonic()
                if not await _until(self.leadership.acquire(), stop):
                    break
                log.info("active after %.1f s standing by", time.monotonic() - waited)
                ended = await self._term(stop)
                if ended == "stopped":
                    break
                if ended == "lost":
                    log.warning("the lock was lost: standing by again")
                    continue
                # Telegram could not be reached at the start: give another replica its turn.
                await self.leadership.release()
                log.warning("standing by; trying again in %.0f s", self.retry_delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.retry_delay)
        finally:
            with contextlib.suppress(Exception):
                await self.leadership.release()
            if self.http is not None:
                await self.http.stop()
            if self._probe is not None:
                # Bounded: a connection to a database that stopped answering never closes.
                await _bounded(self._probe.dispose(), 3.0, "closing the readiness probe")

    async def _term(self, stop: asyncio.Event) -> str:
        """One spell as the active replica: how it ended, "lost" (the lock), "stopped" (told
        to) or "failed" (the start could not reach Telegram)."""
        app = build_application(
            self.settings, Database(self.settings.database_url), clock=self.clock
        )
        if self.configure is not None:
            self.configure(app)
        set_role(STANDBY, app.bot_data)
        self._app = app
        ended = "failed"
        try:
            try:
                await self._start(app)
            except NetworkError as exc:
                log.error("could not start: Telegram unreachable (%s)", exc)
                return ended
            self.terms += 1
            self._set_role(ACTIVE)
            ended = "lost" if await _until(self.leadership.lost(), stop) else "stopped"
        finally:
            self._set_role(STANDBY)
            await self._stop(app, lost=ended != "stopped")
            self._app = None
        return ended

    def _set_role(self, role: Role) -> None:
        self._role = role
        set_role(role, self._app.bot_data if self._app is not None else None)

    async def _start(self, app: Application) -> None:
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)  # the effects worker starts here
        await app.start()  # the job queue, and processing of app.update_queue
        if self.settings.webhook_mode:
            await app.bot.set_webhook(
                url=self.settings.webhook_url,
                secret_token=self.settings.webhook_secret.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES,
            )
            log.info("webhook set; updates arrive over HTTP")
        else:
            assert app.updater is not None
            await app.updater.start_polling(
                poll_interval=0, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
            )

    async def _stop(self, app: Application, *, lost: bool) -> None:
        grace = self.lost_grace if lost else self.stop_grace
        if lost:
            # From now on no request of this process passes the pacer's gate (see the module
            # docstring): sending stops now, not when the shutdown gets there.
            pacer = app.bot_data.get("pacer")
            if pacer is not None:
                pacer.pause(math.inf)
        updater = app.updater
        if updater is not None and updater.running:
            await _bounded(updater.stop(), 10.0, "stopping the polling")
        worker = app.bot_data.get("effects")
        await asyncio.gather(
            worker.stop(grace) if worker is not None else asyncio.sleep(0),
            after_commit(app).stop(grace),
            _stop_jobs(app, grace),
        )
        if app.running:
            await _bounded(app.stop(), 15.0, "stopping the application")
        if not app.running:
            await _bounded(app.shutdown(), 10.0, "shutting the application down")
            if app.post_shutdown is not None:
                await _bounded(app.post_shutdown(app), 10.0, "closing the database")


async def _stop_jobs(app: Application, grace: float) -> None:
    """No new tick; the ticks running (a reminder fan-out) may finish within ``grace``, then
    they are cancelled (the next active replica's first tick catches up)."""
    queue = app.job_queue
    if queue is None or not queue.scheduler.running:
        return
    queue.scheduler.pause()
    # python-telegram-bot's JobQueue itself reads its executor's futures this way (stop()).
    running = set(getattr(getattr(queue, "_executor", None), "_pending_futures", ()))
    if running:
        await asyncio.wait(running, timeout=grace)
    await queue.stop(wait=False)  # cancels what is left


async def _until(work: Awaitable[Any], stop: asyncio.Event) -> bool:
    """Wait for ``work`` or ``stop``, whichever comes first; True if ``work`` finished. The
    other is cancelled; an exception of ``work`` propagates."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, stopping):
            if not pending.done():
                pending.cancel()
        await asyncio.gather(task, stopping, return_exceptions=True)
    if task.done() and not task.cancelled():
        task.result()  # raises what it raised
        return True
    return False


async def _bounded(step: Awaitable[Any], seconds: float, what: str) -> None:
    try:
        await asyncio.wait_for(step, seconds)
    except TimeoutError:
        log.error("%s took longer than %.0f s; going on", what, seconds)
    except Exception:  # noqa: BLE001 - a failing step must not keep the rest from stopping
        log.exception("%s failed", what)


async def serve(settings: Settings, **options: Any) -> None:
    """``clusterbot run``: a replica until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await Replica(settings, **options).run(stop)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
