"""The head's guided /round menu, and its buttons checked again on every press."""

from __future__ import annotations

from tests.conftest import CLUSTER, GROUP, Cluster


async def test_the_guided_menu_opens_and_closes_a_round(cluster: Cluster) -> None:
    h, head = cluster.h, cluster.head
    (menu,) = await h.say(head, head.id, "/round")
    assert "Hiện không có kỳ nào đang mở" in menu.text
    # Each step replaces the menu in place rather than adding messages.
    assert await h.press(head, menu, "Mở kỳ báo cáo mới") == []
    periods = h.emu.last(head.id)
    assert periods.message_id == menu.message_id and periods.edits
    # 5 January 2024: the latest completed year, half, quarter and month.
    assert [label for label, _ in periods.buttons] == [
        "Năm 2023",
        "6 tháng cuối năm 2023",
        "Quý IV/2023",
        "Tháng 12/2023",
    ]
    assert await h.press(head, periods, "Quý IV/2023") == []
    deadlines = h.emu.last(head.id)
    assert [label for label, _ in deadlines.buttons][0] == "12/01/2024 (7 ngày)"
    opened = await h.press(head, deadlines, "12/01/2024")
    assert "Đã mở kỳ báo cáo Quý IV/2023, hạn nộp 12/01/2024" in opened[0].text
    assert any("📢 Mở kỳ báo cáo Quý IV/2023" in m.text for m in h.emu.messages(GROUP))

    (menu,) = await h.say(head, head.id, "/round")
    assert "Đang mở: Quý IV/2023 (hạn 12/01/2024)" in menu.text
    closed = await h.press(head, menu, "Đóng kỳ Quý IV/2023")
    assert "Đã đóng kỳ báo cáo Quý IV/2023" in closed[0].text
    officer = cluster.officers["yen-bai"]
    assert (
        "không có kỳ báo cáo nào đang mở" in (await h.say(officer, officer.id, "/report"))[0].text
    )


async def test_round_buttons_are_checked_again_on_every_press(cluster: Cluster) -> None:
    h, head = cluster.h, cluster.head
    (menu,) = await h.say(head, head.id, "/round")
    officer = cluster.officers["phu-tho"]
    # An officer replaying the head's button data, in their own chat: refused, nothing opens.
    (own,) = await h.say(officer, officer.id, "/help")
    refused = await h.press_data(officer, own, "ro:o:2023:20240115")
    assert "không có quyền" in refused[0].text
    # The head's own forged or stale data: refused politely.
    for data in ("ro:o:2099-Q9:20240115", "ro:o:2023:2024aa15", "ro:c:99999", "ro:p:abc", "ro:zz"):
        answer = await h.press_data(head, menu, data)
        assert "đã cũ hoặc không hợp lệ" in answer[0].text or "không hợp lệ" in answer[0].text, data
    # A deadline in the past, from a replayed button: refused by the same rule as the command.
    past = await h.press_data(head, menu, "ro:o:2023:20231231")
    assert "đã qua" in past[0].text
    async with h.db.session() as session:
        from storage import rounds

        assert await rounds.list_rounds(session, CLUSTER) == []
