"""What runs after a unit of work commits besides its effect rows: delivery-log fan-outs, and
the few messages that must never be written to a table.

- Fan-outs (an announcement to every officer, the election's state-change posts) go through
  the delivery log (bot/delivery.py), which sends each key at most once, ever. The unit of work
  stores the intent (the announcement marked sent, the post queued in the log); an Outcome's
  :class:`~bot.services.screens.FanOut` asks for it to run right after the commit, in the
  background: the chat's next update never waits for it. The jobs' ticks finish any fan-out a
  stopped process left (the intent is in the database).
- :class:`~bot.services.screens.Direct` messages are rendered and sent from memory, paced and
  retried like effects (429 waited out, 5xx, timeouts and resets again with backoff), and
  never logged with their text. They exist for secret ballots' receipts (see
  bot/services/elections.py); a process that stops before they go loses them.

Both are tracked so that :func:`settled` (the demo, the tests) can wait for them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application

from bot import metrics
from bot.delivery import Pacer
from bot.publishing.outbox import screen_requests
from bot.publishing.requests import backoff, retry_seconds
from bot.publishing.sender import outcome_of
from bot.publishing.shutdown import finish_or_cancel
from bot.services.screens import Direct, FanOut
from storage import effects

log = logging.getLogger(__name__)

FanOutStep = Callable[[Application, FanOut], Awaitable[None]]
DIRECT_ATTEMPTS = 8


class AfterCommit:
    def __init__(self) -> None:
        self.steps: dict[str, FanOutStep] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.lost = 0  # direct messages given up on (counted, never logged with their text)

    def register(self, what: str, step: FanOutStep) -> None:
        self.steps[what] = step

    def _track(self, coro: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def fan_out(self, app: Application, fanouts: Sequence[FanOut]) -> None:
        for fanout in fanouts:
            step = self.steps.get(fanout.what)
            if step is None:
                log.error("no fan-out step for %r", fanout.what)
                continue
            self._track(self._run_step(app, step, fanout), f"fanout-{fanout.what}")

    async def _run_step(self, app: Application, step: FanOutStep, fanout: FanOut) -> None:
        try:
            await step(app, fanout)
        except Exception:  # noqa: BLE001 - the intent is stored: the job's next tick finishes it
            log.exception(
                "fan-out %s %s failed; the next tick finishes it", fanout.what, fanout.ref
            )

    def send_direct(
        self,
        app: Application,
        chat_id: int,
        lang: str,
        messages: Sequence[Direct],
        pressed_message_id: int | None,
    ) -> None:
        if messages:
            self._track(
                self._direct(app, chat_id, lang, list(messages), pressed_message_id), "direct"
            )

    async def _direct(
        self,
        app: Application,
        chat_id: int,
        lang: str,
        messages: list[Direct],
        pressed_message_id: int | None,
    ) -> None:
        pacer: Pacer = app.bot_data["pacer"]
        for message in messages:
            target = message.chat_id if message.chat_id is not None else chat_id
            pressed = pressed_message_id if message.chat_id is None else None
            for request in screen_requests(message.lang or lang, message.screen, pressed):
                for attempt in range(DIRECT_ATTEMPTS):
                    token = await pacer.gate(target)
                    try:
                        await request.perform(app.bot, target)
                        metrics.delivery("direct", "sent")
                        break
                    except RetryAfter as exc:
                        metrics.delivery("direct", "rate_limited")
                        delay = retry_seconds(exc)
                        pacer.pause(delay)
                    except (Forbidden, BadRequest) as exc:
                        metrics.delivery("direct", "failed")
                        self.lost += 1
                        log.info("a direct message was refused: %s", type(exc).__name__)
                        break
                    except NetworkError as exc:  # 5xx, timeouts, resets: again, a bit later
                        metrics.delivery("direct", outcome_of(exc).outcome)
                        log.info("a direct message failed (%s), again", type(exc).__name__)
                        delay = backoff(attempt)
                    finally:
                        pacer.done(token)
                    await asyncio.sleep(delay)
                else:
                    self.lost += 1
                    log.warning("a direct message could not be sent after %d tries", attempt + 1)

    async def stop(self, grace: float = 5.0) -> None:
        """At shutdown: what is running may finish (see `finish_or_cancel`); fan-outs cut short
        are finished by the next start's tick, a direct message not yet sent is lost (see the
        module's doc)."""
        await finish_or_cancel(list(self.tasks), grace)

    async def settled(self, timeout: float = 30) -> None:
        """Until nothing started here is still running."""
        async with asyncio.timeout(timeout):
            while self.tasks:
                await asyncio.gather(*list(self.tasks), return_exceptions=True)


def effects_mark(app: Application) -> int:
    """Taken in a unit of work just before its commit, for `wake_effects` after it."""
    worker = app.bot_data.get("effects")
    return worker.reads if worker is not None else 0


def wake_effects(
    app: Application, session: AsyncSession | None = None, mark: int | None = None
) -> None:
    """After a commit that queued effects: the worker looks now instead of at its next poll.
    Given the unit of work's session (committed) and its `effects_mark`, the worker is handed
    the rows it added instead of reading them back, when it can (`EffectWorker.hand_over`)."""
    worker = app.bot_data.get("effects")
    if worker is None:
        return
    if session is None or mark is None:
        worker.wake()
    else:
        worker.hand_over(effects.added(session), mark)


def after_commit(app: Application) -> AfterCommit:
    found = app.bot_data.get("after_commit")
    if found is None:
        found = app.bot_data["after_commit"] = AfterCommit()
    return found


async def settled(app: Application, timeout: float = 30) -> None:
    """Until the fan-outs, the direct messages and the effects they queued are all done."""
    worker = app.bot_data.get("effects")
    for _ in range(10):
        await after_commit(app).settled(timeout)
        if worker is not None:
            await worker.settled(timeout)
        if not after_commit(app).tasks:
            return
