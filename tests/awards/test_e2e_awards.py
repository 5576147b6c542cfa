"""Award proposals through the emulator: the head opens a vote in the group, officers vote in
private with buttons, the group sees the turnout and the count with its thresholds."""

from __future__ import annotations

from bot.domain.callback_data import AwardCast
from bot.emulator import SentMessage
from bot.emulator.faults import Faults
from bot.jobs import elections as jobs
from tests.conftest import GROUP, Cluster
from tests.elections.conftest import turnout_text
from tests.elections.test_e2e_elections import NAMES, SLUGS


def group_texts(c: Cluster) -> list[str]:
    return [m.text for m in c.emu.messages(GROUP)]


async def ballot(c: Cluster, slug: str) -> SentMessage:
    user = c.officers[slug]
    sent = [m for m in await c.h.say(user, user.id, "/vote") if m.chat_id == user.id]
    return sent[-1]


async def approve(c: Cluster, slug: str, *choices: str) -> SentMessage:
    """The officer of `slug` ticks these departments and confirms. Returns the ballot message,
    which the bot turns into the receipt (or a refusal)."""
    user = c.officers[slug]
    message = await ballot(c, slug)
    for choice in choices:
        await c.h.press(user, message, NAMES[choice])
    replies = [m for m in await c.h.press(user, message, "Xác nhận phiếu") if m.chat_id == user.id]
    return replies[-1] if replies else message


async def test_the_flag_is_proposed_with_two_thirds_of_the_roll(ecluster: Cluster):
    c = ecluster
    opened = await c.h.say(c.head, GROUP, "/award flag 2023")
    post = next(m for m in opened if m.chat_id == GROUP and "Cờ thi đua" in m.text)
    assert "Bình xét đề nghị tặng Cờ thi đua năm 2023" in post.text
    assert "ít nhất 2/3 tổng số 7 đơn vị trong danh sách" in post.text
    assert "Đơn vị được đề cử (7)" in post.text
    for slug in ["bac-kan", "bac-giang", "thai-nguyen", "hoa-binh", "yen-bai"]:
        receipt = await approve(c, slug, "bac-kan")
        assert "Đơn vị đã bỏ phiếu" in receipt.text and "Mã phiếu" in receipt.text
        assert "Đã chọn: Sở Nội vụ tỉnh Bắc Kạn" in receipt.text
    assert "5/7 đơn vị đã bỏ phiếu" in turnout_text(c)
    # A second ballot of the same department is refused; its receipt offers a replacement.
    again = await ballot(c, "bac-kan")
    assert "đã bỏ phiếu" in again.text and not again.buttons
    closed = await c.h.say(c.head, GROUP, "/award close")
    assert closed
    result = next(t for t in group_texts(c) if "Kết quả kiểm phiếu" in t)
    assert "5/7 đơn vị đã bỏ phiếu" in result
    assert "Sở Nội vụ tỉnh Bắc Kạn: 5 phiếu — đạt ngưỡng" in result
    assert "Đề nghị tặng Cờ thi đua: Sở Nội vụ tỉnh Bắc Kạn." in result
    assert "Mã phiếu đã kiểm (5)" in result


