"""The bot keeps the clusters' calendars: it opens and closes rounds and sends reminders.

The database is the source of truth; the job queue only wakes the bot up to look. Each tick asks
"what is due at ``clock()``?" from the schedules, the rounds, the submissions and the delivery
log, and sends it through :mod:`bot.delivery` (claimed under a unique key, so a tick that runs
twice, a restart or a second process never sends anything twice). The first tick after start
catches up: the latest reminder that fell due while the bot was down is sent if the department
still has not submitted and the round is still open; older ones are stale.

Per tick, for every cluster (only on its working days, outside its quiet hours):
1. auto-open the rounds its `[schedule]` says should be open, queueing the group announcement in
   the same transaction;
2. for every open round, act on what :func:`bot.domain.reminders.due_now` returns: close it
   (queueing the final status with the close), or send the current reminder (privately to the
   officers of each department that has not submitted, plus one digest in the group), or send the
   head and deputy the list of late departments;
3. tell the head and deputy, once per round and officer, about a reminder refused for good;
4. send what was queued.
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

from sqlmodel import col, select

from bot.clock import clock_of, system_clock
from bot.delivery import (
    Button,
    DeliveryReport,
    Markup,
    Outgoing,
    Pacer,
    SendFn,
    deliver,
    deliver_queued,
    owner_token,
    recover,
)
from bot.domain.reminders import (
    PlanItem,
    RoundPlan,
    days_left,
    due_now,
    plan_round,
    rounds_to_open,
    sending_allowed,
)
from bot.domain.schedule_file import DEFAULT_SCHEDULE, ScheduleSpec
from bot.publishing.outbox import queue_live, queue_summary_post
from bot.publishing.requests import retry_seconds
from messages.render import render
from storage import clusters as cluster_store
from storage import deliveries, rounds
from storage import schedules as schedule_store
from storage.database import Database
from storage.deliveries import Claim
from storage.models import Cluster, Department, Person, Round
from storage.models_delivery import Delivery
from storage.submissions import first_submissions, submitted_departments

log = logging.getLogger(__name__)

__all__ = ["Scheduler", "TickReport", "get_scheduler", "register", "telegram_sender"]


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
            report = await self._tick(self.clock())
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
        async with self.db.session() as session:
            schedules = await schedule_store.load_schedules(session)
            periods = await deliveries.round_periods(session)
            known = {c.id: c for c in (await session.exec(select(Cluster))).all()}

        def schedule_of(cluster_id: str) -> ScheduleSpec:
            return schedules.get(cluster_id, DEFAULT_SCHEDULE)

        allowed: dict[str, bool] = {}
        for cluster_id in known:
            spec = schedule_of(cluster_id)
            tz = spec.tz(self.tz)
            allowed[cluster_id] = sending_allowed(now, spec, spec.calendar(), tz)

        for cluster_id, cluster in known.items():
            spec = schedule_of(cluster_id)
            if not spec.auto_open or not allowed[cluster_id]:
                continue
            tz = spec.tz(self.tz)
            for auto in rounds_to_open(spec, now, tz, periods.get(cluster_id, set())):
                if await self._auto_open(
                    cluster, auto.period, auto.period_start, auto.deadline, now
                ):
                    report.opened.append(f"{cluster_id}/{auto.period}")

        async with self.db.session() as session:
            open_rounds = await deliveries.all_open_rounds(session)

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
                    if await self._auto_close(cluster, row, now):
                        report.closed.append(f"{row.cluster_id}/{row.period}")
                        closed_ids.append(row.id or 0)
                elif item.audience == "officers":
                    outgoing.extend(await self._reminders(cluster, row, plan, item, now))
                elif item.kind == "escalate":
                    outgoing.extend(await self._escalation(cluster, row, plan, now))
        if outgoing:
            report.delivery.add(await self._deliver(outgoing))

        still_open = [r for r in open_rounds if allowed.get(r.cluster_id, False)]
        notices = await self._failure_notices(known, still_open, now)
        if notices:
            report.delivery.add(await self._deliver(notices))

        report.delivery.add(
            await deliver_queued(self.db, self.send, pacer=self.pacer, owner=self.owner)
        )
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
        """Just before sending a reminder: has the department submitted meanwhile?"""
        if not item.kind.startswith("reminder:") or item.round_id is None:
            return True
        cached = self._pending_cache.get(item.round_id)
        if cached is None or time.monotonic() - cached[0] > 2.0:
            async with self.db.session() as session:
                done = set(await submitted_departments(session, item.round_id))
            cached = (time.monotonic(), done)
            self._pending_cache[item.round_id] = cached
        return item.department_id not in cached[1]

    # ------------------------------------------------------------------ state changes

    async def _auto_open(
        self, cluster: Cluster, period: str, period_start: Any, deadline: Any, now: datetime
    ) -> bool:
        try:
            async with self.db.session() as session:
                row = await rounds.open_round(
                    session, cluster.id, period, period_start, deadline, None, opened_at=now
                )
                assert row.id is not None
                if cluster.group_chat_id is not None:
                    spec = await schedule_store.load_schedule(session, cluster.id)
                    plan = plan_round(period, deadline, spec, spec.tz(self.tz), opened_at=now)
                    text = render(
                        self.language,
                        "reminders.auto_opened",
                        period=period,
                        deadline=deadline,
                        last_day=plan.last_day,
                    )
                    await deliveries.enqueue(
                        session,
                        Claim(
                            key=f"r{row.id}:open:{cluster.group_chat_id}",
                            kind="open",
                            chat_id=cluster.group_chat_id,
                            cluster_id=cluster.id,
                            round_id=row.id,
                        ),
                        text,
                    )
        except rounds.RoundExists:
            return False
        log.info("round %s of %s opened by the schedule", period, cluster.id)
        return True

    async def _auto_close(self, cluster: Cluster, row: Round, now: datetime) -> bool:
        async with self.db.session() as session:
            current = await session.get(Round, row.id)
            if current is None or not await rounds.close_round(session, current, now):
                return False  # closed meanwhile (chat, CLI or another replica)
            if cluster.group_chat_id is not None:
                assert current.id is not None
                # With the close: the live progress shows it, and the compiled report follows.
                group, lang, at = cluster.group_chat_id, self.language, system_clock()
                await queue_live(session, "progress", current.id, group, lang, now=at)
                await queue_summary_post(session, current.id, "closed", group, lang, now=at)
                departments = await cluster_store.list_departments(session, cluster.id)
                firsts = await first_submissions(session, current.id)
                on_time = [d for d in departments if d.id in firsts and not firsts[d.id].late]
                late = [d for d in departments if d.id in firsts and firsts[d.id].late]
                missing = [d for d in departments if d.id not in firsts]
                text = render(
                    self.language,
                    "reminders.auto_closed",
                    period=current.period,
                    deadline=current.deadline,
                    on_time=on_time,
                    late=late,
                    missing=missing,
                    total=len(departments),
                )
                await deliveries.enqueue(
                    session,
                    Claim(
                        key=f"r{current.id}:close:{cluster.group_chat_id}",
                        kind="close",
                        chat_id=cluster.group_chat_id,
                        cluster_id=cluster.id,
                        round_id=current.id,
                    ),
                    text,
                )
            await session.flush()
        log.info("round %s of %s closed by the schedule", row.period, cluster.id)
        return True

    # ------------------------------------------------------------------ messages

    def _report_button(self, lang: str) -> Markup | None:
        if not self.bot_username:
            return None
        url = f"https://t.me/{self.bot_username}?start=report"
        return ((Button(render(lang, "reminders.btn_report"), url=url),),)

    async def _reminders(
        self, cluster: Cluster, row: Round, plan: RoundPlan, item: PlanItem, now: datetime
    ) -> list[Outgoing]:
        assert row.id is not None
        async with self.db.session() as session:
            pending = await deliveries.pending_departments(session, row)
            if not pending:
                return []
            total = len(await cluster_store.list_departments(session, cluster.id))
            officers = await deliveries.officers(session, [d.id for d in pending if d.id])
        by_id = {d.id: d for d in pending}
        left = days_left(plan, now)
        common: dict[str, Any] = {
            "period": row.period,
            "deadline": row.deadline,
            "days_left": left,
            "last_day": plan.last_day,
        }
        found: list[Outgoing] = []
        for officer in officers:
            lang = officer.language or self.language
            found.append(
                Outgoing(
                    key=f"r{row.id}:{item.kind}:{officer.person_id}",
                    chat_id=officer.person_id,
                    text=render(
                        lang,
                        "reminders.private",
                        department=by_id[officer.department_id],
                        cluster=cluster,
                        **common,
                    ),
                    markup=self._report_button(lang),
                    kind=f"reminder:{item.kind}",
                    cluster_id=cluster.id,
                    round_id=row.id,
                    department_id=officer.department_id,
                )
            )
        if cluster.group_chat_id is not None:
            found.append(
                Outgoing(
                    key=f"r{row.id}:{item.kind}:group:{cluster.group_chat_id}",
                    chat_id=cluster.group_chat_id,
                    text=render(
                        self.language,
                        "reminders.digest",
                        pending=pending,
                        done=total - len(pending),
                        total=total,
                        **common,
                    ),
                    kind=f"digest:{item.kind}",
                    cluster_id=cluster.id,
                    round_id=row.id,
                )
            )
        return found

    async def _leads(self, cluster_id: str, now: datetime) -> list[deliveries.Recipient]:
        async with self.db.session() as session:
            year = now.astimezone(self.tz).year
            holders = await cluster_store.current_offices(session, cluster_id, year)
            if not holders:
                return []
            order = [holders[r] for r in ("head", "deputy") if r in holders]
            leads = await deliveries.officers(session, order)
        leads.sort(key=lambda r: order.index(r.department_id))
        return leads

    async def _escalation(
        self, cluster: Cluster, row: Round, plan: RoundPlan, now: datetime
    ) -> list[Outgoing]:
        assert row.id is not None
        async with self.db.session() as session:
            late = await deliveries.pending_departments(session, row)
            total = len(await cluster_store.list_departments(session, cluster.id))
        if not late:
            return []
        found: list[Outgoing] = []
        for lead in await self._leads(cluster.id, now):
            lang = lead.language or self.language
            found.append(
                Outgoing(
                    key=f"r{row.id}:escalate:{lead.person_id}",
                    chat_id=lead.person_id,
                    text=render(
                        lang,
                        "reminders.escalation",
                        period=row.period,
                        deadline=row.deadline,
                        last_day=plan.last_day,
                        late=late,
                        done=total - len(late),
                        total=total,
                    ),
                    kind="escalate",
                    cluster_id=cluster.id,
                    round_id=row.id,
                )
            )
        return found

    async def _failure_notices(
        self, known: dict[str, Cluster], open_rounds: list[Round], now: datetime
    ) -> list[Outgoing]:
        """One notice per round and unreachable officer, to the head and the deputy."""
        ids = [r.id for r in open_rounds if r.id is not None]
        if not ids:
            return []
        by_id = {r.id: r for r in open_rounds}
        async with self.db.session() as session:
            failed = list(
                (
                    await session.exec(
                        select(Delivery).where(
                            col(Delivery.round_id).in_(ids),
                            Delivery.state == "failed_permanent",
                            col(Delivery.kind).startswith("reminder:"),
                        )
                    )
                ).all()
            )
            if not failed:
                return []
            people = {
                p.id: p
                for p in (
                    await session.exec(
                        select(Person).where(col(Person.id).in_({f.chat_id for f in failed}))
                    )
                ).all()
            }
            departments = {
                d.id: d
                for d in (
                    await session.exec(
                        select(Department).where(
                            col(Department.id).in_({f.department_id for f in failed})
                        )
                    )
                ).all()
            }
        found: list[Outgoing] = []
        seen: set[tuple[int | None, int]] = set()
        for row in failed:
            if (row.round_id, row.chat_id) in seen or row.round_id is None:
                continue
            seen.add((row.round_id, row.chat_id))
            round_row = by_id[row.round_id]
            person = people.get(row.chat_id)
            department = departments.get(row.department_id)
            code = _reason_code(row.error or "")
            for lead in await self._leads(round_row.cluster_id, now):
                if lead.person_id == row.chat_id:
                    continue
                lang = lead.language or self.language
                found.append(
                    Outgoing(
                        key=f"r{row.round_id}:failed:{row.chat_id}:{lead.person_id}",
                        chat_id=lead.person_id,
                        text=render(
                            lang,
                            "reminders.delivery_failed",
                            period=round_row.period,
                            name=(person.full_name if person else "") or str(row.chat_id),
                            department=department,
                            code=code,
                        ),
                        kind="failure_notice",
                        cluster_id=round_row.cluster_id,
                        round_id=row.round_id,
                    )
                )
        return found


def _reason_code(error: str) -> str:
    lowered = error.lower()
    if "blocked" in lowered or "forbidden" in lowered or "deactivated" in lowered:
        return "blocked"
    if "chat not found" in lowered or "chat_not_found" in lowered:
        return "chat_not_found"
    return error


# ---------------------------------------------------------------------- the Telegram side


def telegram_sender(bot: Any) -> SendFn:
    """``send`` for :mod:`bot.delivery` on python-telegram-bot: Telegram's errors become
    outcomes; 429s arrive as RETRY_AFTER and bot/delivery.py waits them out itself."""
    import httpx
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
    from telegram.constants import ParseMode
    from telegram.error import (
        BadRequest,
        ChatMigrated,
        Forbidden,
        NetworkError,
        RetryAfter,
        TelegramError,
        TimedOut,
    )

    from bot.delivery import Outcome, SendResult

    def keyboard(markup: Markup | None) -> InlineKeyboardMarkup | None:
        if not markup:
            return None
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(b.text, url=b.url, callback_data=b.callback_data)
                    for b in row
                ]
                for row in markup
            ]
        )

    async def send(chat_id: int, text: str, markup: Markup | None) -> SendResult:
        try:
            message = await bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(markup),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except RetryAfter as exc:
            return SendResult(Outcome.RETRY_AFTER, retry_after=retry_seconds(exc), error=str(exc))
        except Forbidden as exc:
            return SendResult(Outcome.PERMANENT, error=f"blocked: {exc.message}")
        except ChatMigrated as exc:
            return SendResult(Outcome.PERMANENT, error=f"chat migrated: {exc.new_chat_id}")
        except BadRequest as exc:
            return SendResult(Outcome.PERMANENT, error=exc.message)
        except TimedOut as exc:
            # Waiting for a pooled connection, or for the connection itself: the request never
            # left, so it may go again. A read or write timeout may have delivered it.
            cause = exc.__cause__
            if isinstance(cause, httpx.ConnectTimeout) or "Pool timeout" in exc.message:
                return SendResult(Outcome.TRANSIENT, error=f"not sent: {exc.message}")
            return SendResult(Outcome.UNCERTAIN, error=f"timed out: {exc.message}")
        except NetworkError as exc:
            # A refused connection or a 5xx (Telegram answered; PTB's message is then the
            # answer's description, e.g. "Internal Server Error", or "Bad Gateway (502)"): the
            # message was not taken. A transport error after connecting (PTB says
            # "httpx.ReadError: ..."; a connection dropped mid-response) may have delivered it.
            text_ = exc.message
            dropped = text_.startswith(("httpx.", "Unknown error in HTTP implementation"))
            if "ConnectError" in text_ or not dropped:
                return SendResult(Outcome.TRANSIENT, error=text_)
            return SendResult(Outcome.UNCERTAIN, error=text_)
        except TelegramError as exc:
            return SendResult(Outcome.PERMANENT, error=exc.message)
        return SendResult(Outcome.SENT, message_id=message.message_id)

    return send


def get_scheduler(application: Any) -> Scheduler:
    """The application's scheduler, built on first use (after the bot is initialised)."""
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


async def _tick_job(context: Any) -> None:
    scheduler = get_scheduler(context.application)
    try:
        await scheduler.tick(wait=False)
    except Exception:  # noqa: BLE001 - the next tick tries again; the database is the truth
        log.exception("reminder tick failed")


def register(app: Any) -> None:
    """Wake the scheduler every ``bot_data["scheduler_interval"]`` seconds (default 60), and once
    right after start (catch-up)."""
    interval = float(app.bot_data.get("scheduler_interval", 60))
    if app.job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    app.job_queue.run_repeating(
        _tick_job,
        interval=interval,
        first=0.5,
        name="reminders",
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
