"""bot.delivery: each message goes out once, whatever fails, restarts or races; the pacer keeps
Telegram's limits."""

from __future__ import annotations

import asyncio
import heapq
import random
from collections import Counter

from bot.delivery import (
    Button,
    Outcome,
    Outgoing,
    Pacer,
    SendResult,
    deliver,
    deliver_queued,
    markup_from_data,
    markup_to_data,
)
from storage import deliveries
from storage.database import Database
from storage.deliveries import Claim


class FakeTelegram:
    """Records what arrived; answers with scripted outcomes per chat."""

    def __init__(self) -> None:
        self.received: list[tuple[int, str]] = []
        self.script: dict[int, list[SendResult]] = {}
        self.next_id = 1

    async def send(self, chat_id: int, text: str, markup: object) -> SendResult:
        await asyncio.sleep(0)
        scripted = self.script.get(chat_id)
        if scripted:
            result = scripted.pop(0)
            if result.outcome in (Outcome.SENT, Outcome.UNCERTAIN):
                self.received.append((chat_id, text))
            return result
        self.received.append((chat_id, text))
        self.next_id += 1
        return SendResult(Outcome.SENT, message_id=self.next_id)

    def copies(self) -> Counter[int]:
        return Counter(chat for chat, _ in self.received)


def fast() -> Pacer:
    return Pacer(rate=100_000, per_chat_interval=0, group_max=0)


def items(n: int, prefix: str = "r1:due") -> list[Outgoing]:
    return [
        Outgoing(key=f"{prefix}:{c}", chat_id=c, text=f"hello {c}", kind="reminder:due")
        for c in range(1, n + 1)
    ]


async def test_each_message_goes_out_once_even_when_delivered_twice(db: Database) -> None:
    tg = FakeTelegram()
    report = await deliver(db, items(20), tg.send, pacer=fast(), owner="a")
    assert report.sent == 20 and report.already == 0
    again = await deliver(db, items(20), tg.send, pacer=fast(), owner="b")
    assert again.sent == 0 and again.already == 20
    assert tg.copies() == Counter({c: 1 for c in range(1, 21)})


async def test_two_racing_senders_send_each_message_once(db_url: str) -> None:
    tg = FakeTelegram()
    one, two = Database(db_url), Database(db_url)
    try:
        reports = await asyncio.gather(
            deliver(one, items(40), tg.send, pacer=fast(), owner="a", concurrency=3),
            deliver(two, items(40), tg.send, pacer=fast(), owner="b", concurrency=3),
        )
    finally:
        await one.dispose()
        await two.dispose()
    assert sum(r.sent for r in reports) == 40
    assert tg.copies() == Counter({c: 1 for c in range(1, 41)})


async def test_a_blocked_user_is_recorded_and_does_not_stop_the_others(db: Database) -> None:
    tg = FakeTelegram()
    tg.script[3] = [SendResult(Outcome.PERMANENT, error="Forbidden: bot was blocked by the user")]
    report = await deliver(db, items(5), tg.send, pacer=fast(), owner="a")
    assert report.sent == 4
    assert [i.chat_id for i in report.permanent] == [3]
    assert sorted(tg.copies()) == [1, 2, 4, 5]
    # Never retried.
    tg.script[3] = []
    later = await deliver(db, items(5), tg.send, pacer=fast(), owner="a")
    assert later.sent == 0 and 3 not in tg.copies()
    async with db.session() as session:
        states = await deliveries.states_of(session, ["r1:due:3"])
    assert states == {"r1:due:3": "failed_permanent"}


async def test_a_transient_failure_is_sent_by_a_later_run(db: Database) -> None:
    tg = FakeTelegram()
    tg.script[2] = [SendResult(Outcome.TRANSIENT, error="httpx.ConnectError")]
    first = await deliver(db, items(3), tg.send, pacer=fast(), owner="a")
    assert first.sent == 2 and first.transient == 1
    second = await deliver(db, items(3), tg.send, pacer=fast(), owner="a")
    assert second.sent == 1
    assert tg.copies() == Counter({1: 1, 2: 1, 3: 1})