async def test_over_n_approvals_is_refused_and_a_threshold_not_reached_is_said(
    ecluster: Cluster,
):
    c = ecluster
    await c.h.say(c.head, GROUP, "/award collective 2023 bac-kan thai-nguyen tuyen-quang")
    user = c.officers["phu-tho"]
    message = await ballot(c, "phu-tho")
    labels = [label for label, _ in message.buttons]
    assert any("Tuyên Quang" in label for label in labels) and len(labels) == 4
    await c.h.press(user, message, NAMES["bac-kan"])
    await c.h.press(user, message, NAMES["thai-nguyen"])
    refused = [
        m for m in await c.h.press(user, message, NAMES["tuyen-quang"]) if m.chat_id == user.id
    ]
    assert "không được chọn quá số đơn vị" in refused[-1].text
    # A forged confirmation with three approvals is refused by the server too.
    data = message.buttons[0][1]
    assert data is not None
    round_id = int(data.split(":")[2])
    forged = AwardCast(round_id, 0b111, 0).encode()
    said = [m for m in await c.h.press_data(user, message, forged) if m.chat_id == user.id]
    assert "không được chọn quá số đơn vị" in said[-1].text
    junk = [m for m in await c.h.press_data(user, message, "aw:ok:x") if m.chat_id == user.id]
    assert "không hợp lệ" in junk[-1].text
    await c.h.press(user, message, "Xác nhận phiếu")  # the ballot becomes the receipt
    assert "Thái Nguyên" in message.text and "Tuyên Quang" not in message.text
    await approve(c, "bac-giang", "tuyen-quang")
    c.clock.advance(hours=25)
    assert c.h.app is not None
    await jobs.tick(c.h.app)
    await c.h.settled()
    result = next(t for t in group_texts(c) if "Kết quả kiểm phiếu" in t)
    assert "2/7 đơn vị đã bỏ phiếu" in result
    assert "Sở Nội vụ tỉnh Bắc Kạn: 1 phiếu — không đạt ngưỡng" in result
    assert "Không đơn vị nào đạt ngưỡng: không đề nghị tặng Bằng khen tập thể" in result


async def test_individuals_are_nominated_in_a_conversation_and_voted_yes_or_no(
    ecluster: Cluster,
):
    c = ecluster
    officer = c.officers["thai-nguyen"]
    refused = await c.h.say(c.head, GROUP, "/award individual 2023")
    assert "chưa có cá nhân nào được đề nghị" in refused[-1].text
    # A private message first: the bot then knows this officer is entering no nomination, and
    # /nominate must make it look again (bot/handlers/conversations.py).
    await c.h.say(officer, officer.id, "xin chào")
    steps = [
        "/nominate 2023",
        "Nguyễn Thị Hoa",
        "Trưởng phòng Công chức, viên chức",
        "Hoàn thành xuất sắc nhiệm vụ năm 2023",
    ]
    answers = [(await c.h.say(officer, officer.id, s))[-1].text for s in steps]
    assert "Bước 1/3" in answers[0] and "Bước 2/3" in answers[1] and "Bước 3/3" in answers[2]
    assert "Đã đề nghị: Nguyễn Thị Hoa, Trưởng phòng" in answers[3]
    opened = await c.h.say(c.head, GROUP, "/award individual 2023")
    post = next((m for m in opened if m.chat_id == GROUP and "Bằng khen cá nhân" in m.text), None)
    assert post is not None, [m.text for m in opened]
    assert "Nguyễn Thị Hoa" in post.text and "Hoàn thành xuất sắc" in post.text
    for slug in SLUGS[:4]:
        user = c.officers[slug]
        message = await ballot(c, slug)
        await c.h.press(user, message, "Nguyễn Thị Hoa")  # ⬜ -> ✅
        if slug == "hoa-binh":
            await c.h.press(user, message, "Nguyễn Thị Hoa")  # ✅ -> ❌
        await c.h.press(user, message, "Xác nhận phiếu")  # the ballot becomes the receipt
        verdict = "không đồng ý" if slug == "hoa-binh" else "đồng ý"
        assert f"Nguyễn Thị Hoa: {verdict}" in message.text
    await c.h.say(c.head, GROUP, "/award close")
    result = next(t for t in group_texts(c) if "Kết quả kiểm phiếu" in t)
    assert "3 đồng ý, 1 không đồng ý — không đạt ngưỡng" in result  # 3/7 < 1/2 of the roll
    assert "Không ai đạt ngưỡng" in result


async def test_strangers_and_officers_may_not_open_an_award_vote(ecluster: Cluster):
    c = ecluster
    officer = c.officers["yen-bai"]
    said = await c.h.say(officer, GROUP, "/award flag")
    assert "Chỉ Cụm trưởng hoặc quản trị" in said[-1].text
    usage = await c.h.say(c.head, GROUP, "/award")
    assert "/award collective" in usage[-1].text
    unknown = await c.h.say(c.head, GROUP, "/award flag ha-noi")
    assert "không phải đơn vị thành viên: ha-noi" in unknown[-1].text


