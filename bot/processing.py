"""How updates are run: concurrently across chats, in order within one chat.

Each chat has a queue; only its oldest update runs, and only then does it take one of the
``running`` slots shared by all chats. A chat with a backlog (a flood in a group) therefore
holds at most one slot, never the capacity others need, and nothing waits for a chat's turn
while holding a slot. A chat's queue is bounded (``backlog``): beyond it, new updates from that
chat are dropped, so memory stays bounded whatever a stranger sends. Nothing is kept once a
chat's queue is empty.

python-telegram-bot's own semaphore (``max_concurrent_updates``) only bounds how many updates
are held in memory at once; it is taken before our chat queue, so it is large.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot import metrics
from bot.log_context import update_scope

log = logging.getLogger(__name__)


class ChatOrderedProcessor(BaseUpdateProcessor):
    def __init__(self, running: int = 16, backlog: int = 200, held: int = 10_000) -> None:
        super().__init__(held)
        self.running = running
        self.backlog = backlog
        self.dropped = 0
        self._slots: asyncio.Semaphore | None = None
        self._chats: dict[int, deque[asyncio.Future[None]]] = {}
        # Told when an update is done (handled, failed or dropped): the test support listens.
        self.on_done: Callable[[object], None] | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        queue = self._chats.setdefault(key, deque())
        if len(queue) >= self.backlog:
            self.dropped += 1
            if self.dropped % 100 == 1:
                log.warning("chat %s has %d updates waiting: dropping new ones", key, len(queue))
            _discard(coroutine)
            metrics.update_dropped()
            self._done(update)
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(turn)
        if len(queue) == 1:
            turn.set_result(None)
        started = False
        try:
            await turn
            if self._slots is None:
                self._slots = asyncio.Semaphore(self.running)
            async with self._slots:
                started = True
                began = time.perf_counter()
                try:
                    with update_scope(update):  # what is logged meanwhile names the update
                        await coroutine
                finally:
                    metrics.update_handled(update, time.perf_counter() - began)
        finally:
            if not started:
                _discard(coroutine)
            # No await from here on: handing over the turn and forgetting an empty queue are one
            # step, so a newer update can never run beside an older one of the same chat.
            if queue and queue[0] is turn:
                queue.popleft()
                if queue:
                    queue[0].set_result(None)
            else:
                queue.remove(turn)  # cancelled while waiting for its turn
            if not queue and self._chats.get(key) is queue:
                del self._chats[key]
            self._done(update)

    def _done(self, update: object) -> None:
        if self.on_done is not None:
            self.on_done(update)

    @property
    def chats_waiting(self) -> int:
        return len(self._chats)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _discard(coroutine: Awaitable[Any]) -> None:
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()


def chat_key(update: object) -> int:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return 0
