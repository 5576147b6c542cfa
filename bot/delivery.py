"""The one path for outgoing fan-out: claim in the delivery log, pace, send, record.

Callers give a list of :class:`Outgoing` (a unique delivery key, a chat, a text, buttons) and an
async ``send(chat_id, text, markup) -> SendResult`` that talks to Telegram and translates its
errors into an :class:`Outcome` (the app passes one built on ``bot.send_message``; this module does
not import telegram).

Exactly once: each message is claimed by inserting its key into the delivery log (committed)
immediately before its request goes out; a key that is already there is never sent again,
whichever process, restart or tick tries. After the request the row becomes ``sent``,
``failed_permanent`` (403, chat not found: recorded, reported once, never retried), ``retry`` (the
request surely did not deliver: a network error before sending, 429 after several waits) or
``uncertain``.

Crash semantics (kill -9). Telegram has no idempotency key, so a message whose request may have
reached Telegram cannot be sent again without risking a duplicate, and one that did not reach it
cannot be recognised as lost. We order the steps so that the ambiguous window is as small as it
can be and resolve it towards "delivered":

1. wait for the pacer's slot and its gate (nothing is claimed while waiting: Telegram's limits
   are met before the claim, and nothing after the claim waits on them),
2. claim (INSERT under the unique key, commit),
3. HTTP request (one per claim: texts longer than Telegram's 4096 characters are split into
   several items, each with its own key, before anything is claimed),
4. record the outcome (commit).

A kill before 2 loses nothing: the message is not in the log, and the scheduler, which computes
what is due from rounds, submissions and the log, sends it after the restart. A kill between 3
and 4 (Telegram got it, we did not record it) leaves the row ``claimed``: it is treated as
delivered, so no duplicate. The residual risk is a kill between the commit of 2 and the request
of 3 reaching Telegram (a few milliseconds; up to ``concurrency`` messages at once): that
message is lost, and the row says ``uncertain`` after recovery (:func:`recover`), so an operator
can see it. We chose that over re-sending ``claimed`` rows, which would duplicate every message
whose response was lost - a wider window (response, parsing and a commit).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot import metrics
from messages.splitting import split_html
from storage import deliveries
from storage.database import Database
from storage.deliveries import Claim
from storage.types import utcnow

log = logging.getLogger(__name__)

__all__ = [
    "Button",
    "DeliveryReport",
    "Markup",
    "Outcome",
    "Outgoing",
    "Pacer",
    "SendResult",
    "deliver",
    "deliver_queued",
    "owner_token",
    "recover",
]


class Outcome(StrEnum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # 429: wait `retry_after` seconds, then the same request again
    PERMANENT = "permanent"  # 403 blocked, chat not found, bad request: never again
    TRANSIENT = "transient"  # surely not delivered (connection refused, 5xx): may be retried
    UNCERTAIN = "uncertain"  # may have been delivered (timeout): never sent again


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    message_id: int | None = None
    retry_after: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class Button:
    """An inline button: a link (``url``) or a callback (``callback_data``, <= 64 bytes)."""

    text: str
    url: str | None = None
    callback_data: str | None = None


Markup = tuple[tuple[Button, ...], ...]
SendFn = Callable[[int, str, Markup | None], Awaitable[SendResult]]


def markup_to_data(markup: Markup | None) -> list[list[dict[str, str]]] | None:
    if markup is None:
        return None
    return [[{k: v for k, v in vars(b).items() if v is not None} for b in row] for row in markup]


def markup_from_data(data: Any) -> Markup | None:
    if data is None:
        return None
    return tuple(tuple(Button(**b) for b in row) for row in data)


@dataclass(frozen=True)
class Outgoing:
    key: str
    chat_id: int
    text: str
    markup: Markup | None = None
    kind: str = "message"
    cluster_id: str | None = None
    round_id: int | None = None
    department_id: int | None = None

    def claim(self) -> Claim:
        return Claim(
            key=self.key,
            kind=self.kind,
            chat_id=self.chat_id,
            cluster_id=self.cluster_id,
            round_id=self.round_id,
            department_id=self.department_id,
        )


@dataclass
class DeliveryReport:
    sent: int = 0
    already: int = 0  # the key was in the log: someone sent (or is sending) it
    stale: int = 0  # `should_send` said no just before sending
    transient: int = 0
    uncertain: int = 0
    retry_after: int = 0  # 429s seen and waited out here
    permanent: list[Outgoing] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.already += other.already
        self.stale += other.stale
        self.transient += other.transient
        self.uncertain += other.uncertain
        self.retry_after += other.retry_after
        self.permanent.extend(other.permanent)


def owner_token() -> str:
    """Names this process in the claims it makes."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class Pacer:
    """Telegram's flood limits: 30 messages a second overall, one a second per chat, 20 a
    minute per group (negative chat ids); after a 429 nothing goes out until its
    ``retry_after`` has passed.

    Two stages. :meth:`acquire` books evenly spaced slots in order (the smooth schedule), before
    anything is claimed. :meth:`gate`, right before each request, is the hard guarantee: it
    counts requests in flight and those answered within the window, so arrivals at Telegram
    never exceed the limits whatever the jitter between a slot and its request (per chat and
    per group with a small margin: 1,05 s and 60,5 s). One Pacer per process, shared by every
    fan-out. ``clock``/``sleep`` are injectable for tests.
    """

    def __init__(
        self,
        rate: float = 30.0,
        per_chat_interval: float = 1.05,
        group_max: int = 20,
        group_period: float = 60.5,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self.per_chat_interval = per_chat_interval
        self.group_max = group_max
        self.group_period = group_period
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._paused_until = 0.0
        self._chat_next: dict[int, float] = {}
        self._group_slots: dict[int, deque[float]] = {}
        self.window_max = max(1, int(rate))
        self.poll = 0.005
        self._tokens = 0
        self._in_flight: dict[int, int] = {}  # token -> chat
        self._chats_in_flight: dict[int, int] = {}  # chat -> requests in flight
        self._answered: deque[float] = deque()
        self._chat_answered: dict[int, float] = {}
        self._group_answered: dict[int, deque[float]] = {}
        self.pauses = 0

    def reserve(self, chat_id: int) -> float:
        """The (monotonic) time at which a message to ``chat_id`` may go; books that slot."""
        now = self._clock()
        at = max(now, self._next, self._paused_until, self._chat_next.get(chat_id, 0.0))
        if chat_id < 0 and self.group_max > 0:
            slots = self._group_slots.setdefault(chat_id, deque())
            while slots and slots[0] <= at - self.group_period:
                slots.popleft()
            if len(slots) >= self.group_max:
                at = max(at, slots[0] + self.group_period)
                slots.popleft()
            slots.append(at)
        self._next = at + self.interval
        self._chat_next[chat_id] = at + self.per_chat_interval
        if len(self._chat_next) > 50_000:
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        return at

    async def acquire(self, chat_id: int) -> None:
        while True:
            at = self.reserve(chat_id)
            delay = at - self._clock()
            if delay > 0:
                await self._sleep(delay)
            if self._clock() >= self._paused_until:
                return

    async def gate(self, chat_id: int) -> int:
        """Right before a request: the limits, checked on the requests themselves.

        Slots are booked ahead; between a slot and its request lie a database commit or two and
        the event loop, whose jitter could bunch requests up. A request reaches Telegram between
        the moment it passes this gate and the moment its answer is back (:meth:`done`), so the
        gate counts every request still in flight plus those answered within the window: then
        no second (minute, for a group) can see more than ``rate`` (``group_max``) arrivals,
        nor a chat two within ``per_chat_interval``, however the requests are delayed. Returns
        a token for :meth:`done`.
        """
        while True:
            now = self._clock()
            answered = self._answered
            while answered and answered[0] <= now - 1.0:
                answered.popleft()
            wait = self._paused_until - now
            if len(self._in_flight) + len(answered) >= self.window_max:
                wait = max(wait, answered[0] + 1.0 - now if answered else self.poll)
            if chat_id in self._chats_in_flight:
                wait = max(wait, self.poll)
            last = self._chat_answered.get(chat_id)
            if last is not None:
                wait = max(wait, last + self.per_chat_interval - now)
            group: deque[float] | None = None
            if chat_id < 0 and self.group_max > 0:
                group = self._group_answered.setdefault(chat_id, deque())
                while group and group[0] <= now - self.group_period:
                    group.popleft()
                if len(group) + self._chats_in_flight.get(chat_id, 0) >= self.group_max:
                    wait = max(wait, group[0] + self.group_period - now if group else self.poll)
            if wait <= 0:
                self._tokens += 1
                self._in_flight[self._tokens] = chat_id
                self._chats_in_flight[chat_id] = self._chats_in_flight.get(chat_id, 0) + 1
                return self._tokens
            await self._sleep(wait)

    def done(self, token: int) -> None:
        """The request that passed :meth:`gate` with ``token`` has its answer."""
        chat_id = self._in_flight.pop(token, None)
        if chat_id is None:
            return
        now = self._clock()
        left = self._chats_in_flight.get(chat_id, 1) - 1
        if left:
            self._chats_in_flight[chat_id] = left
        else:
            self._chats_in_flight.pop(chat_id, None)
        self._answered.append(now)
        self._chat_answered[chat_id] = now
        if chat_id < 0 and self.group_max > 0:
            self._group_answered.setdefault(chat_id, deque()).append(now)
        if len(self._chat_answered) > 50_000:
            cutoff = now - self.per_chat_interval
            self._chat_answered = {c: t for c, t in self._chat_answered.items() if t > cutoff}
            self._group_answered = {
                g: q for g, q in self._group_answered.items() if q and q[-1] > now - 61
            }

    def pause(self, seconds: float) -> None:
        """A 429 said wait: hold every slot until then."""
        self.pauses += 1
        until = self._clock() + max(seconds, 0.0)
        self._paused_until = max(self._paused_until, until)
        self._next = max(self._next, self._paused_until)


def _spread(items: Sequence[Outgoing]) -> list[Outgoing]:
    """Keep the order, but move a chat's second message after everyone's first (and so on), so
    that the one-a-second rule per chat never holds up the line."""
    seen: dict[int, int] = {}
    ranked: list[tuple[int, int, Outgoing]] = []
    for index, item in enumerate(items):
        n = seen.get(item.chat_id, 0)
        seen[item.chat_id] = n + 1
        ranked.append((n, index, item))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in ranked]


