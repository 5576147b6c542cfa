"""The rounds' tick: the bot keeps the clusters' calendars, opens and closes rounds and sends
reminders.

Each tick asks "what is due at ``clock()``?" from the schedules, the rounds, the submissions and
the delivery log, and sends it through :mod:`bot.delivery` (claimed under a unique key, so a
tick that runs twice, a restart or a second process never sends anything twice). The first tick
after start catches up: the latest reminder that fell due while the bot was down is sent if the
department still has not submitted and the round is still open; older ones are stale.

Per tick, for every cluster (only on its working days, outside its quiet hours):
1. auto-open the rounds its `[schedule]` says should be open (bot/jobs/round_opening.py);
2. for every open round, act on what :func:`bot.domain.reminders.due_now` returns: close it
   (bot/jobs/round_closing.py), or send the current reminder, or the escalation to the head
   and deputy (bot/jobs/reminders.py);
3. chase the departments that have not signed an open pact, at its plan's steps
   (bot/jobs/pact_reminders.py);
4. tell the head and deputy, once per round and officer, about a reminder refused for good
   (bot/jobs/failure_notices.py);
5. send what was queued.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import metrics
from bot.clock import clock_of
from bot.delivery import (
    DeliveryReport,
    Outgoing,
    Pacer,
    SendFn,
    deliver,
    deliver_queued,
    owner_token,
    recover,
)
from bot.domain.reminders import (
    RoundPlan,
    due_now,
    plan_round,
    rounds_to_open,
    sending_allowed,
)
from bot.domain.schedule_file import DEFAULT_SCHEDULE, ScheduleSpec
from bot.jobs.failure_notices import failure_notices
from bot.jobs.pact_reminders import KIND as PACT_REMINDER
from bot.jobs.pact_reminders import due_pact_reminders, still_unsigned
from bot.jobs.reminders import escalation, reminders
from bot.jobs.round_closing import auto_close
from bot.jobs.round_opening import auto_open
from bot.publishing.sender import telegram_sender
from storage import clusters as cluster_store
from storage import deliveries
from storage import schedules as schedule_store
from storage.database import Database
from storage.models import Round
from storage.submissions import get_latest_submissions

log = logging.getLogger(__name__)

__all__ = ["Scheduler", "TickReport", "get_scheduler"]


@dataclass
class TickReport:
    now: datetime
    skipped: bool = False
    opened: list[str] = field(default_factory=list)  # "cluster/period"
    closed: list[str] = field(default_factory=list)
    due: list[str] = field(default_factory=list)  # "cluster/period/kind"
    delivery: DeliveryReport = field(default_factory=DeliveryReport)


class Scheduler:
    def __init__(
        self,
        db: Database,
        send: SendFn,
        *,
        clock: Callable[[], datetime],
        tz: ZoneInfo,
        language: str = "vi",
        pacer: Pacer | None = None,
        owner: str | None = None,
        concurrency: int = 4,
        bot_username: str | None = None,
        recover_after: timedelta = timedelta(minutes=2),
        on_closed: Callable[[int], Awaitable[object]] | None = None,
    ) -> None:
        self.db = db
        self.send = send
        self.clock = clock
        self.tz = tz
        self.language = language
        self.pacer = pacer or Pacer()
        self.owner = owner or owner_token()
        self.concurrency = concurrency
        self.bot_username = bot_username
        self.recover_after = recover_after
        self.on_closed = on_closed  # e.g. post the round's summary to the group
        self.totals = DeliveryReport()
        self._lock = asyncio.Lock()
        self._started = False
        self._pending_cache: dict[int, tuple[float, set[int]]] = {}

    # ------------------------------------------------------------------ entry points

    async def start(self) -> int:
        """Once per process, before the first tick: settle claims left by a dead process."""
        count = await recover(self.db, self.recover_after)
        self._started = True
        if count:
            log.warning("%d delivery claim(s) left unconfirmed by a stopped process", count)
        return count

    async def tick(self, *, wait: bool = True) -> TickReport:
        """Do what is due at ``clock()``. With ``wait=False`` a tick still running elsewhere in
        this process makes this one return at once (``skipped``)."""
        now = self.clock()
        if not wait and self._lock.locked():
            return TickReport(now=now, skipped=True)
        async with self._lock:
            if not self._started:
                await self.start()
            began = time.perf_counter()
            report = await self._tick(self.clock())
            metrics.tick_seconds(time.perf_counter() - began)
        self.totals.add(report.delivery)
        d = report.delivery
        if report.opened or report.closed or d.sent or d.permanent or d.retry_after:
            log.info(
                "tick %s: opened %s, closed %s, sent %d, already %d, stale %d, refused %d, "
                "transient %d, uncertain %d, 429s %d",
                report.now.isoformat(),
                report.opened,
                report.closed,
                d.sent,
                d.already,
                d.stale,
                len(d.permanent),
                d.transient,
                d.uncertain,
                d.retry_after,
            )
        return report

    # ------------------------------------------------------------------ one tick

    async def _tick(self, now: datetime) -> TickReport:
        report = TickReport(now=now)
        db, tz, language = self.db, self.tz, self.language
        async with db.session() as session:
            schedules = await schedule_store.load_schedules(session)
            periods = await deliveries.list_round_periods(session)
            known = {c.id: c for c in await cluster_store.list_clusters(session)}

        def schedule_of(cluster_id: str) -> ScheduleSpec:
            return schedules.get(cluster_id, DEFAULT_SCHEDULE)

        allowed: dict[str, bool] = {}
        for cluster_id in known:
            spec = schedule_of(cluster_id)
            allowed[cluster_id] = sending_allowed(now, spec, spec.calendar(), spec.tz(tz))

        for cluster_id, cluster in known.items():
            spec = schedule_of(cluster_id)
            if not spec.auto_open or not allowed[cluster_id]:
                continue
            for due in rounds_to_open(spec, now, spec.tz(tz), periods.get(cluster_id, set())):
                if await auto_open(
                    db,
                    cluster,
                    due.period,
                    due.period_start,
                    due.deadline,
                    now,
                    tz=tz,
                    language=language,
                ):
                    report.opened.append(f"{cluster_id}/{due.period}")

        async with db.session() as session:
            open_rounds = await deliveries.list_open_rounds(session)

        outgoing: list[Outgoing] = []
        closed_ids: list[int] = []
        for row in open_rounds:
            if not allowed.get(row.cluster_id, False):
                continue
            spec = schedule_of(row.cluster_id)
            plan = self._plan(row, spec, now)
            for item in due_now(plan, now):
                report.due.append(f"{row.cluster_id}/{row.period}/{item.kind}")
                cluster = known[row.cluster_id]
                if item.kind == "close":
                    if await auto_close(db, cluster, row, now, language=language):
                        report.closed.append(f"{row.cluster_id}/{row.period}")
                        closed_ids.append(row.id or 0)
                elif item.audience == "officers":
                    outgoing.extend(
                        await reminders(
                            db,
                            cluster,
                            row,
                            plan,
                            item,
                            now,
                            language=language,
                            bot_username=self.bot_username,
                        )
                    )
                elif item.kind == "escalate":
                    outgoing.extend(
                        await escalation(db, cluster, row, plan, now, tz=tz, language=language)
                    )
        chasing, chased = await due_pact_reminders(
            db, known, allowed, schedule_of, now, tz=tz, language=language
        )
        outgoing.extend(chasing)
        report.due.extend(chased)
        if outgoing:
            report.delivery.add(await self._deliver(outgoing))

        still_open = [r for r in open_rounds if allowed.get(r.cluster_id, False)]
        notices = await failure_notices(db, still_open, now, tz=tz, language=language)
        if notices:
            report.delivery.add(await self._deliver(notices))

        report.delivery.add(await deliver_queued(db, self.send, pacer=self.pacer, owner=self.owner))
        # After the final status went out: the compiled report of each round just closed.
        if self.on_closed is not None:
            for round_id in closed_ids:
                await self.on_closed(round_id)
        return report

    def _plan(self, row: Round, spec: ScheduleSpec, now: datetime) -> RoundPlan:
        # A round opened "after now" was opened by a clock we do not share (a test's fake
        # clock, a skewed host): then nothing is dropped as planned before the opening.
        opened_at = row.opened_at if row.opened_at <= now else None
        return plan_round(row.period, row.deadline, spec, spec.tz(self.tz), opened_at=opened_at)

    async def _deliver(self, items: list[Outgoing]) -> DeliveryReport:
        return await deliver(
            self.db,
            items,
            self.send,
            pacer=self.pacer,
            owner=self.owner,
            concurrency=self.concurrency,
            should_send=self._should_send,
        )

    async def _should_send(self, item: Outgoing) -> bool:
        """Just before sending a reminder: has the department submitted (or signed the pact)
        meanwhile?"""
        if item.kind.startswith(f"{PACT_REMINDER}:"):
            return await still_unsigned(self.db, item)
        if not item.kind.startswith("reminder:") or item.round_id is None:
            return True
        cached = self._pending_cache.get(item.round_id)
        if cached is None or time.monotonic() - cached[0] > 2.0:
            async with self.db.session() as session:
                done = set(await get_latest_submissions(session, item.round_id))
            cached = (time.monotonic(), done)
            # An entry past its 2 s is never read again: dropped, so the cache holds the rounds
            # of the fan-outs under way, not every round the process ever reminded (issue 9).
            self._pending_cache = {
                k: v for k, v in self._pending_cache.items() if cached[0] - v[0] <= 2.0
            }
            self._pending_cache[item.round_id] = cached
        return item.department_id not in cached[1]


def get_scheduler(application: Any) -> Scheduler:
    """The application's scheduler, built on first use (after the bot is initialised). Its
    ``send``, ``pacer`` and ``owner`` are also what the other jobs send with."""
    data = application.bot_data
    scheduler: Scheduler | None = data.get("scheduler")
    if scheduler is None:
        settings = data["settings"]
        clock = clock_of(data)
        scheduler = Scheduler(
            data["db"],
            telegram_sender(application.bot),
            clock=clock,
            tz=settings.tz,
            language=settings.language,
            pacer=data.get("pacer"),
            concurrency=int(data.get("delivery_concurrency", 4)),
            bot_username=getattr(application.bot, "username", None),
            on_closed=lambda round_id: _wake(data),
        )
        data["scheduler"] = scheduler
        data["pacer"] = scheduler.pacer
    return scheduler


async def _wake(bot_data: Any) -> None:
    """The close queued its effects (progress, summary): the worker sends them now."""
    worker = bot_data.get("effects")
    if worker is not None:
        worker.wake()
