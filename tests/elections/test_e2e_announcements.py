"""Announcements through the emulator: preview, send, pin, "Đã nhận", /acks, one nudge."""

from __future__ import annotations

from bot.jobs import announcements as jobs
from tests.conftest import GROUP, Cluster

TEXT = "Hội nghị tổng kết công tác thi đua năm 2023 tổ chức ngày 20/01/2024 tại Tuyên Quang."


async def test_announce_acknowledge_and_nudge_the_rest(ecluster: Cluster):
    c = ecluster
    head = c.head
    preview = await c.h.say(head, head.id, f"/announce {TEXT}")
    assert TEXT in preview[0].text and "Thông báo của Cụm trưởng" in preview[0].text
    controls = preview[-1]
    assert "Xem lại thông báo" in controls.text and "7 cán bộ đầu mối của 7 đơn vị" in controls.text
    await c.h.press(head, controls, "Ghim")
    assert "Ghim: có" in str(controls.buttons)
    await c.h.press(head, controls, "Gửi")
    assert "Đã gửi thông báo vào nhóm của cụm" in controls.text
    posted = [m for m in c.emu.messages(GROUP) if TEXT in m.text]
    assert len(posted) == 1 and posted[0].message_id in c.emu.pinned_message_ids(GROUP)
    # A second press of "Gửi" sends nothing more.
    await c.h.press_data(
        head, controls, (controls.buttons[0][1] if controls.buttons else None) or "an:send:1"
    )
    assert len([m for m in c.emu.messages(GROUP) if TEXT in m.text]) == 1

    copies = {slug: c.emu.messages(user)[-1] for slug, user in c.officers.items()}
    assert all(TEXT in m.text and "Đã nhận" in str(m.buttons) for m in copies.values())
    for slug in ("tuyen-quang", "hoa-binh", "bac-giang"):
        replies = await c.h.press(c.officers[slug], copies[slug], "Đã nhận")
        assert "Đã ghi nhận" in replies[-1].text
    again = await c.h.press(c.officers["hoa-binh"], copies["hoa-binh"], "Đã nhận")
    assert not any("Đã ghi nhận" in m.text for m in again)  # already acknowledged: no new reply

    acks = (await c.h.say(head, head.id, "/acks"))[-1].text
    assert "Đã nhận: 3/7 đơn vị" in acks
    assert "✅ Sở Nội vụ tỉnh Tuyên Quang: Cán bộ tuyen-quang" in acks
    assert "⏳ Sở Nội vụ tỉnh Bắc Kạn: chưa xác nhận" in acks
    officer = c.officers["yen-bai"]
    assert "Chỉ Cụm trưởng, Cụm phó" in (await c.h.say(officer, officer.id, "/acks"))[-1].text

    # Friday 5/1/2024 08:00 + one working day = Monday 8/1 08:00.
    assert c.h.app is not None
    c.clock.advance(days=2)
    await jobs.tick(c.h.app)
    assert not any(
        "Nhắc xác nhận" in m.text for u in c.officers.values() for m in c.emu.messages(u)
    )
    c.clock.advance(days=1, minutes=1)
    await jobs.tick(c.h.app)
    await jobs.tick(c.h.app)  # never twice
    nudged = {
        slug: [m for m in c.emu.messages(user) if "Nhắc xác nhận" in m.text]
        for slug, user in c.officers.items()
    }
    assert {slug for slug, ms in nudged.items() if ms} == {
        "bac-kan",
        "thai-nguyen",
        "yen-bai",
        "phu-tho",
    }
    assert all(len(ms) <= 1 for ms in nudged.values())
    # The nudge carries the button too.
    replies = await c.h.press(c.officers["yen-bai"], nudged["yen-bai"][0], "Đã nhận")
    assert "Đã ghi nhận" in replies[-1].text
    assert "Đã nhận: 4/7 đơn vị" in (await c.h.say(head, head.id, "/acks"))[-1].text


async def test_compose_in_two_steps_with_a_document_or_cancel(ecluster: Cluster):
    c = ecluster
    head = c.head
    prompt = await c.h.say(head, head.id, "/announce")
    assert "Gửi nội dung thông báo" in prompt[-1].text
    cancelled = await c.h.say(head, head.id, "/cancel")
    assert "Đã hủy thông báo" in cancelled[-1].text
    await c.h.say(head, head.id, "/announce")
    preview = await c.h.upload(
        head, head.id, "ke-hoach-2024.pdf", b"%PDF-1.4 test", caption="Kế hoạch thi đua năm 2024"
    )
    assert preview[0].kind == "document" and "Kế hoạch thi đua năm 2024" in preview[0].text
    await c.h.press(head, preview[-1], "Gửi")
    group_docs = [m for m in c.emu.messages(GROUP) if m.kind == "document"]
    assert len(group_docs) == 1 and "Kế hoạch thi đua năm 2024" in group_docs[0].text
    copy = c.emu.messages(c.officers["phu-tho"])[-1]
    assert copy.kind == "document" and "Đã nhận" in str(copy.buttons)
    # Other officers' private messages are not taken for announcements.
    officer = c.officers["phu-tho"]
    assert not any(
        "Xem lại thông báo" in m.text for m in await c.h.say(officer, officer.id, "xin chào")
    )


async def test_only_leaders_announce(ecluster: Cluster):
    c = ecluster
    officer = c.officers["phu-tho"]
    assert "Chỉ Cụm trưởng, Cụm phó" in (await c.h.say(officer, officer.id, "/announce x"))[-1].text
    deputy = c.officers["bac-giang"]
    preview = await c.h.say(deputy, deputy.id, "/announce Lịch họp")
    assert "Thông báo của Cụm phó" in preview[0].text
    await c.h.press(deputy, preview[-1], "Hủy")
    assert "Đã hủy thông báo" in preview[-1].text
    assert not any("Lịch họp" in m.text for m in c.emu.messages(GROUP))


async def test_an_author_who_wrote_before_still_composes_after_a_bare_announce(
    ecluster: Cluster,
):
    """The bot remembers who is not composing (a private message then skips the look-up):
    a bare /announce must make it look again, or the next message would be lost."""
    c = ecluster
    head = c.head
    await c.h.say(head, head.id, "xin chào")  # not composing: remembered
    prompt = await c.h.say(head, head.id, "/announce")
    assert "Gửi nội dung thông báo" in prompt[-1].text
    preview = await c.h.say(head, head.id, "Họp cụm lúc 8 giờ thứ Hai")
    assert any("Họp cụm lúc 8 giờ thứ Hai" in m.text for m in preview)
    assert "Gửi" in str(preview[-1].buttons)