MAX_429_WAITS = 5


def split_long(items: Iterable[Outgoing]) -> list[Outgoing]:
    """A text longer than Telegram's 4096 characters goes as several messages, each its own
    item (one request per claim); the first keeps the key, the buttons go on the last."""
    out: list[Outgoing] = []
    for item in items:
        chunks = split_html(item.text)
        if len(chunks) == 1:
            out.append(item)
            continue
        for n, chunk in enumerate(chunks):
            last = n == len(chunks) - 1
            out.append(
                replace(
                    item,
                    key=item.key if n == 0 else f"{item.key}#{n + 1}",
                    text=chunk,
                    markup=item.markup if last else None,
                )
            )
    return out


async def _send_claimed(
    db: Database,
    row_id: int,
    item: Outgoing,
    send: SendFn,
    pacer: Pacer,
    report: DeliveryReport,
    token: int | None = None,
) -> None:
    """Send a row this process holds, and record what happened. ``token``: the pacer's gate,
    passed before the claim (the first request uses it)."""
    for attempt in range(MAX_429_WAITS + 1):
        if attempt or token is None:
            token = await pacer.gate(item.chat_id)
        try:
            result = await send(item.chat_id, item.text, item.markup)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - unknown failure: it may have gone out
            log.exception("delivery %s: send failed unexpectedly", item.key)
            result = SendResult(Outcome.UNCERTAIN, error=repr(exc))
        finally:
            pacer.done(token)
        metrics.delivery("fanout", result.outcome)  # each request once, 429s included
        if result.outcome is Outcome.RETRY_AFTER:
            report.retry_after += 1
            log.warning("delivery %s: 429, waiting %.1f s", item.key, result.retry_after)
            pacer.pause(result.retry_after)
            await pacer.acquire(item.chat_id)
            continue
        break
    async with db.session() as session:
        if result.outcome is Outcome.SENT:
            await deliveries.mark_sent(session, row_id, result.message_id)
            report.sent += 1
        elif result.outcome is Outcome.PERMANENT:
            await deliveries.mark_failed(session, row_id, result.error, permanent=True)
            report.permanent.append(item)
            log.info("delivery %s: refused for good: %s", item.key, result.error)
        elif result.outcome is Outcome.UNCERTAIN:
            await deliveries.mark_uncertain(session, row_id, result.error)
            report.uncertain += 1
        else:  # TRANSIENT, or still 429 after the waits: surely not delivered
            await deliveries.mark_failed(
                session, row_id, result.error or "rate limited", permanent=False
            )
            report.transient += 1


