"""No chat can stall another, and a stranger's flood costs nothing (issue 8, items 1, 4, 5).

The bot runs against the emulator with Telegram's limits enforced (30/s, 1/s per chat, 20/min
per group) and the process's own pacing on: the real conditions under which a group's backlog
used to hold every private chat back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest

from bot.clock import system_clock
from bot.emulator import ApiError, BotApiEmulator
from bot.emulator.harness import Harness
from storage import effects
from tests.conftest import CLUSTER, GROUP, Clock, Cluster

PAST = "Đã nộp:"


def fail_when(emu: BotApiEmulator, decide: Callable[[str, int | None], ApiError | None]) -> None:
    """Answer some Bot API calls with an error instead of executing them."""
    original = emu._check_limits

    def hook(method: str, chat_id: int | None) -> None:
        error = decide(method, chat_id)
        if error is not None:
            raise error
        original(method, chat_id)

    emu._check_limits = hook  # type: ignore[method-assign]  # the test's hook in the emulator


@pytest.fixture
async def limited(sqlite_url: str, clock: Clock) -> AsyncIterator[Cluster]:
    async with Harness(sqlite_url, clock=clock) as h:
        c = Cluster(h)
        await c.setup()
        # From here on, Telegram's limits and the bot's own pacing, as in production.
        assert h.app is not None
        await h.stop_bot()
        h.rate_limit = True
        h.emu.enforce_limits = True
        await h.start_bot()
        yield c


async def test_a_flood_in_the_group_does_not_stall_a_private_chat(limited: Cluster) -> None:
    c = limited
    emu = c.emu
    observer = c.h.user(3001, "Quan sát viên")
    code = await c.h.invite(CLUSTER, None, "observer")
    await c.h.say(observer, observer.id, f"/start {code}")
    stranger = c.h.user(6666, "Người lạ")
    group_before = len(emu.messages(GROUP))
    flood = [await emu.send_text(stranger, GROUP, "/status") for _ in range(70)]
    assert all(u is not None for u in flood)
    await emu.wait_fetched(flood[-1])

    before = len(emu.messages(observer))
    await emu.send_text(observer, observer.id, "/whoami")
    await emu.wait_until(lambda: len(emu.messages(observer)) > before, timeout=5)
    assert "quan sát viên" in emu.messages(observer)[-1].text
    # Answered while the group's answers were still waiting for Telegram's 20/min.
    answered_in_group = len(emu.messages(GROUP)) - group_before
    assert answered_in_group < 70
    for update_id in flood:
        assert update_id is not None
        await c.h.tracker.wait(update_id)
    # Every flood update was handled, but the stranger's answers are capped: a queue longer
    # than a minute's worth of group posts only grows.
    async with c.h.db.session() as session:
        from storage import effects

        waiting = await effects.pending_in_chat(session, GROUP)
    assert waiting + answered_in_group <= 21


async def test_an_officer_is_answered_during_a_foreign_group_flood(limited: Cluster) -> None:
    c = limited
    emu = c.emu
    stranger = c.h.user(6667, "Người lạ")
    foreign = -1009999
    await c.h.add_to_group(stranger, foreign, "Nhóm lạ")
    flood = [await emu.send_text(stranger, foreign, "/report") for _ in range(180)]
    await emu.wait_fetched(flood[-1])
    officer = c.officers["yen-bai"]
    await c.open_round()
    replies = await c.h.say(officer, officer.id, "/report")
    assert replies and replies[0].text.startswith("Báo cáo Năm 2023")
    for update_id in flood:
        assert update_id is not None
        await c.h.tracker.wait(update_id)
    await c.h.settled()
    assert len(emu.messages(foreign)) == 1  # one explanation, ever


COMMANDS = [
    "/announce",
    "/acks",
    "/election",
    "/election close",
    "/vote",
    "/minutes",
    "/link",
    "/report",
    "/status",
    "/summary",
    "/chart 1",
    "/round",
    "/help",
    "/whoami",
    "/calendar",
    "/history",
    "/export",
    "/template",
    "/language en",
    "/start",
    "/skip",
    "/cancel",
]


async def test_a_foreign_group_gets_one_explanation_ever(cluster: Cluster) -> None:
    c = cluster
    emu = c.emu
    stranger = c.h.user(6668, "Người lạ")
    foreign = -1008888
    await c.h.add_to_group(stranger, foreign, "Nhóm lạ")  # the one explanation, ever
    for text in COMMANDS * 2:
        await c.h.say(stranger, foreign, text)
    # An officer of a cluster is no stranger, but this group is no cluster's: silence too,
    # except for /link, which is how a group becomes the cluster's group.
    officer = c.officers["yen-bai"]
    for text in ("/status", "/report", "/announce", "/election", "/minutes"):
        await c.h.say(officer, foreign, text)
    sent = emu.messages(foreign)
    assert len(sent) == 1, [m.text for m in sent]


async def test_a_failed_group_update_is_retried_and_the_officer_told_the_truth(
    cluster: Cluster,
) -> None:
    c = cluster
    await c.open_round()
    failures = {"left": 3}

    def decide(method: str, chat_id: int | None) -> ApiError | None:
        if chat_id == GROUP and failures["left"] > 0:
            failures["left"] -= 1
            return ApiError(500, "Internal Server Error")
        return None

    fail_when(c.emu, decide)
    user = c.officers["yen-bai"]
    replies = await c.h.say(
        user, user.id, "\n".join(f"{n}: {v}" for n, v in enumerate(["1", "2", "3", "50", "x"], 1))
    )
    confirm = await c.h.press(user, replies[-1], "Xác nhận")
    texts = [m.text for m in confirm if m.chat_id == user.id]
    assert texts and texts[0].startswith("✅ Đã nộp báo cáo Năm 2023")
    assert not any("không bị thay đổi" in t for t in texts)
    await c.emu.wait_until(
        lambda: any(f"{PAST} 1/7" in m.text for m in c.emu.messages(GROUP)), timeout=20
    )
    assert failures["left"] == 0


async def test_the_officer_is_told_when_the_group_cannot_be_updated(cluster: Cluster) -> None:
    c = cluster
    await c.open_round()
    fail_when(
        c.emu,
        lambda method, chat_id: (
            ApiError(403, "Forbidden: bot was kicked from the group chat")
            if chat_id == GROUP
            else None
        ),
    )
    user = c.officers["yen-bai"]
    replies = await c.h.say(
        user, user.id, "\n".join(f"{n}: {v}" for n, v in enumerate(["1", "2", "3", "50", "x"], 1))
    )
    await c.h.press(user, replies[-1], "Xác nhận")
    await c.emu.wait_until(
        lambda: any("đã được lưu" in m.text for m in c.emu.messages(user)), timeout=10
    )
    mine = [m.text for m in c.emu.messages(user)]
    assert any(t.startswith("✅ Đã nộp báo cáo Năm 2023") for t in mine)
    assert any("không cập nhật được tin nhắn trong nhóm" in t for t in mine)
    # The group is reachable again: the next change brings its progress up to date.
    c.emu._check_limits = type(c.emu)._check_limits.__get__(c.emu)  # type: ignore[method-assign]  # the test's hook in the emulator
    await c.submit("phu-tho", ["1", "2", "3", "50", "x"])
    await c.h.settled()
    assert any(f"{PAST} 2/7" in m.text for m in c.emu.messages(GROUP))


async def test_simultaneous_confirmations_edit_one_progress_message(cluster: Cluster) -> None:
    c = cluster
    await c.open_round()
    emu = c.emu
    cards = {}
    for slug, user in c.officers.items():
        replies = await c.h.say(
            user,
            user.id,
            "\n".join(f"{n}: {v}" for n, v in enumerate(["1", "2", "3", "50", "x"], 1)),
        )
        cards[slug] = replies[-1]
    # Every other group request fails once with a 502 or a 429 while the burst goes on.
    counter = {"n": 0}

    def decide(method: str, chat_id: int | None) -> ApiError | None:
        if chat_id != GROUP:
            return None
        counter["n"] += 1
        if counter["n"] % 2:
            return None
        if counter["n"] % 4:
            return ApiError(502, "Bad Gateway")
        return ApiError(429, "Too Many Requests: retry after 1", retry_after=1)

    fail_when(emu, decide)
    updates = []
    for slug, user in c.officers.items():
        card = cards[slug]
        data = next(d for label, d in card.buttons if "Xác nhận" in label)
        assert data is not None
        updates.append(await emu.press(user, user.id, card.message_id, data))
    for update_id in updates:
        assert update_id is not None
        await c.h.tracker.wait(update_id)
    await emu.wait_until(
        lambda: any(f"{PAST} 7/7" in m.text for m in emu.messages(GROUP)), timeout=30
    )
    await c.h.settled()
    progress = [m for m in emu.messages(GROUP) if PAST in m.text]
    assert len(progress) == 1, [m.text for m in progress]  # posted once, at the opening
    assert f"{PAST} 7/7" in progress[0].text
    refused = [call for call in emu.calls if call.error_code == 400]
    assert refused == []


async def test_an_edited_answer_is_not_stored_twice_by_a_race(cluster: Cluster) -> None:
    """Two updates of one chat never run side by side: a quick double confirm stores once."""
    c = cluster
    await c.open_round()
    user = c.officers["phu-tho"]
    replies = await c.h.say(
        user, user.id, "\n".join(f"{n}: {v}" for n, v in enumerate(["1", "2", "3", "50", "x"], 1))
    )
    card = replies[-1]
    data = next(d for label, d in card.buttons if "Xác nhận" in label)
    assert data is not None
    ids = [await c.emu.press(user, user.id, card.message_id, data) for _ in range(5)]
    for update_id in ids:
        assert update_id is not None
        await c.h.tracker.wait(update_id)
    await c.h.settled()
    from sqlmodel import func, select

    from storage.models import Submission

    async with c.h.db.session() as session:
        count = (await session.exec(select(func.count()).select_from(Submission))).one()
    assert count == 1
    assert not any("đã có lỗi" in m.text for m in c.emu.messages(user))
    await asyncio.sleep(0)


BASIC = -4000001  # a basic group: only these are upgraded


async def relink_to_basic_group(c: Cluster) -> None:
    assert c.admin is not None
    await c.h.add_to_group(c.admin, BASIC, "Cụm thi đua (nhóm thường)")
    await c.h.say(c.admin, BASIC, "/link")


async def test_the_cluster_follows_its_group_to_a_supergroup(cluster: Cluster) -> None:
    c = cluster
    await relink_to_basic_group(c)
    await c.open_round()
    supergroup, _ = await c.h.migrate(BASIC)
    assert supergroup.id != BASIC
    async with c.h.db.session() as session:
        from storage import clusters

        row = await clusters.get_cluster(session, CLUSTER)
        assert row is not None and row.group_chat_id == supergroup.id
    await c.submit("yen-bai", ["1", "2", "3", "50", "x"])
    await c.h.settled()
    progress = [m for m in c.emu.messages(supergroup.id) if PAST in m.text]
    assert len(progress) == 1 and f"{PAST} 1/7" in progress[0].text
    # A member of the cluster's group is known there too.
    status = await c.h.say(c.officers["phu-tho"], supergroup.id, "/status")
    assert "Tình hình nộp báo cáo" in status[-1].text


async def test_a_post_to_the_old_group_id_follows_chat_migrated(cluster: Cluster) -> None:
    """When the service message was missed, Telegram's 400 with migrate_to_chat_id is enough."""
    c = cluster
    await relink_to_basic_group(c)
    await c.open_round()
    supergroup, _ = await c.h.migrate(BASIC)
    from storage import clusters

    async with c.h.db.session() as session:
        # As if the bot had never seen the service messages.
        assert await clusters.move_group(session, supergroup.id, BASIC)
    await c.submit("yen-bai", ["1", "2", "3", "50", "x"])
    await c.emu.wait_until(
        lambda: any(f"{PAST} 1/7" in m.text for m in c.emu.messages(supergroup.id)), timeout=10
    )
    async with c.h.db.session() as session:
        row = await clusters.get_cluster(session, CLUSTER)
        assert row is not None and row.group_chat_id == supergroup.id


