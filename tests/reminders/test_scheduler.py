"""The scheduler over a whole round, driven by an injected clock, with Telegram faked.

(End-to-end runs through the emulator are in test_e2e_*.py.)"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.delivery import Outcome, Pacer, SendResult
from bot.domain.schedule_file import parse_schedule
from bot.jobs.scheduler import Scheduler
from storage import rounds, submissions
from storage.database import Database
from storage.models import Round
from tests.reminders.seed import open_round, seed_cluster

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, y: int, m: int, d: int, hh: int = 8, mm: int = 0) -> None:
        self.now = datetime(y, m, d, hh, mm, tzinfo=HANOI).astimezone(UTC)


class FakeTelegram:
    def __init__(self) -> None:
        self.received: list[tuple[int, str]] = []
        self.blocked: set[int] = set()

    async def send(self, chat_id: int, text: str, markup: object) -> SendResult:
        if chat_id in self.blocked:
            return SendResult(Outcome.PERMANENT, error="Forbidden: bot was blocked by the user")
        self.received.append((chat_id, text))
        return SendResult(Outcome.SENT, message_id=len(self.received))

    def to(self, chat_id: int) -> list[str]:
        return [text for chat, text in self.received if chat == chat_id]

    def take(self) -> list[tuple[int, str]]:
        taken, self.received = self.received, []
        return taken


def make(db: Database, tg: FakeTelegram, clock: Clock, **kw: object) -> Scheduler:
    return Scheduler(
        db,
        tg.send,
        clock=clock,
        tz=HANOI,
        pacer=Pacer(rate=100_000, per_chat_interval=0, group_max=0),
        bot_username="clusterbot_demo_bot",
        **kw,  # type: ignore[arg-type]  # fields from a dict, checked at run time
    )


async def submit(db: Database, round_id: int, department_id: int, by: int, at: datetime) -> None:
    async with db.session() as session:
        row = await session.get(Round, round_id)
        assert row is not None
        late = at.astimezone(HANOI).date() > row.deadline
        await submissions.save_revision(session, round_id, department_id, {}, by, late, 0, at=at)


async def test_a_whole_round_reminders_escalation_refusal_and_close(db: Database) -> None:
    seeded = await seed_cluster(db, slugs=("a", "b", "c"), languages={13: "en"})
    a, b, c = (seeded.officers[s][0] for s in "abc")  # 11 (head's), 12 (deputy's), 13
    clock = Clock(datetime(2026, 1, 2, 2, 0, tzinfo=UTC))
    round_id = await open_round(
        db, "c1", "2025-Q4", date(2025, 10, 1), date(2026, 1, 15), clock.now
    )
    tg = FakeTelegram()
    scheduler = make(db, tg, clock)

    clock.set(2026, 1, 7, 9)
    assert (await scheduler.tick()).due == []
    assert tg.take() == []

    clock.set(2026, 1, 8, 8)  # 7 days before
    report = await scheduler.tick()
    assert report.due == ["c1/2025-Q4/before-7"]
    got = tg.take()
    assert Counter(chat for chat, _ in got) == Counter({a: 1, b: 1, c: 1, -100: 1})
    assert "Còn 7 ngày đến hạn báo cáo Quý IV/2025" in dict(got)[a]
    assert "7 days left until the Q4 2025 report is due" in dict(got)[c]  # c reads English
    assert "Chưa nộp: Sở A, Sở B, Sở C" in dict(got)[-100]

    # The same minute again, and a restarted process: nothing twice.
    assert (await scheduler.tick()).delivery.sent == 0
    clock.set(2026, 1, 8, 8, 5)
    assert (await make(db, tg, clock).tick()).delivery.sent == 0
    assert tg.take() == []

    # Department B submits between two reminders: it gets no more.
    await submit(db, round_id, seeded.departments["b"], b, clock.now)
    clock.set(2026, 1, 12, 8)
    await scheduler.tick()
    got = tg.take()
    assert sorted(chat for chat, _ in got) == [-100, a, c]
    assert "Chưa nộp: Sở A, Sở C." in dict(got)[-100]
    assert "Đã nộp: 1/3 đơn vị." in dict(got)[-100]

    # The day after the deadline: the reminder, and the head and deputy get the late list.
    # Officer C has blocked the bot meanwhile.
    tg.blocked.add(c)
    clock.set(2026, 1, 16, 8)
    report = await scheduler.tick()
    assert report.due == ["c1/2025-Q4/after-1", "c1/2025-Q4/escalate"]
    assert [i.chat_id for i in report.delivery.permanent] == [c]
    got = tg.take()
    late_list = [t for chat, t in got if "quá hạn</b>" in t]
    assert len(late_list) == 2  # head's officer and deputy's officer
    assert {chat for chat, t in got if "quá hạn</b>" in t} == {a, b}
    assert "Sở A, Sở C" in late_list[0]
    notices = [(chat, t) for chat, t in got if "Không gửi được" in t]
    assert sorted(chat for chat, _ in notices) == [a, b]
    assert "Cán bộ 13 (Sở C): người dùng đã chặn bot" in notices[0][1]

    # The next reminder fails for C again: the head is not told twice.
    clock.set(2026, 1, 19, 8)
    await scheduler.tick()
    got = tg.take()
    assert not [t for _, t in got if "Không gửi được" in t]
    assert sorted(chat for chat, _ in got) == [-100, a]

    # A submits late; on the first working day after the grace the round closes by itself.
    await submit(db, round_id, seeded.departments["a"], a, clock.now)
    clock.set(2026, 1, 21, 8)
    report = await scheduler.tick()
    assert report.closed == ["c1/2025-Q4"]
    got = tg.take()
    assert [chat for chat, _ in got] == [-100]
    final = got[0][1]
    assert "Kỳ báo cáo Quý IV/2025 đã đóng" in final
    assert "Đúng hạn: Sở B." in final and "Nộp muộn: Sở A." in final and "Chưa nộp: Sở C." in final
    async with db.session() as session:
        row = await session.get(Round, round_id)
        assert row is not None and row.state == "closed" and row.closed_at == clock.now
    clock.set(2026, 1, 22, 8)
    await scheduler.tick()
    assert tg.take() == []


async def test_catch_up_after_downtime_sends_only_what_is_still_relevant(db: Database) -> None:
    seeded = await seed_cluster(db)
    clock = Clock(datetime(2026, 1, 2, 2, 0, tzinfo=UTC))
    round_id = await open_round(
        db, "c1", "2025-Q4", date(2025, 10, 1), date(2026, 1, 15), clock.now
    )
    await submit(db, round_id, seeded.departments["a"], 11, clock.now)
    tg = FakeTelegram()
    # Down from before the first reminder until 22:00 on 13/01: quiet hours, nothing yet.
    clock.set(2026, 1, 13, 22)
    scheduler = make(db, tg, clock)
    await scheduler.tick()
    assert tg.take() == []
    # At 07:00 the quiet hours end, but today's reminder is due at 08:00: the missed one waits
    # for it rather than going out an hour before.
    clock.set(2026, 1, 14, 7)
    assert (await scheduler.tick()).due == []
    clock.set(2026, 1, 14, 8)
    report = await scheduler.tick()
    assert report.due == ["c1/2025-Q4/before-1"]  # before-7 and before-3 are stale
    got = tg.take()
    assert sorted(chat for chat, _ in got) == [-100, 12, 13]  # A had submitted
    assert "Ngày mai là hạn nộp báo cáo Quý IV/2025" in dict(got)[12]


async def test_rounds_open_by_themselves_and_are_announced(db: Database) -> None:
    spec, errors = parse_schedule({"schedule": {"auto_open": ["quarter"]}})
    assert spec is not None, errors
    await seed_cluster(db, schedule=spec)
    tg = FakeTelegram()
    clock = Clock(datetime(2026, 3, 31, 3, 0, tzinfo=UTC))
    scheduler = make(db, tg, clock)
    report = await scheduler.tick()
    assert report.opened == []  # 2025-Q4 is past its deadline: not opened late
    tg.take()
    clock.set(2026, 4, 1, 7, 59)
    assert (await scheduler.tick()).opened == []
    clock.set(2026, 4, 1, 8, 0)
    report = await scheduler.tick()
    assert report.opened == ["c1/2026-Q1"]
    got = tg.take()
    assert [chat for chat, _ in got] == [-100]
    assert "Mở kỳ báo cáo Quý I/2026" in got[0][1] and "14/04/2026" in got[0][1]
    async with db.session() as session:
        row = await rounds.find_round_by_period(session, "c1", "2026-Q1")
        assert row is not None and row.deadline == date(2026, 4, 14) and row.opened_by is None
    # A second process at the same moment opens nothing more.
    assert (await make(db, tg, clock).tick()).opened == []
    assert tg.take() == []
    # Its reminders follow the plan: 7 days before the deadline.
    clock.set(2026, 4, 7, 8)
    await scheduler.tick()
    assert sorted(chat for chat, _ in tg.take()) == [-100, 11, 12, 13]


async def test_nothing_is_sent_on_tet(db: Database) -> None:
    await seed_cluster(db)
    clock = Clock(datetime(2026, 1, 2, 2, 0, tzinfo=UTC))
    await open_round(db, "c1", "2025-Q4", date(2025, 10, 1), date(2026, 2, 24), clock.now)
    tg = FakeTelegram()
    scheduler = make(db, tg, clock)
    clock.set(2026, 2, 17, 9)  # Tết: the 13/02 reminder was missed but waits
    await scheduler.tick()
    assert tg.take() == []
    clock.set(2026, 2, 23, 8)
    report = await scheduler.tick()
    assert report.due == ["c1/2025-Q4/before-1"]
