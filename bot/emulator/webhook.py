"""Telegram's side of webhook mode: updates posted to the bot's URL, with the secret header.

Once the bot calls ``setWebhook`` (an ``https://`` URL, optionally ``secret_token`` and
``allowed_updates``), the emulator stops answering getUpdates (409, as on Telegram) and POSTs
each queued update, oldest first, one at a time, as JSON, with
``X-Telegram-Bot-Api-Secret-Token: <secret_token>`` when one was set. An answer other than 2xx,
or none (connection refused, reset, ``webhook_timeout`` passed), is retried after
``webhook_retry_delay`` (Telegram retries too, later and later); a 2xx confirms the update, as a
later getUpdates offset does (``wait_fetched`` and ``fetched_update_id`` work alike in both
modes). ``deleteWebhook`` stops the posting.

The emulator cannot present the bot's public HTTPS certificate: like the reverse proxy of a
real deployment, ``webhook_forward_to`` (an origin such as ``"http://127.0.0.1:8080"``) replaces
the scheme, host and port of the URL the bot registered, keeping its path and query.

For tests: ``webhook_answers`` lists ``(update_id, status)`` of every post (status 0: no
answer); ``await redeliver(update_id)`` posts an update already confirmed once more (what
Telegram does when the bot's answer came late) and returns the status;
``await post_to_webhook(body, secret)`` posts anything with any secret (None: no header).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from bot.emulator.model import JSONDict
from bot.emulator.params import Params
from bot.emulator.updates import UpdateQueue

__all__ = ["SECRET_HEADER", "WebhookPoster"]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_LOGGER = logging.getLogger(__name__)

_CONFIRMED_KEPT = 1000  # confirmed updates kept for redeliver()


class WebhookPoster(UpdateQueue):
    def _init_webhook(self) -> None:
        self.webhook_secret: str = ""
        self.webhook_allowed_updates: list[str] = []
        self.webhook_forward_to: str | None = None
        self.webhook_retry_delay = 0.2
        self.webhook_timeout = 10.0
        self.webhook_answers: list[tuple[int, int]] = []
        self._webhook_confirmed: OrderedDict[int, JSONDict] = OrderedDict()
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_wake: asyncio.Event | None = None

    # ------------------------------------------------------------------ the Bot API side

    async def _api_set_webhook(self, p: Params) -> bool:
        result = await super()._api_set_webhook(p)
        self.webhook_secret = p.opt_str("secret_token") or ""
        allowed = p.opt_json("allowed_updates")
        if isinstance(allowed, list):
            self.webhook_allowed_updates = [str(kind) for kind in allowed]
        self._start_posting()
        return result

    async def _api_delete_webhook(self, p: Params) -> bool:
        result = await super()._api_delete_webhook(p)
        await self._stop_webhook()
        return result

    def _enqueue(self, body: JSONDict) -> int:
        update_id = super()._enqueue(body)
        if self._webhook_wake is not None:
            self._webhook_wake.set()
        return update_id

    # ------------------------------------------------------------------ posting

    def webhook_target(self) -> str:
        """Where the posts go: the registered URL, through ``webhook_forward_to`` if set."""
        if self.webhook_forward_to is None:
            return self.webhook_url
        public = urlsplit(self.webhook_url)
        local = urlsplit(self.webhook_forward_to)
        return urlunsplit((local.scheme, local.netloc, public.path, public.query, ""))

    def _start_posting(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_wake = asyncio.Event()
            self._webhook_task = asyncio.create_task(self._post_loop(), name="emulator-webhook")

    async def _stop_webhook(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _post_loop(self) -> None:
        assert self._webhook_wake is not None
        wake = self._webhook_wake
        async with aiohttp.ClientSession() as session:
            while self.webhook_url and not self._closing:
                wake.clear()
                if not self._updates:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), 1.0)
                    continue
                update = self._updates[0]
                if not self._allowed(update):
                    self._confirm(update)
                    continue
                status = await self._post(session, update, self.webhook_secret or None)
                if 200 <= status < 300:
                    self._confirm(update)
                else:
                    await asyncio.sleep(self.webhook_retry_delay)

    def _allowed(self, update: JSONDict) -> bool:
        if not self.webhook_allowed_updates:
            return True
        return any(kind in update for kind in self.webhook_allowed_updates)

    def _confirm(self, update: JSONDict) -> None:
        update_id = int(update["update_id"])
        self._webhook_confirmed[update_id] = update
        while len(self._webhook_confirmed) > _CONFIRMED_KEPT:
            self._webhook_confirmed.popitem(last=False)
        self._highest_returned = max(self._highest_returned, update_id)
        self._confirm_offset(update_id + 1)
        self._notify_activity()

    async def _post(
        self, session: aiohttp.ClientSession, body: JSONDict, secret: str | None
    ) -> int:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        update_id = int(body.get("update_id", 0))
        try:
            async with session.post(
                self.webhook_target(),
                json=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
            ) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            _LOGGER.debug("webhook post of update %s failed: %r", update_id, exc)
            status = 0
        self.webhook_answers.append((update_id, status))
        return status

    async def post_to_webhook(self, body: JSONDict, secret: str | None) -> int:
        """Post ``body`` to the webhook with ``secret`` (None: no header); the status."""
        async with aiohttp.ClientSession() as session:
            return await self._post(session, body, secret)

    async def redeliver(self, update_id: int) -> int:
        """Post a confirmed update again, with the right secret: Telegram's redelivery."""
        body = self._webhook_confirmed[update_id]
        return await self.post_to_webhook(body, self.webhook_secret or None)
