"""The effects worker: carries out, after the commit, what units of work queued.

- Within a chat, sends go out one at a time in the order they were queued; different chats go
  concurrently (``concurrency`` requests at once), each paced by the process's one
  :class:`~bot.delivery.Pacer` (30/s overall, 1/s per chat, 20/min per group).
- 429: wait what Telegram said (every request waits: Telegram counts them all), then again.
  Timeouts, 5xx and network errors: again after a growing delay (0,5 s doubling up to 60 s),
  up to ``max_attempts``; then the row is marked failed. A timeout may have delivered the
  message: for answers we prefer a rare duplicate to a lost one.
- 403 and other refusals: failed for good at once.
- A group that became a supergroup: the cluster follows it to the new id, and the request goes
  again there.
- Whoever acted is told when the group could not be updated (their change itself is stored).
- It reads the pending rows when woken, except after a handler's commit whose rows it can be
  handed instead (`hand_over`: no read of its own began since before that commit), and at
  least every `max_stale` seconds while hand-overs keep coming (what other processes queue).
  Rows carried out at once are deleted together (bot/publishing/finishing.py).

Nothing here waits on a handler and no handler waits on this: handlers only queue and
:meth:`EffectWorker.wake` it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application

from bot import metrics
from bot.clock import system_clock
from bot.delivery import Pacer
from bot.publishing import live
from bot.publishing.finishing import Finisher
from bot.publishing.menus import set_user_menu
from bot.publishing.outbox import extra_requests, queue_requests
from bot.publishing.requests import Request, backoff, retry_seconds
from bot.publishing.sender import outcome_of
from bot.publishing.shutdown import finish_or_cancel
from bot.reports import offload
from bot.services import compositions
from messages.render import render
from storage import clusters, deliveries, effects
from storage.database import Database
from storage.deliveries import Claim
from storage.models_effects import Effect

log = logging.getLogger(__name__)


class _Retry(Exception):
    def __init__(self, delay: float, error: str, attempt: bool = True) -> None:
        super().__init__(error)
        self.delay = delay
        self.attempt = attempt


class _Failed(Exception):
    pass


class EffectWorker:
    def __init__(
        self,
        app: Application,
        db: Database,
        pacer: Pacer,
        *,
        language: str,
        concurrency: int = 8,
        max_attempts: int = 8,
        clock: Callable[[], datetime] = system_clock,
    ) -> None:
        self.app = app
        self.db = db
        self.pacer = pacer
        self.language = language
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.clock = clock
        self.failed = 0
        self.migrated = 0
        # `settled()` also waits for retries due this soon (a 429's second or two).
        self.settle_horizon = 5.0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._wakes = 0  # how many wake()s so far: a look that began before one is stale
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._running_ids: set[int] = set()
        # Effects carried out since the last read began: its snapshot may still hold them.
        self._finished_now: set[int] = set()
        # The last read's rows, planned again without a read when all that happened since is
        # that an effect was carried out and deleted (a slot came free): nothing else changed
        # in the table. A commit (wake), a retry or failure written, or the timer reads anew.
        self._rows: list[Effect] = []
        self._rows_current = False
        self._quiet: set[int] = set()  # finished and deleted, nothing else written
        self._busy_chats: set[int] = set()
        self._last_sweep: datetime | None = None
        self._composing = 0
        self.compose_concurrency = max(1, offload.workers())
        self.read_limit = 500
        self._finisher = Finisher(db)  # rows done at once are deleted in one transaction
        self._reading = False
        self.reads = 0  # reads begun so far: see `hand_over`
        self._read_at = 0.0  # the event loop's time of the last read
        # Other processes (the command line) commit effects too, and only a read sees them:
        # under a steady stream of hand-overs the last read is never older than this.
        self.max_stale = 1.0
        self.idle_poll = 5.0  # seconds between reads when nothing wakes it (other processes)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="effects-worker")

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking effects; the requests in flight may finish (see `finish_or_cancel`)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        await finish_or_cancel({task, *self._tasks}, grace)
        self._stopping = False
        # A worker that stopped (a replica standing by) reports no queue: the active one does.
        metrics.effects_queued(0)

    def wake(self) -> None:
        """Something was committed: look now."""
        self._wakes += 1
        self._rows_current = False
        self._idle.clear()
        self._wake.set()

    def hand_over(self, rows: list[Effect] | None, reads: int) -> None:
        """A unit of work of this process committed, and ``rows`` are all it changed in the
        effect table (None: not known, see `storage.effects.added`); ``reads`` is what
        `self.reads` was before its commit began. If no read began since (none can have seen
        the rows, nor sent them) and the last read is current, the rows join its rows in id
        order, where the next read would find them, and no read is needed; otherwise this is
        `wake`. The rows were committed before they are handed over, so what is sent is still
        only what was stored, and a crash before they go leaves them to the next read."""
        if rows is None or reads != self.reads or self._reading or not self._rows_current:
            self.wake()
            return
        # The rows carried out since the last read are gone from the table: they leave the
        # list too, so an id SQLite gives again to a new row is never taken for a finished one.
        self._rows = [r for r in self._rows if r.id not in self._finished_now]
        self._finished_now.clear()
        known = {r.id for r in self._rows} | self._running_ids
        if any(r.id is None or r.id in known for r in rows):
            self.wake()  # an id still in use here (its finish committed, not yet noted): read
            return
        self._rows = sorted([*self._rows, *rows], key=lambda r: r.id or 0)
        if len(self._rows) >= self.read_limit:
            self._rows_current = False  # the next read pages them as usual
        self._wakes += 1  # a look under way (planning) must not declare the worker idle
        self._idle.clear()
        self._wake.set()

    def _slot_freed(self) -> None:
        """An effect was carried out and its row deleted: plan again from the last read."""
        self._idle.clear()
        self._wake.set()

    async def settled(self, timeout: float = 30) -> None:
        """Until nothing that is due is left (for the demo and the tests)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    # ------------------------------------------------------------------ the loop

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                wait = await self._dispatch()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the database may be away a moment: look again
                log.exception("effects worker: dispatch failed")
                wait = 1.0
            try:
                await asyncio.wait_for(self._wake.wait(), wait)
            except TimeoutError:
                self._rows_current = False  # due times passed, other processes committed

    async def _dispatch(self) -> float:
        """Start what may go now; returns how long to sleep unless woken."""
        now = self.clock()
        wakes = self._wakes
        # A read: on SQLite it never waits for (or holds up) a writer. Effects carried out
        # while it reads may still be in its snapshot: they are skipped (finished_now).
        rows: list[Effect]
        loop_time = asyncio.get_running_loop().time()
        if self._rows_current and loop_time - self._read_at > self.max_stale:
            self._rows_current = False
        if self._rows_current:
            rows = self._rows
        else:
            self._finished_now.clear()
            self._reading = True
            self.reads += 1
            try:
                self._read_at = loop_time
                async with self.db.session(write=False) as session:
                    self._rows = list(await effects.pending(session, limit=self.read_limit))
            finally:
                self._reading = False
            rows = self._rows
            # Current unless something was committed while it read, or more rows wait beyond
            # the read's limit.
            self._rows_current = wakes == self._wakes and len(rows) < self.read_limit
        # The queue's depth, from the rows planned here anyway (no query per scrape).
        metrics.effects_queued(sum(1 for r in rows if r.id not in self._finished_now))
        expired = any(r.expires_at is not None and r.expires_at < now for r in rows)
        # Expired answers are dropped in a write transaction, so only when the read saw one,
        # and at most every 10 s.
        if expired and (self._last_sweep is None or (now - self._last_sweep).total_seconds() > 10):
            self._last_sweep = now
            async with self.db.session() as session:
                dropped = await effects.drop_expired(session, now)
            if dropped:
                self._rows_current = False
                log.info("dropped %d answers nobody waits for any more", dropped)
        next_due: datetime | None = None
        seen_send: set[int] = set()
        waiting = False
        for row in rows:
            assert row.id is not None
            if row.id in self._finished_now:
                continue  # gone: it must not hold up the next send to its chat either
            if row.expires_at is not None and row.expires_at < now:
                continue  # nobody waits for it any more: the next sweep drops it
            if row.kind == "send":
                if row.chat_id in seen_send:
                    continue  # order within a chat: only its oldest send may go
                seen_send.add(row.chat_id)
            if row.id in self._running_ids:
                continue
            if row.kind in ("send", "live") and row.chat_id in self._busy_chats:
                waiting = True
                continue
            if row.due_at > now:
                next_due = row.due_at if next_due is None else min(next_due, row.due_at)
                continue
            # Compositions wait for the worker process (a second of CPU each): they have their
            # own small limit, so twenty summaries never hold the slots answers need.
            if row.kind == "compose":
                if self._composing >= self.compose_concurrency:
                    waiting = True
                    continue
            elif len(self._tasks) - self._composing >= self.concurrency:
                waiting = True
                continue
            self._start(row)
        soon = next_due is not None and (next_due - now).total_seconds() < self.settle_horizon
        # Idle only if nothing was committed since this look began: its read may have started
        # before that commit and missed what it queued (the next look, woken, will see it).
        if not self._tasks and not waiting and not soon and wakes == self._wakes:
            self._idle.set()
        if next_due is None:
            return self.idle_poll
        return max(0.01, min(self.idle_poll, (next_due - now).total_seconds()))

    def _start(self, row: Effect) -> None:
        assert row.id is not None
        self._running_ids.add(row.id)
        if row.kind in ("send", "live"):
            self._busy_chats.add(row.chat_id)
        composing = row.kind == "compose"
        if composing:
            self._composing += 1
        task = asyncio.create_task(self._carry_out(row), name=f"effect-{row.id}")
        self._tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            if composing:
                self._composing -= 1
            self._tasks.discard(t)
            self._running_ids.discard(row.id or 0)
            self._finished_now.add(row.id or 0)
            self._busy_chats.discard(row.chat_id)
            if row.id in self._quiet:
                self._quiet.discard(row.id)
                self._slot_freed()
            else:
                self.wake()  # it wrote (a retry, a failure, new rows): read again

        task.add_done_callback(done)

    # ------------------------------------------------------------------ one effect

    async def _carry_out(self, row: Effect) -> None:
        assert row.id is not None
        try:
            if row.kind == "send":
                await self._send(row)
            elif row.kind == "live":
                await self._live(row)
            elif row.kind == "compose":
                await self._compose(row)
            elif row.kind == "menu":
                await set_user_menu(self.app, int(json.loads(row.payload)["menu"]))
            else:
                raise _Failed(f"unknown effect kind {row.kind!r}")
            finished = await self._finisher.finish(row.id, row.version)
            # A composition queued new rows; a row bumped meanwhile is still pending.
            if finished and row.kind != "compose":
                self._quiet.add(row.id)
        except asyncio.CancelledError:
            raise
        except _Retry as retry:
            await self._later(row, retry)
        except _Failed as exc:
            await self._fail(row, str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug in one effect must not stop the others
            log.exception("effect %s (%s) failed", row.id, row.kind)
            await self._fail(row, repr(exc))

    async def _request(self, chat_id: int, request: Request) -> int | None:
        """One paced request; Telegram's answers become _Retry / _Failed."""
        token = await self.pacer.gate(chat_id)
        try:
            posted = await request.perform(self.app.bot, chat_id)
            metrics.delivery("effects", "sent")
            return posted
        except RetryAfter as exc:
            metrics.delivery("effects", "rate_limited")
            seconds = retry_seconds(exc)
            self.pacer.pause(seconds)
            raise _Retry(seconds, f"429: {exc.message}", attempt=False) from None
        except ChatMigrated as exc:
            metrics.delivery("effects", "failed")  # goes again, to the supergroup
            await self._follow_migration(chat_id, exc.new_chat_id)
            raise _Retry(0.0, f"migrated to {exc.new_chat_id}", attempt=False) from None
        except Forbidden as exc:
            metrics.delivery("effects", "failed")
            raise _Failed(f"forbidden: {exc.message}") from None
        except BadRequest as exc:
            metrics.delivery("effects", "failed")
            raise _Failed(f"bad request: {exc.message}") from None
        except NetworkError as exc:  # timeouts, 5xx, resets
            # Counted as the delivery log reads it: a timeout may have delivered it (the retry
            # then risks a duplicate, see above); a 5xx surely did not.
            metrics.delivery("effects", outcome_of(exc).outcome)
            raise _Retry(-1.0, f"network: {exc.message}") from None
        finally:
            self.pacer.done(token)

    async def _send(self, row: Effect) -> None:
        await self._request(row.chat_id, Request.from_json(row.payload))

    async def _live(self, row: Effect) -> None:
        data = json.loads(row.payload)
        async with self.db.session(write=False) as session:
            view = await live.view(session, data["live"], int(data["ref"]), data["lang"])
        if view is None:
            return  # the round or the group is gone: nothing to show
        if view.message_id is None:
            if not view.post_if_gone:
                return
            request = Request("text", view.text)
        else:
            method = "edit" if view.post_if_gone else "edit-only"
            request = Request(method, view.text, message_id=view.message_id)
        posted = await self._request(view.chat_id, request)
        if posted is not None and posted != view.message_id:
            async with self.db.session() as session:
                await live.remember(session, data["live"], int(data["ref"]), view.chat_id, posted)

    async def _compose(self, row: Effect) -> None:
        """Read what the answer needs (a short session), build it in the worker process (no
        session open), queue its messages (once, when the composition says so)."""
        data = json.loads(row.payload)
        lang, once = data["lang"], data.get("once")
        async with self.db.session(write=False) as session:
            prepared = await compositions.prepare(session, data["compose"], data["params"], lang)
        if prepared is None:
            return
        target, job = prepared
        chat = target if target is not None else row.chat_id
        outcome = await offload.run(compositions.build, job)
        requests = extra_requests(outcome.texts, outcome.attachments)
        async with self.db.session() as session:
            if once is not None:
                # Once ever: the delivery log's key says it was made (the effect row goes).
                claimed = await deliveries.claim(
                    session, Claim(key=once, kind="summary", chat_id=chat), owner="effects"
                )
                if claimed is None:
                    return
                await deliveries.mark_sent(session, claimed, None)
            await queue_requests(session, chat, requests, now=self.clock())

    # ------------------------------------------------------------------ outcomes

    async def _later(self, row: Effect, retry: _Retry) -> None:
        assert row.id is not None
        attempts = row.attempts + (1 if retry.attempt else 0)
        if retry.attempt and attempts >= self.max_attempts:
            await self._fail(row, str(retry))
            return
        delay = backoff(attempts) if retry.delay < 0 else retry.delay
        log.info("effect %s: %s; again in %.1f s", row.id, retry, delay)
        async with self.db.session() as session:
            await effects.later(
                session,
                row.id,
                self.clock() + timedelta(seconds=delay),
                str(retry),
                attempt=retry.attempt,
            )
            if retry.attempt and attempts == 3 and row.notify_chat_id is not None:
                await self._notify(session, row, "common.group_update_delayed")
                await effects.forget_notify(session, row.id)

    async def _fail(self, row: Effect, error: str) -> None:
        assert row.id is not None
        self.failed += 1
        log.warning(
            "effect %s (%s) to %s failed for good: %s", row.id, row.kind, row.chat_id, error
        )
        async with self.db.session() as session:
            await effects.fail(session, row.id, error)
            if row.notify_chat_id is not None and row.notify_chat_id != row.chat_id:
                await self._notify(session, row, "common.group_update_failed")

    async def _notify(self, session: Any, row: Effect, message: str) -> None:
        assert row.notify_chat_id is not None
        lang = self.language
        try:
            lang = json.loads(row.payload).get("lang", lang)
        except (ValueError, AttributeError):
            pass
        text = render(lang, message)
        await queue_requests(session, row.notify_chat_id, [Request("text", text)], now=self.clock())

    async def _follow_migration(self, old: int, new: int) -> None:
        self.migrated += 1
        log.info("group %s is now supergroup %s: following it", old, new)
        async with self.db.session() as session:
            await clusters.move_group(session, old, new)
            await effects.move_chat(session, old, new)
