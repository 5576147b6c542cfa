"""The year's pact in the chat, through the emulator: the head opens it, the group sees its text
and one live count edited in place, every department's officer signs with the button, and
what must be refused is."""

from __future__ import annotations

from decimal import Decimal

from bot.emulator import EmuUser
from bot.emulator.model import SentMessage
from storage import pacts
from tests.conftest import CLUSTER, GROUP, SLUGS, Cluster
from tests.mergers.world import merge


def counts(cluster: Cluster) -> list[SentMessage]:
    return [m for m in cluster.emu.messages(GROUP) if "Đã ký giao ước:" in m.text]


def sign_copy(cluster: Cluster, user: EmuUser) -> SentMessage:
    (copy,) = [m for m in cluster.emu.messages(user.id) if "Ký giao ước" in str(m.buttons)]
    return copy


async def signatures(cluster: Cluster, year: int = 2024) -> list[tuple[int, str]]:
    async with cluster.h.db.session() as session:
        pact = await pacts.get_pact(session, CLUSTER, year)
        assert pact is not None
        return [(s.department_id, s.state) for s in await pacts.list_signatures(session, pact)]


async def test_the_head_opens_and_every_department_signs(cluster: Cluster) -> None:
    h, head = cluster.h, cluster.head
    replies = await h.say(head, GROUP, "/pact 2023")
    (answer,) = [m for m in replies if "Đã mở giao ước thi đua năm 2023" in m.text]
    assert answer.chat_id == GROUP and "đã gửi 7 cán bộ của 7 đơn vị" in answer.text
    group = [m.text for m in cluster.emu.messages(GROUP)]
    (text,) = [t for t in group if "Giao ước thi đua năm 2023 của Cụm thi đua" in t]
    assert "Nội dung giao ước" in text and "1. Thực hiện tốt chủ trương" in text
    assert "Sở Nội vụ tỉnh Bắc Kạn: 150" in text  # a department's own target
    assert "Mức giao" in text
    (count,) = counts(cluster)
    assert "Đã ký giao ước: 0/7 (năm 2023)." in count.text

    for n, slug in enumerate(SLUGS, start=1):
        officer = cluster.officers[slug]
        copy = sign_copy(cluster, officer)
        assert "1. Thực hiện tốt chủ trương" in copy.text
        pressed = await h.press(officer, copy, "✍️ Ký giao ước")
        assert any("đã ký giao ước thi đua năm 2023" in m.text for m in pressed), slug
        assert ("✅ Đã ký", copy.buttons[0][1]) == copy.buttons[0]  # the button says so now
        assert f"Đã ký giao ước: {n}/7 (năm 2023)." in counts(cluster)[0].text
    # One message, edited in place as the departments signed.
    (count,) = counts(cluster)
    assert len(count.edits) >= 1
    assert "Đã ký giao ước: 7/7 (năm 2023). Tất cả các đơn vị đã ký." == count.text
    assert len(await signatures(cluster, 2023)) == 7

    # /pact status lists them all as signed.
    (status,) = await h.say(head, head.id, "/pact status 2023")
    assert "đã ký: 7/7" in status.text and "chưa ký" not in status.text


async def test_a_second_signature_changes_nothing(cluster: Cluster) -> None:
    h, head = cluster.h, cluster.head
    await h.say(head, head.id, "/pact")
    officer = cluster.officers["yen-bai"]
    copy = sign_copy(cluster, officer)
    await h.press(officer, copy, "✍️ Ký giao ước")
    before = await signatures(cluster)
    edits = len(counts(cluster)[0].edits)
    # The same button again, and another officer of the same department.
    again = await h.press_data(officer, copy, copy.buttons[0][1] or "")
    assert "đã ký giao ước thi đua năm 2024 rồi; không có gì thay đổi" in again[0].text
    colleague = h.user(1201, "Cán bộ thứ hai Yên Bái")
    await h.say(colleague, colleague.id, f"/start {await h.invite(CLUSTER, 'yen-bai')}")
    (own,) = await h.say(colleague, colleague.id, "/help")
    other = await h.press_data(colleague, own, copy.buttons[0][1] or "")
    assert "rồi; không có gì thay đổi" in other[0].text
    assert await signatures(cluster) == before
    assert len(counts(cluster)[0].edits) == edits
    assert "Đã ký giao ước: 1/7" in counts(cluster)[0].text

    (status,) = await h.say(officer, officer.id, "/pact status")
    assert "✅ Sở Nội vụ tỉnh Yên Bái" in status.text
    assert "⏳ Sở Nội vụ tỉnh Bắc Kạn: chưa ký" in status.text


