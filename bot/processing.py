"""How updates are run: concurrently across chats, in order within one chat.

It also records which updates are finished, so the demo and the tests can wait for the bot
to have handled what a user just sent (instead of sleeping).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class ChatOrderedProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 32) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._finished: set[int] = set()
        self._waiters: dict[int, list[asyncio.Future[None]]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                await coroutine
        finally:
            if not lock.locked() and self._locks.get(key) is lock:
                del self._locks[key]
            if isinstance(update, Update):
                self._finish(update.update_id)

    def _finish(self, update_id: int) -> None:
        self._finished.add(update_id)
        for waiter in self._waiters.pop(update_id, []):
            if not waiter.done():
                waiter.set_result(None)

    async def wait_finished(self, update_id: int, timeout: float = 20) -> None:
        if update_id in self._finished:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(update_id, []).append(waiter)
        await asyncio.wait_for(waiter, timeout)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _chat_key(update: object) -> int:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return 0
