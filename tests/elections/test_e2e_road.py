"""Announcements and votes on the effects road, while Telegram fails some calls: the author and
the voter are told the truth after retries (never the error handler's "nothing was changed"
for a change that was stored), and the group gets nothing twice. Strangers in the cluster's
group meet the group gate and nothing else."""

from __future__ import annotations

import re

from bot.emulator import SentMessage
from tests.conftest import GROUP, Cluster
from tests.elections.conftest import turnout_text
from tests.elections.test_e2e_elections import NAMES, open_election

TEXT = "Hội nghị tổng kết công tác thi đua năm 2023 tổ chức ngày 20/01/2024 tại Tuyên Quang."
NOTHING_CHANGED = "Dữ liệu của bạn không bị thay đổi"
SENDS = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "pinChatMessage"}


def texts(c: Cluster, chat: int) -> list[str]:
    return [m.text for m in c.emu.messages(chat)]


async def test_an_announcement_sent_while_telegram_fails_some_calls(ecluster: Cluster):
    c = ecluster
    head = c.head
    preview = await c.h.say(head, head.id, f"/announce {TEXT}")
    controls = preview[-1]
    await c.h.press(head, controls, "Ghim")
    faults = c.emu.inject(
        0.3, methods=SENDS, kinds={"retry_after", "server_error"}, retry_after=1, seed=7
    )
    await c.h.press(head, controls, "Gửi")
    assert sum(faults.injected.values()) > 0
    c.emu.faults = None
    # The author reads what was reached, once everything was retried.
    report = controls.text
    assert "Đã gửi thông báo vào nhóm của cụm" in report, report
    reached = [u for u in c.officers.values() if any(TEXT in t for t in texts(c, u.id))]
    assert f"riêng cho {len(reached)} cán bộ" in report
    assert len(reached) == len(c.officers)
    assert not any(NOTHING_CHANGED in t for t in texts(c, head.id))
    # The group: one post, pinned; each officer: one copy.
    posted = [m for m in c.emu.messages(GROUP) if TEXT in m.text]
    assert len(posted) == 1 and posted[0].message_id in c.emu.pinned_message_ids(GROUP)
    for user in c.officers.values():
        if user.id != head.id:
            assert len([t for t in texts(c, user.id) if TEXT in t]) == 1


async def test_a_secret_vote_confirmed_while_telegram_fails_some_calls(ecluster: Cluster):
    c = ecluster
    await open_election(c, "2024")
    opened = [t for t in texts(c, GROUP) if "Mã kiểm tra danh sách" in t]
    user = c.officers["hoa-binh"]
    ballot = [m for m in await c.h.say(user, user.id, "/vote") if m.chat_id == user.id][-1]
    faults = c.emu.inject(
        0.5, methods=SENDS, kinds={"retry_after", "server_error"}, retry_after=1, seed=3
    )
    await c.h.press(user, ballot, NAMES["yen-bai"])
    assert sum(faults.injected.values()) > 0
    c.emu.faults = None
    receipt: SentMessage = next(
        m for m in c.emu.messages(user) if m.message_id == ballot.message_id
    )
    assert "Đơn vị đã bỏ phiếu" in receipt.text and re.search(
        r"Mã phiếu: \S{4}-\S{4}", receipt.text
    )
    assert not any(NOTHING_CHANGED in t for t in texts(c, user.id))
    assert "1/7 đơn vị đã bỏ phiếu" in turnout_text(c)
    # Nothing twice in the group: one opening post, one turnout message.
    assert [t for t in texts(c, GROUP) if "Mã kiểm tra danh sách" in t] == opened
    assert len([t for t in texts(c, GROUP) if "đơn vị đã bỏ phiếu" in t]) == 1


async def test_strangers_in_the_clusters_group_meet_only_the_gate(ecluster: Cluster):
    c = ecluster
    await open_election(c, "2024")
    stranger = c.h.user(4343, "Người lạ")
    before = len(c.emu.messages(GROUP))
    for command in ("/announce Họp gấp", "/election", "/election close", "/vote", "/minutes"):
        replies = await c.h.say(stranger, GROUP, command)
        assert len(replies) <= 1, [m.text for m in replies]
        assert all("chưa được đăng ký với cụm thi đua này" in m.text for m in replies)
        assert all(m.chat_id == GROUP and not m.buttons for m in replies)
    assert len(c.emu.messages(GROUP)) - before <= 5
    assert not any("Họp gấp" in t for t in texts(c, GROUP))
    # The election is untouched.
    head = c.head
    assert "0/7" in (await c.h.say(head, head.id, "/election"))[-1].text
