"""A department's own nominations through the emulator: `/nominate list`, change a part of one
or withdraw it until the individuals' vote opens; another department's officer, a forged or
old button, a change finished after the vote opened: all refused, nothing changed."""

from __future__ import annotations

from bot.domain.callback_data import NominationEdit, NominationWithdrawConfirm
from bot.emulator import SentMessage
from bot.emulator.users import EmuUser
from tests.conftest import CLUSTER, GROUP, Cluster

HOA = ["Nguyễn Thị Hoa", "Trưởng phòng Công chức, viên chức", "Hoàn thành xuất sắc nhiệm vụ"]
BINH = ["Lê Văn Bình", "Chuyên viên chính", "Chiến sĩ thi đua cơ sở"]


async def nominate(c: Cluster, user: EmuUser, answers: list[str]) -> SentMessage:
    await c.h.say(user, user.id, "/nominate 2023")
    for answer in answers:
        sent = await c.h.say(user, user.id, answer)
    return sent[-1]


async def own_list(c: Cluster, user: EmuUser) -> SentMessage:
    return [m for m in await c.h.say(user, user.id, "/nominate list 2023") if m.chat_id == user.id][
        -1
    ]


def nominee_id(message: SentMessage, name: str) -> int:
    """The nominee id the «Change: NAME» button carries."""
    for row in message.reply_markup or []:
        for button in row:
            if name in str(button.get("text")):
                return int(str(button["callback_data"]).rsplit(":", 1)[1])
    raise AssertionError(f"no button for {name}: {message.button_texts}")


async def second_officer(c: Cluster, slug: str) -> EmuUser:
    user = c.h.user(2101, f"Cán bộ thứ hai {slug}")
    await c.h.say(user, user.id, f"/start {await c.h.invite(CLUSTER, slug)}")
    return user


def group_texts(c: Cluster) -> list[str]:
    return [m.text for m in c.emu.messages(GROUP)]


async def test_a_department_changes_and_withdraws_its_nominees_until_the_vote_opens(
    ecluster: Cluster,
):
    c = ecluster
    officer = c.officers["thai-nguyen"]
    first = await nominate(c, officer, HOA)
    assert "Đã đề nghị: Nguyễn Thị Hoa" in first.text
    assert "Sửa: Nguyễn Thị Hoa" in " ".join(first.button_texts)
    await nominate(c, officer, BINH)
    listed = await own_list(c, officer)
    assert "Cá nhân Sở Nội vụ tỉnh Thái Nguyên đề nghị tặng Bằng khen năm 2023 (2)" in listed.text
    assert "Nguyễn Thị Hoa" in listed.text and "Lê Văn Bình" in listed.text

    # Change the position of the first: which part, then the new text as the next message.
    choose = [m for m in await c.h.press(officer, listed, "Sửa: Nguyễn Thị Hoa")][-1]
    assert "Sửa nội dung nào" in choose.text
    asked = (await c.h.press(officer, choose, "Chức vụ"))[-1]
    assert "Gửi chức vụ mới của Nguyễn Thị Hoa" in asked.text
    refused = (await c.h.say(officer, officer.id, "   "))[-1]  # empty: asked again
    assert "Vui lòng gửi câu trả lời không để trống" in refused.text
    changed = (await c.h.say(officer, officer.id, "Phó Giám đốc Sở"))[-1]
    assert "Đã sửa đề nghị: Nguyễn Thị Hoa, Phó Giám đốc Sở" in changed.text

    # Another officer of the same department withdraws the second (after a confirmation).
    colleague = await second_officer(c, "thai-nguyen")
    theirs = await own_list(c, colleague)
    assert "Phó Giám đốc Sở" in theirs.text
    confirm = (await c.h.press(colleague, theirs, "Rút: Lê Văn Bình"))[-1]
    assert "Rút đề nghị đối với Lê Văn Bình?" in confirm.text
    await c.h.press(colleague, confirm, "Đồng ý rút")
    assert "Đã rút đề nghị đối với Lê Văn Bình" in confirm.text
    theirs = await own_list(c, colleague)
    assert "(1)" in theirs.text and "Nguyễn Thị Hoa" in theirs.text and "Bình" not in theirs.text

    opened = await c.h.say(c.head, GROUP, "/award individual 2023")
    post = next(m for m in opened if m.chat_id == GROUP and "Bằng khen cá nhân" in m.text)
    assert (
        "Nguyễn Thị Hoa</b>, Phó Giám đốc Sở" in (post.html or "")
        and "Lê Văn Bình" not in post.text
    )

    # On the ballot now: listed without buttons, old buttons refused, nothing changes.
    after = await own_list(c, officer)
    assert "đã đưa ra bỏ phiếu: không sửa được nữa" in after.text and not after.buttons
    for label in ("Sửa: Nguyễn Thị Hoa", "Rút: Nguyễn Thị Hoa"):
        reply = (await c.h.press(officer, listed, label))[-1]
        assert "Cụm đã mở bỏ phiếu đối với cá nhân này" in reply.text
    ballot = [m for m in await c.h.say(officer, officer.id, "/vote") if m.chat_id == officer.id]
    assert "Nguyễn Thị Hoa, Phó Giám đốc Sở" in ballot[-1].text


