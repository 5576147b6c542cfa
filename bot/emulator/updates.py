"""The bot's side of the conversation: the update queue, getUpdates, the webhook setting.

:class:`UpdateQueue` queues the updates users cause (:meth:`UpdateQueue._enqueue`), serves
them to the bot's long polling as Telegram does (one poller at a time, offsets confirm) and
lets a test wait until the bot fetched an update or until something it expects happened.
``setWebhook`` records the URL (:mod:`bot.emulator.webhook` posts the updates to it); while
one is set getUpdates answers 409, as on Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from bot.emulator.model import ApiError, JSONDict, bad_request
from bot.emulator.params import Params

__all__ = ["UpdateQueue"]


class UpdateQueue:
    """Updates waiting for the bot, and the futures waiting for the bot."""

    def _init_updates(self) -> None:
        self.webhook_url: str = ""
        self._updates: list[JSONDict] = []
        self._next_update_id = 1
        self._highest_returned = 0
        self._fetched = 0
        self._poll_waiters: list[asyncio.Future[str]] = []
        self._fetch_waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._activity_waiters: list[asyncio.Future[None]] = []
        self._closing = False

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by the bot (read-only copy)."""
        return list(self._updates)

    @property
    def last_update_id(self) -> int:
        """The id of the newest update queued for the bot (0 before the first)."""
        return self._next_update_id - 1

    @property
    def fetched_update_id(self) -> int:
        """Highest update id the bot received and confirmed with a later getUpdates offset."""
        return self._fetched

    async def wait_fetched(self, update_id: int | None, timeout: float = 10) -> None:
        """Return once the bot has received update ``update_id`` via getUpdates.

        "Received" means confirmed: the bot asked for a later offset, which PTB does right
        after it put the update into its queue. Raises TimeoutError.
        """
        if update_id is None:
            raise ValueError("update_id is None: the bot never sees that message")
        if self._fetched >= update_id:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (update_id, future)
        self._fetch_waiters.append(entry)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"the bot did not fetch update {update_id} within {timeout}s "
                f"(fetched up to {self._fetched})"
            ) from None
        finally:
            with contextlib.suppress(ValueError):
                self._fetch_waiters.remove(entry)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10) -> None:
        """Wait until ``predicate()`` is true; re-checked on every Bot API call and every 50 ms.

        Example: ``await emu.wait_until(lambda: len(emu.messages(chat)) >= 2)``.
        Raises TimeoutError.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            future: asyncio.Future[None] = loop.create_future()
            self._activity_waiters.append(future)
            try:
                await asyncio.wait_for(future, min(remaining, 0.05))
            except TimeoutError:
                pass
            finally:
                with contextlib.suppress(ValueError):
                    self._activity_waiters.remove(future)

    def _notify_activity(self) -> None:
        waiters, self._activity_waiters = self._activity_waiters, []
        for future in waiters:
            if not future.done():
                future.set_result(None)

    async def _api_get_updates(self, p: Params) -> list[JSONDict]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = p.opt_int("offset")
        limit = min(max(p.opt_int("limit") or 100, 1), 100)
        timeout = max(p.opt_float("timeout") or 0.0, 0.0)
        self._confirm_offset(offset)

        # A new getUpdates request terminates a pending one, as on Telegram.
        for pending in self._poll_waiters:
            if not pending.done():
                pending.set_result("superseded")

        if not self._updates and timeout > 0 and not self._closing:
            waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._poll_waiters.append(waiter)
            try:
                reason = await asyncio.wait_for(waiter, timeout)
            except TimeoutError:
                reason = "timeout"
            finally:
                with contextlib.suppress(ValueError):
                    self._poll_waiters.remove(waiter)
            if reason == "superseded":
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
            if reason == "stopped":
                return []
        batch = self._updates[:limit]
        if batch:
            self._highest_returned = max(self._highest_returned, batch[-1]["update_id"])
        return batch

    def _confirm_offset(self, offset: int | None) -> None:
        if not offset:
            return
        if offset < 0:
            self._updates = self._updates[offset:]
            return
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        confirmed = min(offset - 1, self._highest_returned)
        if confirmed > self._fetched:
            self._fetched = confirmed
            for update_id, future in list(self._fetch_waiters):
                if update_id <= confirmed and not future.done():
                    future.set_result(None)

    def _enqueue(self, body: JSONDict) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, **body})
        for waiter in self._poll_waiters:
            if not waiter.done():
                waiter.set_result("update")
        return update_id

    async def _api_set_webhook(self, p: Params) -> bool:
        url = p.req_str("url")
        if not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        if p.opt_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _api_delete_webhook(self, p: Params) -> bool:
        self.webhook_url = ""
        if p.opt_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _api_get_webhook_info(self, p: Params) -> JSONDict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
