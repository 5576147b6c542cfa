"""A quarter through the real bot and the emulator, moved by the injected clock: reminders in
each officer's chat and a digest in the group, a blocked officer, the late list for the head
and deputy, the round closing by itself; a round opening by itself; /calendar; flood limits."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.domain.schedule_file import parse_schedule
from bot.jobs.scheduler import get_scheduler
from storage import schedules
from tests.conftest import GROUP, Clock, Cluster
from tests.reminders.conftest import create_schema

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
GOOD = ["187", "28", "55", "100", "Tốt"]


def at(clock: Clock, y: int, m: int, d: int, hh: int = 8, mm: int = 0) -> None:
    clock.now = datetime(y, m, d, hh, mm, tzinfo=HANOI).astimezone(UTC)


async def tick(cluster: Cluster) -> None:
    assert cluster.h.app is not None
    await get_scheduler(cluster.h.app).tick()
    await cluster.h.settled()  # and what the tick queued (the summary) has gone out


def texts(cluster: Cluster, chat: int, needle: str) -> list[str]:
    return [m.text for m in cluster.emu.messages(chat) if needle in m.text]


async def test_a_quarter_of_reminders_end_to_end(cluster: Cluster, clock: Clock) -> None:
    h, emu = cluster.h, cluster.emu
    await create_schema(h.database_url)
    emu.enforce_limits = True
    await cluster.open_round("2023-Q4", "15/01/2024")
    blocked = cluster.officers["yen-bai"]
    emu.block(blocked)
    officers = {slug: u.id for slug, u in cluster.officers.items()}
    head, deputy = officers["bac-kan"], officers["bac-giang"]

    at(clock, 2024, 1, 8)  # Monday, 7 days before the deadline
    await tick(cluster)
    for slug, chat in officers.items():
        got = texts(cluster, chat, "Còn 7 ngày đến hạn báo cáo Quý IV/2023")
        assert len(got) == (0 if slug == "yen-bai" else 1), slug
    card = [m for m in emu.messages(head) if "Nhắc hạn" in m.text][0]
    assert ("📝 Nộp báo cáo", "https://t.me/clusterbot_demo_bot?start=report") in [
        (b["text"], b.get("url")) for row in card.reply_markup or [] for b in row
    ]
    digest = texts(cluster, GROUP, "Còn 7 ngày đến hạn báo cáo Quý IV/2023 (hạn nộp 15/01/2024)")
    assert len(digest) == 1
    assert "Chưa nộp: Sở Nội vụ tỉnh Bắc Kạn, Sở Nội vụ tỉnh Bắc Giang" in digest[0]
    assert "Đã nộp: 0/7 đơn vị." in digest[0]
    # The head and the deputy are told, once, that Yên Bái's officer cannot be reached.
    for lead in (head, deputy):
        notice = texts(cluster, lead, "Không gửi được nhắc hạn")
        assert len(notice) == 1 and "Yên Bái" in notice[0] and "chặn bot" in notice[0]

    # The deep link starts the report; Bắc Giang submits between two reminders.
    replies = await h.say(cluster.officers["bac-giang"], deputy, "/start report")
    assert replies, "the deep link answers"
    await cluster.submit("bac-giang", GOOD)
    at(clock, 2024, 1, 12)
    await tick(cluster)
    assert texts(cluster, deputy, "Còn 3 ngày") == []
    assert len(texts(cluster, head, "Còn 3 ngày đến hạn báo cáo Quý IV/2023")) == 1
    digest = texts(cluster, GROUP, "Còn 3 ngày")
    assert len(digest) == 1 and "Bắc Giang" not in digest[0] and "Đã nộp: 1/7" in digest[0]
    assert len(texts(cluster, head, "Không gửi được")) == 1  # still once

    # The day after the deadline: reminders, and the late list for the head and the deputy.
    at(clock, 2024, 1, 16)
    await tick(cluster)
    assert len(texts(cluster, head, "Đã quá hạn nộp báo cáo Quý IV/2023 1 ngày")) == 1
    for lead in (head, deputy):
        late = texts(cluster, lead, "quá hạn (hạn nộp 15/01/2024)")
        assert len(late) == 1, lead
        assert "Các đơn vị chưa nộp (6/7)" in late[0] and "Bắc Giang" not in late[0]

    await cluster.submit("bac-kan", GOOD)  # late
    at(clock, 2024, 1, 19)  # the first working day after the 3 days of grace
    await tick(cluster)
    closed = texts(cluster, GROUP, "Kỳ báo cáo Quý IV/2023 đã đóng")
    assert len(closed) == 1
    assert "Đúng hạn: Sở Nội vụ tỉnh Bắc Giang." in closed[0]
    assert "Nộp muộn: Sở Nội vụ tỉnh Bắc Kạn." in closed[0]
    assert "Chưa nộp: Sở Nội vụ tỉnh Thái Nguyên" in closed[0]
    status = await h.say(cluster.officers["thai-nguyen"], GROUP, "/status 2023-Q4")
    assert "kỳ đã đóng" in status[-1].text

    before = len(emu.sent)
    at(clock, 2024, 1, 22)
    await tick(cluster)
    assert len(emu.sent) == before  # a closed round says nothing more


async def test_a_round_opens_by_itself_and_calendar_shows_it(
    cluster: Cluster, clock: Clock
) -> None:
    h = cluster.h
    await create_schema(h.database_url)
    spec, errors = parse_schedule({"schedule": {"auto_open": ["quarter"]}})
    assert spec is not None, errors
    assert h.db is not None
    async with h.db.session() as session:
        await schedules.save_schedule(session, "cum-noi-vu-tdmnpb", spec)

    at(clock, 2024, 4, 1, 7, 30)  # Monday, before the sending hour
    await tick(cluster)
    assert texts(cluster, GROUP, "Mở kỳ báo cáo") == []
    at(clock, 2024, 4, 1, 8, 0)
    await tick(cluster)
    opened = texts(cluster, GROUP, "Mở kỳ báo cáo Quý I/2024")
    assert len(opened) == 1 and "Hạn nộp: 12/04/2024" in opened[0]
    await tick(cluster)
    assert len(texts(cluster, GROUP, "Mở kỳ báo cáo")) == 1

    officer = cluster.officers["phu-tho"]
    shown = await h.say(officer, officer.id, "/calendar")
    page = shown[-1].text
    assert "Quý I/2024 — đang mở" in page
    assert "Hạn nộp: 12/04/2024" in page
    assert "Quý II/2024 — mở ngày 01/07/2024" in page
    assert "18/04/2024: Ngày Giỗ Tổ Hùng Vương" in page  # a holiday in the next 60 days
    assert "05/04/2024" in page  # the "7 days before" reminder
    in_group = await h.say(officer, GROUP, "/calendar")
    assert "Lịch báo cáo" in in_group[-1].text


async def test_flood_limits_are_met_and_429s_waited_out(cluster: Cluster, clock: Clock) -> None:
    h, emu = cluster.h, cluster.emu
    await create_schema(h.database_url)
    await cluster.open_round("2023-Q4", "15/01/2024")
    await asyncio.sleep(1.1)  # let the opening's own messages age out of the per-chat limit
    emu.enforce_limits = True  # Telegram's limits: 30/s, 1/s per chat, 20/min per group
    at(clock, 2024, 1, 8)
    await tick(cluster)
    assert emu.limit_429s == 0
    assert all(len(texts(cluster, u.id, "Còn 7 ngày")) == 1 for u in cluster.officers.values())

    emu.limit_overall = 3  # far below Telegram's 30: the bot's pacing overruns it
    assert h.app is not None
    seen = get_scheduler(h.app).totals.retry_after
    at(clock, 2024, 1, 12)
    await tick(cluster)
    assert emu.limit_429s > 0
    # The delivery log waited them out itself (python-telegram-bot's limiter is not used) ...
    assert get_scheduler(h.app).totals.retry_after - seen > 0
    for user in cluster.officers.values():  # ... and each officer still has exactly one copy
        assert len(texts(cluster, user.id, "Còn 3 ngày")) == 1
    assert len(texts(cluster, GROUP, "Còn 3 ngày")) == 1
