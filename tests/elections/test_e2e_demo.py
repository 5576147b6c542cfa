"""The demo's election, as `clusterbot demo` runs it."""

from __future__ import annotations

from bot.demo_elections import elect_2024
from storage.clusters import find_department_by_slug, get_current_offices
from tests.conftest import CLUSTER, GROUP, Cluster


async def test_demo_elects_tuyen_quang_head_and_hoa_binh_deputy_for_2024(ecluster: Cluster):
    c = ecluster
    texts = await elect_2024(c.h, c.officers, c.head, CLUSTER, GROUP, out=None)
    joined = "\n".join(texts)
    assert "Sở Nội vụ tỉnh Tuyên Quang được bầu làm Cụm trưởng năm 2024 với 5/7 phiếu" in joined
    assert "Sở Nội vụ tỉnh Hòa Bình được bầu làm Cụm phó năm 2024 với 6/7 phiếu" in joined
    assert "Nhiệm kỳ năm 2024 bắt đầu" in joined
    assert c.h.db is not None
    async with c.h.db.session() as session:
        holders = await get_current_offices(session, CLUSTER, 2024)
        head = await find_department_by_slug(session, CLUSTER, "tuyen-quang")
        deputy = await find_department_by_slug(session, CLUSTER, "hoa-binh")
    assert head is not None and deputy is not None
    assert holders == {"head": head.id, "deputy": deputy.id}


async def test_handover_gives_the_new_heads_officers_the_head_commands(ecluster: Cluster):
    c = ecluster
    await elect_2024(c.h, c.officers, c.head, CLUSTER, GROUP, out=None)

    def menu_of(user_id: int) -> list[str]:
        calls = [
            call
            for call in c.emu.calls_to("setMyCommands")
            if (call.params.get("scope") or {}).get("chat_id") == user_id
        ]
        return [command["command"] for command in calls[-1].params["commands"]] if calls else []

    await c.emu.wait_until(lambda: "round" in menu_of(c.officers["tuyen-quang"].id))
    await c.emu.wait_until(lambda: "round" not in menu_of(c.officers["bac-kan"].id))
    assert "election" in menu_of(c.officers["tuyen-quang"].id)
    # The deputy announces too (each menu is its own effect: wait for this one as well).
    await c.emu.wait_until(lambda: "announce" in menu_of(c.officers["hoa-binh"].id))
    head = c.officers["tuyen-quang"]
    replies = await c.h.say(head, head.id, "/round open 2024-01 15/02/2024")
    assert "Đã mở kỳ báo cáo" in replies[0].text
    old_head = c.officers["bac-kan"]
    assert "không có quyền" in (await c.h.say(old_head, old_head.id, "/round"))[0].text