async def test_a_429_is_waited_out_and_retried(db: Database) -> None:
    tg = FakeTelegram()
    tg.script[2] = [SendResult(Outcome.RETRY_AFTER, retry_after=0.05, error="Too Many Requests")]
    pacer = fast()
    report = await deliver(db, items(3), tg.send, pacer=pacer, owner="a", concurrency=1)
    assert report.sent == 3 and report.retry_after == 1
    assert pacer.pauses == 1
    assert tg.copies() == Counter({1: 1, 2: 1, 3: 1})


async def test_an_uncertain_send_is_never_repeated(db: Database) -> None:
    tg = FakeTelegram()
    tg.script[1] = [SendResult(Outcome.UNCERTAIN, error="timed out")]

    async def exploding(chat_id: int, text: str, markup: object) -> SendResult:
        if chat_id == 2:
            raise RuntimeError("connection reset after the request was written")
        return await tg.send(chat_id, text, markup)

    report = await deliver(db, items(3), exploding, pacer=fast(), owner="a")
    assert report.uncertain == 2 and report.sent == 1
    tg.script.clear()
    again = await deliver(db, items(3), tg.send, pacer=fast(), owner="a")
    assert again.sent == 0
    assert tg.copies() == Counter({1: 1, 3: 1})


async def test_should_send_is_asked_just_before_and_leaves_no_trace(db: Database) -> None:
    tg = FakeTelegram()
    submitted: set[int] = set()

    async def still_pending(item: Outgoing) -> bool:
        if item.chat_id == 1:
            submitted.add(2)  # department 2 submits while the fan-out runs
        return item.chat_id not in submitted

    report = await deliver(
        db, items(3), tg.send, pacer=fast(), owner="a", should_send=still_pending, concurrency=1
    )
    assert report.sent == 2 and report.stale == 1
    async with db.session() as session:
        assert "r1:due:2" not in await deliveries.states_of(session, ["r1:due:2"])


async def test_queued_messages_keep_their_buttons(db: Database) -> None:
    markup = ((Button("📝 Nộp báo cáo", url="https://t.me/bot?start=report"),),)
    assert markup_from_data(markup_to_data(markup)) == markup
    async with db.session() as session:
        await deliveries.enqueue(
            session, Claim("r1:close:-100", "close", -100), "closed", markup_to_data(markup)
        )
    seen: list[object] = []

    async def send(chat_id: int, text: str, m: object) -> SendResult:
        seen.append((chat_id, text, m))
        return SendResult(Outcome.SENT, message_id=1)

    report = await deliver_queued(db, send, pacer=fast(), owner="a")
    assert report.sent == 1 and seen == [(-100, "closed", markup)]
    assert (await deliver_queued(db, send, pacer=fast(), owner="b")).sent == 0


# ---------------------------------------------------------------------- the pacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_pacer_overall_rate() -> None:
    t = FakeTime()
    pacer = Pacer(rate=30, clock=t.clock, sleep=t.sleep)
    times = []
    for chat in range(1, 91):
        await pacer.acquire(chat)
        times.append(t.now)
    # Never more than 30 in any second.
    for i in range(len(times) - 30):
        assert times[i + 30] - times[i] >= 1.0 - 1e-9
    assert times[-1] - times[0] < 3.0


async def test_pacer_one_per_second_per_chat_and_twenty_a_minute_per_group() -> None:
    t = FakeTime()
    pacer = Pacer(rate=1000, clock=t.clock, sleep=t.sleep)
    await pacer.acquire(7)
    start = t.now
    await pacer.acquire(7)
    assert t.now - start >= 1.0
    group_times = []
    for _ in range(25):
        await pacer.acquire(-100)
        group_times.append(t.now)
    assert group_times[20] - group_times[0] >= 60.0
    assert group_times[19] - group_times[0] < 60.0


async def test_pacer_pause_holds_everyone() -> None:
    t = FakeTime()
    pacer = Pacer(rate=1000, clock=t.clock, sleep=t.sleep)
    await pacer.acquire(1)
    pacer.pause(5)
    before = t.now
    await pacer.acquire(2)
    assert t.now - before >= 5.0


