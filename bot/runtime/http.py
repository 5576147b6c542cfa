"""The replica's one HTTP server: the webhook, ``/healthz``, ``/readyz`` and ``/metrics``.

Why our own server (python-telegram-bot's "custom webhook" pattern) and not its
``run_webhook``: that one serves the webhook path and nothing else, and it owns the process's
life (it starts and stops the Application with the server). We need one server for the webhook
and the operator's endpoints, up while the replica stands by (it answers ``/readyz`` as a
standby and refuses updates), with the Application started and stopped under it as the lock
comes and goes. Why aiohttp and not Starlette with uvicorn: aiohttp is already a dependency
(the emulator serves the Bot API with it) and runs inside our event loop in a few lines
(``AppRunner``/``TCPSite``); two more libraries would add nothing this server needs.

- ``POST <path of TELEGRAM_WEBHOOK_URL>``: 403 unless ``X-Telegram-Bot-Api-Secret-Token`` is the
  secret; 503 on a standby (Telegram delivers again later: by then to the active replica, which
  a reverse proxy finds by its ``/readyz``); 200 at once for an update id already seen; else
  the update goes to the Application's queue and 200 goes back before it is processed.
- ``GET /healthz``: 200 while the process runs (for a supervisor's liveness check).
- ``GET /readyz``: JSON ``{"role", "database", "mode"}``; 200 only on the active replica with
  the database reachable, 503 otherwise (a standby is alive, but must not get traffic).
- ``GET /metrics`` when ``CLUSTERBOT_METRICS=1``: ``bot.metrics.exposition()``'s body and
  content type (the Prometheus text format).

Operator-facing bodies are English (they are read by proxies and monitoring, not by users).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot import metrics
from bot.runtime.role import ACTIVE, Role
from bot.runtime.webhook import SECRET_HEADER, RecentIds, secret_matches
from bot.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["HttpServer", "ReplicaView", "webhook_path"]


class ReplicaView(Protocol):
    """What the server needs to know of the replica (bot/runtime/replica.py)."""

    @property
    def role(self) -> Role: ...

    def active_application(self) -> Application | None:
        """The running Application while this replica is active, else None."""

    async def database_ok(self) -> bool: ...


def webhook_path(url: str) -> str:
    """The path the webhook is served at: the public URL's (a reverse proxy keeps it)."""
    return urlsplit(url).path or "/"


class HttpServer:
    def __init__(
        self, settings: Settings, replica: ReplicaView, *, port: int | None = None
    ) -> None:
        self.settings = settings
        self.replica = replica
        self.host = settings.http_host
        self.port = port if port is not None else settings.listen_port
        self.recent = RecentIds()
        self.refused = 0  # posts with a wrong or missing secret
        self._secret = settings.webhook_secret.get_secret_value()
        self._runner: web.AppRunner | None = None

    def routes(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        if self.settings.webhook_mode:
            app.router.add_post(webhook_path(self.settings.webhook_url), self._update)
        if self.settings.metrics:
            app.router.add_get("/metrics", self._metrics)
        return app

    async def start(self) -> None:
        runner = web.AppRunner(self.routes(), access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, self.host, self.port).start()
        self._runner = runner
        log.info("HTTP server on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # ------------------------------------------------------------------ the endpoints

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def _readyz(self, request: web.Request) -> web.Response:
        database = await self.replica.database_ok()
        role = self.replica.role
        body = {
            "role": role,
            "database": "ok" if database else "unreachable",
            "mode": "webhook" if self.settings.webhook_mode else "polling",
        }
        return web.json_response(body, status=200 if database and role == ACTIVE else 503)

    async def _update(self, request: web.Request) -> web.Response:
        if not secret_matches(self._secret, request.headers.get(SECRET_HEADER)):
            self.refused += 1
            return web.Response(status=403, text="forbidden")
        application = self.replica.active_application()
        if application is None:
            return web.Response(status=503, text="standby")
        try:
            data: Any = json.loads(await request.read())
            update_id = int(data["update_id"])
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400, text="not an update")
        if not self.recent.first_time(update_id):
            log.info("update %s delivered again: already handled", update_id)
            return web.Response(status=200)
        try:
            update = Update.de_json(data, application.bot)
        except Exception:  # noqa: BLE001 - a malformed update: answering 400 would loop
            log.exception("update %s could not be read; dropped", update_id)
            return web.Response(status=200)
        await application.update_queue.put(update)
        return web.Response(status=200)

    async def _metrics(self, request: web.Request) -> web.Response:
        body, content_type = metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": content_type})