async def test_an_officer_cannot_open_and_forged_buttons_are_refused(cluster: Cluster) -> None:
    h, head = cluster.h, cluster.head
    officer = cluster.officers["phu-tho"]
    (refused,) = await h.say(officer, officer.id, "/pact")
    assert "Chỉ Trưởng cụm hoặc quản trị viên mới mở giao ước" in refused.text
    assert counts(cluster) == []
    async with h.db.session() as session:
        assert await pacts.get_pact(session, CLUSTER, 2024) is None

    await h.say(head, head.id, "/pact")
    copy = sign_copy(cluster, officer)
    pact_id = int((copy.buttons[0][1] or "").rsplit(":", 1)[1])
    for data in (f"pa:s:{pact_id + 1}", "pa:s:abc", "pa:zz", f"pa:s:0{pact_id}", "pa:s:"):
        answer = await h.press_data(officer, copy, data)
        assert "đã cũ hoặc không hợp lệ" in answer[0].text, data
    # An officer replaying the head's decision: refused, nothing decided.
    answer = await h.press_data(officer, copy, f"pa:ok:{pact_id}:1")
    assert "Chỉ Trưởng cụm hoặc quản trị viên" in answer[0].text
    # A stranger pressing a real button: refused, nothing signed.
    stranger = h.user(4242, "Người lạ")
    (hello,) = await h.say(stranger, stranger.id, "/start")
    answer = await h.press_data(stranger, hello, f"pa:s:{pact_id}")
    assert "đã cũ hoặc không hợp lệ" in answer[0].text
    assert await signatures(cluster) == []
    # Opening twice: refused by the service's own rule.
    (twice,) = await h.say(head, head.id, "/pact 2024")
    assert "Giao ước thi đua năm 2024 đã được mở" in twice.text
    assert len(counts(cluster)) == 1
    # An officer asking for the open pact gets it with the button (a lost copy, a late joiner).
    (shown,) = await h.say(officer, officer.id, "/pact")
    assert "1. Thực hiện tốt chủ trương" in shown.text
    await h.press(officer, shown, "✍️ Ký giao ước")
    assert len(await signatures(cluster)) == 1
    assert "Đã ký giao ước: 1/7" in counts(cluster)[0].text


async def test_a_proposal_accepted_by_the_head(cluster: Cluster) -> None:
    h, head = cluster.h, cluster.head
    await h.say(head, head.id, "/pact")
    officer = cluster.officers["tuyen-quang"]
    (sent,) = [
        m
        for m in await h.say(
            officer, officer.id, "/pact propose tinh-gian-bien-che 1.203 csdl-can-bo 99,5"
        )
        if m.chat_id == officer.id
    ]
    assert "Đã gửi mức giao đề xuất năm 2024 tới Trưởng cụm" in sent.text
    (ask,) = [m for m in cluster.emu.messages(head.id) if m.text.startswith("📝")]
    assert "Sở Nội vụ tỉnh Tuyên Quang" in ask.text
    assert "Số trường hợp tinh giản biên chế: 1.203 trường hợp" in ask.text  # read and shown vi
    assert "(Đúng - Đủ - Sạch - Sống): 99,5%" in ask.text
    assert "Đã ký giao ước: 0/7" in counts(cluster)[0].text  # waiting for the head
    # Only the head decides.
    answer = await h.press_data(officer, sign_copy(cluster, officer), ask.buttons[0][1] or "")
    assert "Chỉ Trưởng cụm" in answer[0].text
    accept = ask.buttons[0][1] or ""
    await h.press(head, ask, "✅ Chấp nhận")
    assert ask.buttons == []  # the decision replaced the buttons
    assert "đã được chấp nhận" in ask.text
    assert any("đã được chấp nhận" in m.text for m in cluster.emu.messages(officer.id))
    assert "Đã ký giao ước: 1/7" in counts(cluster)[0].text
    # A second decision of the same proposal: refused, nothing changes.
    again = await h.press_data(head, ask, accept)
    assert "không có mức giao đề xuất nào đang chờ" in again[0].text
    assert [s for _, s in await signatures(cluster)] == ["accepted"]
    async with h.db.session() as session:
        pact = await pacts.get_pact(session, CLUSTER, 2024)
        assert pact is not None
        (signature,) = await pacts.list_signatures(session, pact)
        assert pacts.proposed_targets(signature) == {
            "tinh-gian-bien-che": Decimal("1203"),
            "csdl-can-bo": Decimal("99.5"),
        }