class VirtualTime:
    """Time that jumps to the next sleeper whenever every task is waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), self._seq, future))
        await future

    async def run(self, tasks: list[asyncio.Task[None]]) -> None:
        while not all(t.done() for t in tasks):
            for _ in range(20):
                await asyncio.sleep(0)
            if self._sleepers:
                wake, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, wake)
                future.set_result(None)
        for task in tasks:
            task.result()


async def test_pacer_gate_bounds_arrivals_however_requests_are_delayed() -> None:
    """Database commits and the network delay each request by a random amount between its slot
    and its arrival; the arrivals still never exceed 30 in a second, 1 per second in a chat,
    20 in a minute in a group."""
    rng = random.Random(7)
    t = VirtualTime()
    pacer = Pacer(clock=t.clock, sleep=t.sleep)
    chats = [rng.choice([-100, -200, 5, 6]) if n % 3 == 0 else 1000 + n for n in range(400)]
    queue = list(chats)
    arrivals: list[tuple[float, int]] = []

    async def worker() -> None:
        while queue:
            chat = queue.pop(0)
            await pacer.acquire(chat)
            await t.sleep(rng.choice([0.0, 0.001, 0.02, 0.09]))  # claim commit, sometimes slow
            token = await pacer.gate(chat)
            rtt = rng.choice([0.002, 0.01, 0.3])
            arrive = rng.uniform(0, rtt)  # when Telegram gets it, somewhere within the request
            await t.sleep(arrive)
            arrivals.append((t.now, chat))
            await t.sleep(rtt - arrive)
            pacer.done(token)

    await t.run([asyncio.create_task(worker()) for _ in range(6)])
    assert len(arrivals) == 400
    times = sorted(a for a, _ in arrivals)
    assert all(times[i + 30] - times[i] >= 1.0 - 1e-9 for i in range(len(times) - 30))
    for chat in set(chats):
        mine = sorted(a for a, c in arrivals if c == chat)
        assert all(b - a >= 1.0 for a, b in zip(mine, mine[1:], strict=False)), chat
        if chat < 0:
            assert all(mine[i + 20] - mine[i] >= 60.0 for i in range(len(mine) - 20))
    # ... and no slower than the limits require: 400 messages in little more than 400/30 s,
    # the groups' 20-a-minute rule aside.
    assert times[-1] < 180


async def test_a_long_text_goes_as_several_messages_each_claimed_once(db: Database) -> None:
    tg = FakeTelegram()
    long_text = "\n".join(f"Dòng {n}: " + "x" * 80 for n in range(120))  # ~10.000 characters
    item = Outgoing(key="r1:long:5", chat_id=5, text=long_text, kind="reminder:due")
    report = await deliver(db, [item], tg.send, pacer=fast(), owner="a")
    assert report.sent == len(tg.received) >= 3
    assert all(len(text) <= 4096 for _, text in tg.received)
    assert "".join(text for _, text in tg.received).count("Dòng") == 120
    again = await deliver(db, [item], tg.send, pacer=fast(), owner="b")
    assert again.sent == 0


class HeldGate(Pacer):
    """A pacer whose gate waits until released: Telegram's limits say 'not yet'."""

    def __init__(self) -> None:
        super().__init__(rate=100_000, per_chat_interval=0, group_max=0)
        self.release = asyncio.Event()
        self.waiting = asyncio.Event()

    async def gate(self, chat_id: int) -> int:
        self.waiting.set()
        await self.release.wait()
        return await super().gate(chat_id)


async def test_nothing_is_claimed_while_waiting_for_telegrams_limits(db: Database) -> None:
    tg = FakeTelegram()
    pacer = HeldGate()
    task = asyncio.create_task(deliver(db, items(1), tg.send, pacer=pacer, owner="a"))
    await asyncio.wait_for(pacer.waiting.wait(), 5)
    async with db.session() as session:
        assert await deliveries.states_of(session, ["r1:due:1"]) == {}
    # A shutdown now (the tick cancelled) leaves nothing claimed and unsent.
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    async with db.session() as session:
        assert await deliveries.states_of(session, ["r1:due:1"]) == {}
    pacer.release.set()
    report = await deliver(db, items(1), tg.send, pacer=pacer, owner="b")
    assert report.sent == 1 and tg.copies() == Counter({1: 1})