async def test_a_ballot_is_replaced_with_the_key_on_its_receipt(ecluster: Cluster):
    c = ecluster
    await c.h.say(c.head, GROUP, "/award collective 2023")
    user = c.officers["yen-bai"]
    receipt = await approve(c, "yen-bai", "bac-kan")
    assert "Đã chọn: Sở Nội vụ tỉnh Bắc Kạn" in receipt.text
    sent = [m for m in await c.h.press(user, receipt, "Thay phiếu") if m.chat_id == user.id]
    replacement = sent[-1]
    assert "Thay phiếu" in replacement.text and replacement.message_id != receipt.message_id
    await c.h.press(user, replacement, NAMES["phu-tho"])
    await c.h.press(user, replacement, "Xác nhận phiếu")
    assert "Đơn vị đã thay phiếu" in replacement.text
    assert "Phú Thọ" in replacement.text and "Bắc Kạn" not in replacement.text
    assert "1/7 đơn vị đã bỏ phiếu" in turnout_text(c)  # still one ballot
    await c.h.say(c.head, GROUP, "/award close")
    result = next(t for t in group_texts(c) if "Kết quả kiểm phiếu" in t)
    assert "Sở Nội vụ tỉnh Phú Thọ: 1 phiếu" in result
    assert "Sở Nội vụ tỉnh Bắc Kạn: 0 phiếu" in result


async def test_election_commands_leave_an_award_vote_to_award(ecluster: Cluster):
    c = ecluster
    await c.h.say(c.head, GROUP, "/award flag 2023")
    await approve(c, "yen-bai", "bac-kan")
    for args in ("", " close"):
        said = await c.h.say(c.head, c.head.id, f"/election{args}")
        assert "Đang bỏ phiếu bình xét" in said[-1].text and "/award close" in said[-1].text
    assert not any("Kết quả" in t for t in group_texts(c))  # nothing was counted
    cancelled = await c.h.say(c.head, c.head.id, "/election cancel")
    assert "Bình xét đề nghị tặng Cờ thi đua năm 2023" in cancelled[-1].text
    assert (
        "Hiện không có cuộc bỏ phiếu bình xét"
        in (await c.h.say(c.head, GROUP, "/award close"))[-1].text
    )


async def test_help_lists_award_for_the_head_and_nominate_for_officers(ecluster: Cluster):
    c = ecluster
    head_help = (await c.h.say(c.head, c.head.id, "/help"))[-1].text
    assert "/award" in head_help and "/nominate" in head_help  # the head's officer is an officer
    officer = c.officers["phu-tho"]
    officer_help = (await c.h.say(officer, officer.id, "/help"))[-1].text
    assert "/nominate" in officer_help and "/award" not in officer_help


async def test_the_group_reads_the_opening_and_the_count_once(
    ecluster: Cluster,
):
    """Opened (or closed) from the group, the post is the fan-out's alone: the command's reply
    was a second copy of it. Telegram holding the post back once (a 429) changes nothing."""
    c = ecluster
    c.emu.faults = Faults(
        rate=1.0, kinds=["retry_after"], methods={"sendMessage"}, retry_after=1, limit=1
    )
    await c.h.say(c.head, GROUP, "/award collective 2023")
    assert c.emu.faults.injected == {"retry_after": 1}
    texts = group_texts(c)
    assert len([t for t in texts if t.startswith("🏅 Bình xét đề nghị tặng Bằng khen")]) == 1
    assert len([t for t in texts if t.startswith("🗳")]) == 1  # the turnout: 0/7
    await c.h.say(c.head, GROUP, "/award close")
    assert len([t for t in group_texts(c) if "Kết quả kiểm phiếu" in t]) == 1
    # From the private chat: the head reads it there, the group once.
    await c.h.say(c.head, c.head.id, "/award flag 2023")
    assert len([t for t in group_texts(c) if t.startswith("🏅 Bình xét đề nghị tặng Cờ")]) == 1
    assert any("Bình xét đề nghị tặng Cờ thi đua" in m.text for m in c.emu.messages(c.head.id))