async def test_a_group_answer_nobody_waits_for_is_dropped_not_sent_late(cluster: Cluster) -> None:
    """A group's answer keeps for 3 minutes (GROUP_REPLY_TTL) of the host's time, on which
    effects are due and retried: while Telegram fails the group, the worker retries it; once
    it has expired it is dropped, and nothing old turns up when the group can be reached."""
    h, emu = cluster.h, cluster.emu
    assert h.app is not None and h.db is not None
    worker = h.app.bot_data["effects"]
    ahead = timedelta(0)
    worker.clock = lambda: system_clock() + ahead  # the host's time, which the test moves
    failing = True
    tried: list[str] = []

    def group_down(method: str, chat: int | None) -> ApiError | None:
        if chat != GROUP or not failing:
            return None
        tried.append(method)
        return ApiError(502, "Bad Gateway")

    fail_when(emu, group_down)
    before = len(emu.messages(GROUP))
    update = await emu.send_text(cluster.head, GROUP, "/status")
    assert update is not None
    await h.tracker.wait(update)
    await emu.wait_until(lambda: bool(tried))  # the answer was tried, and failed
    ahead = timedelta(minutes=4)
    failing = False
    worker.wake()
    await h.settled()
    assert len(emu.messages(GROUP)) == before  # nothing sent late
    async with h.db.session(write=False) as s:
        assert await effects.pending_in_chat(s, GROUP) == 0