async def deliver(
    db: Database,
    items: Iterable[Outgoing],
    send: SendFn,
    *,
    pacer: Pacer,
    owner: str,
    concurrency: int = 4,
    should_send: Callable[[Outgoing], Awaitable[bool]] | None = None,
    max_attempts: int = 3,
) -> DeliveryReport:
    """Send each item at most once, ever. Items whose key is in the log are skipped.

    ``should_send`` is asked just before claiming (e.g. "has the department submitted since?");
    ``concurrency`` requests may be in flight at once (the pacer keeps the rate).
    """
    report = DeliveryReport()
    todo = split_long(items)
    if not todo:
        return report
    async with db.session() as session:
        states = await deliveries.states_of(session, [i.key for i in todo])
    fresh: list[Outgoing] = []
    for item in todo:
        state = states.get(item.key)
        if state is None or state == "retry":
            fresh.append(item)
        else:
            report.already += 1
    pending = deque(_spread(fresh))

    async def worker() -> None:
        while pending:
            item = pending.popleft()
            await pacer.acquire(item.chat_id)
            if should_send is not None and not await should_send(item):
                report.stale += 1
                continue
            token = await pacer.gate(item.chat_id)
            try:
                async with db.session() as session:
                    row_id = await deliveries.claim(
                        session, item.claim(), owner, max_attempts=max_attempts
                    )
            except BaseException:
                pacer.done(token)
                raise
            if row_id is None:
                pacer.done(token)
                report.already += 1
                continue
            await _send_claimed(db, row_id, item, send, pacer, report, token)

    workers = [asyncio.create_task(worker()) for _ in range(max(1, min(concurrency, len(pending))))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
    return report


async def deliver_queued(
    db: Database,
    send: SendFn,
    *,
    pacer: Pacer,
    owner: str,
    limit: int = 1000,
) -> DeliveryReport:
    """Send the rows queued with a state change (round opened, round closed)."""
    report = DeliveryReport()
    async with db.session() as session:
        rows = await deliveries.queued(session, limit)
    for row in rows:
        assert row.id is not None
        await pacer.acquire(row.chat_id)
        token = await pacer.gate(row.chat_id)
        try:
            async with db.session() as session:
                taken = await deliveries.claim_queued(session, row.id, owner)
        except BaseException:
            pacer.done(token)
            raise
        if not taken:
            pacer.done(token)
            report.already += 1
            continue
        item = Outgoing(
            key=row.key,
            chat_id=row.chat_id,
            text=row.text or "",
            markup=markup_from_data(json.loads(row.markup)) if row.markup else None,
            kind=row.kind,
            cluster_id=row.cluster_id,
            round_id=row.round_id,
            department_id=row.department_id,
        )
        await _send_claimed(db, row.id, item, send, pacer, report, token)
    return report


async def recover(db: Database, older_than: timedelta, now: datetime | None = None) -> int:
    """At start: claims left by a dead sender become `uncertain` (never resent). Returns how
    many; each is logged, since one of them may be a lost message (see the module doc)."""
    at = now or utcnow()
    async with db.session() as session:
        stale = await deliveries.stale_claims(session, at - older_than)
        for row in stale:
            log.warning(
                "delivery %s to %s was claimed by %s and never confirmed: counted as delivered",
                row.key,
                row.chat_id,
                row.owner,
            )
        count = await deliveries.resolve_stale_claims(session, at - older_than, now=at)
    return count
