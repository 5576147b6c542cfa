"""Carried-out effects leave the table together: one write transaction for those done at once.

The worker sends up to eight requests at once; each used to delete its row in a write
transaction of its own (on SQLite a BEGIN IMMEDIATE, the write lock, a commit), the largest
single cost of an answer after the handler's own. Here a row done while another batch is being
deleted waits for that one commit and goes in the next batch with the others done meanwhile;
a lone row goes at once, as before. Nothing waits for a timer, so a row is deleted as soon as
a write transaction is free, and the window in which a crash resends a request already carried
out (what the outbox promises: at least once, a duplicate rather than a loss) stays that of
one commit.
"""

from __future__ import annotations

import asyncio
import logging

from storage import effects
from storage.database import Database

log = logging.getLogger(__name__)


class Finisher:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._waiting: list[tuple[int, int, asyncio.Future[bool]]] = []
        self._task: asyncio.Task[None] | None = None

    async def finish(self, effect_id: int, version: int) -> bool:
        """Delete the row once done, unless it was bumped meanwhile (`effects.finish`); True
        when it went. Raises what the batch's transaction raised."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((effect_id, version, future))
        if self._task is None:
            self._task = asyncio.create_task(self._drain(), name="effects-finisher")
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    async with self.db.session() as session:
                        gone = await effects.finish_all(
                            session, [(effect_id, version) for effect_id, version, _ in batch]
                        )
                except BaseException as exc:
                    for _, _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
                for effect_id, _, future in batch:
                    if not future.done():
                        future.set_result(effect_id in gone)
        finally:
            self._task = None
            # Cancelled with rows still waiting: their senders are told, not left hanging.
            for _, _, future in self._waiting:
                if not future.done():
                    future.cancel()
            self._waiting = []