async def test_english_for_a_user_who_chose_it(cluster: Cluster) -> None:
    h, head = cluster.h, cluster.head
    officer = cluster.officers["hoa-binh"]
    await h.say(officer, officer.id, "/language en")
    await h.say(head, head.id, "/pact")
    copy = sign_copy_en(cluster, officer)
    assert "Commitments" in copy.text and "Targets" in copy.text
    answer = await h.press(officer, copy, "✍️ Sign the pact")
    assert any("has signed the emulation pact 2024" in m.text for m in answer)
    (status,) = await h.say(officer, officer.id, "/pact status")
    assert "signed: 1/7" in status.text and "not signed yet" in status.text
    # The group keeps the group's language.
    assert "Đã ký giao ước: 1/7" in counts(cluster)[0].text


def sign_copy_en(cluster: Cluster, user: EmuUser) -> SentMessage:
    (copy,) = [m for m in cluster.emu.messages(user.id) if "Sign the pact" in str(m.buttons)]
    return copy


async def test_an_admin_opens_and_a_returned_proposal_is_signed_again(cluster: Cluster) -> None:
    h, head, admin = cluster.h, cluster.head, cluster.admin
    assert admin is not None
    (opened,) = [m for m in await h.say(admin, admin.id, "/pact 2023") if m.chat_id == admin.id]
    assert "Đã mở giao ước thi đua năm 2023" in opened.text
    officer = cluster.officers["bac-giang"]
    await h.say(officer, officer.id, "/pact propose kiem-tra-ky-luat 25 2023")
    (ask,) = [m for m in cluster.emu.messages(head.id) if m.text.startswith("📝")]
    await h.press(head, ask, "↩️ Trả lại")
    assert "đã bị trả lại" in ask.text
    back = [m for m in cluster.emu.messages(officer.id) if "đã bị trả lại" in m.text]
    assert len(back) == 1 and "Ký giao ước" in str(back[0].buttons)
    assert [s for _, s in await signatures(cluster, 2023)] == ["returned"]
    # Returned: the department signs again, as written, with the button it got back.
    answer = await h.press(officer, back[0], "✍️ Ký giao ước")
    assert any("đã ký giao ước thi đua năm 2023" in m.text for m in answer)
    assert [s for _, s in await signatures(cluster, 2023)] == ["signed"]
    assert "Đã ký giao ước: 1/7" in counts(cluster)[0].text


async def test_after_the_merger_the_roll_is_the_five_successors(cluster: Cluster) -> None:
    await merge(cluster)
    h, head = cluster.h, cluster.officers["tuyen-quang"]  # the 2025 head
    replies = await h.say(head, head.id, "/pact 2025")
    (answer,) = [m for m in replies if m.chat_id == head.id and "Đã mở" in m.text]
    assert "đã gửi 5 cán bộ của 5 đơn vị" in answer.text
    assert "Đã ký giao ước: 0/5 (năm 2025)." in counts(cluster)[0].text
    former = cluster.officers["yen-bai"]  # merged into Lào Cai
    assert not [m for m in cluster.emu.messages(former.id) if "Ký giao ước" in str(m.buttons)]
    (shown,) = await h.say(former, former.id, "/pact 2025")
    assert shown.buttons == []  # the text, but no button for a department off the roll
    pact_id = int((sign_copy(cluster, head).buttons[0][1] or "").rsplit(":", 1)[1])
    (refused,) = await h.press_data(former, shown, f"pa:s:{pact_id}")
    assert "không có trong danh sách ký giao ước này" in refused.text
    assert await signatures(cluster, 2025) == []
    successor = cluster.officers["lao-cai"]
    await h.press(successor, sign_copy(cluster, successor), "✍️ Ký giao ước")
    assert "Đã ký giao ước: 1/5 (năm 2025)." in counts(cluster)[0].text