async def test_a_change_finished_after_the_vote_opened_is_refused(ecluster: Cluster):
    c = ecluster
    officer = c.officers["bac-kan"]
    await nominate(c, officer, HOA)
    listed = await own_list(c, officer)
    choose = (await c.h.press(officer, listed, "Sửa: Nguyễn Thị Hoa"))[-1]
    await c.h.press(officer, choose, "Thành tích")
    await c.h.say(c.head, GROUP, "/award individual 2023")
    late = (await c.h.say(officer, officer.id, "Thành tích đã sửa"))[-1]
    assert "Cụm đã mở bỏ phiếu đối với cá nhân này" in late.text
    # The conversation is over: the next message is no answer, and the ballot is unchanged.
    ballot = [m for m in await c.h.say(officer, officer.id, "/vote") if m.chat_id == officer.id]
    assert "Hoàn thành xuất sắc nhiệm vụ" in ballot[-1].text
    assert "Thành tích đã sửa" not in ballot[-1].text


async def test_a_change_is_cancelled_and_refused_when_too_long(ecluster: Cluster):
    c = ecluster
    officer = c.officers["hoa-binh"]
    await nominate(c, officer, HOA)
    listed = await own_list(c, officer)
    choose = (await c.h.press(officer, listed, "Sửa: Nguyễn Thị Hoa"))[-1]
    await c.h.press(officer, choose, "Họ và tên")
    too_long = (await c.h.say(officer, officer.id, "A" * 500))[-1]
    assert "Quá dài" in too_long.text
    cancelled = (await c.h.say(officer, officer.id, "/cancel"))[-1]
    assert "Đã hủy sửa; đề nghị giữ nguyên" in cancelled.text
    again = await own_list(c, officer)
    assert "Nguyễn Thị Hoa" in again.text and "AAAA" not in again.text


async def test_another_department_and_forged_buttons_are_refused(ecluster: Cluster):
    c = ecluster
    owner, other = c.officers["thai-nguyen"], c.officers["yen-bai"]
    await nominate(c, owner, HOA)
    listed = await own_list(c, owner)
    target = nominee_id(listed, "Nguyễn Thị Hoa")
    mine = await own_list(c, other)  # a message of the other officer's own to press on
    assert "(0)" in mine.text and not mine.buttons
    for data in (NominationEdit(target).encode(), NominationWithdrawConfirm(target).encode()):
        reply = (await c.h.press_data(other, mine, data))[-1]
        assert "Đề nghị này thuộc đơn vị khác" in reply.text
    forged = (await c.h.press_data(owner, listed, "nm:wok:xyz"))[-1]
    assert "Nút này không hợp lệ" in forged.text
    gone = (await c.h.press_data(owner, listed, NominationEdit(target + 999).encode()))[-1]
    assert "không còn" in gone.text
    # Pressed in the group (where the bot never sends these buttons): refused too.
    in_group = await c.h.press_data(
        owner, c.emu.messages(GROUP)[-1], NominationEdit(target).encode()
    )
    assert in_group and "nhắn riêng" in in_group[-1].text
    still = await own_list(c, owner)
    assert "Nguyễn Thị Hoa" in still.text and "(1)" in still.text


async def test_only_an_officer_of_a_department_lists_its_nominees(ecluster: Cluster):
    c = ecluster
    assert c.admin is not None
    refused = (await c.h.say(c.admin, c.admin.id, "/nominate list"))[-1]
    assert "Chỉ cán bộ đầu mối của đơn vị thành viên" in refused.text
    stranger = c.h.user(2999, "Người lạ")
    strange = await c.h.say(stranger, stranger.id, "/nominate list")
    assert strange and "Nguyễn" not in strange[-1].text
