"""The world the kill -9 tests start from: the example cluster with three officers per
department, its group linked, round Q4/2023 open; what each test then kills differs
(tests/reminders/test_e2e_kill.py: the only bot; tests/runtime/test_takeover.py: the active one
of two replicas)."""

from __future__ import annotations

from bot.emulator.harness import Harness
from tests.conftest import CLUSTER, EXAMPLE, GROUP, SLUGS

PER_DEPARTMENT = 3
REMINDER = "Còn 7 ngày đến hạn báo cáo Quý IV/2023"


async def fan_out_world(h: Harness) -> list[int]:
    """Sets the world up through the bot; returns the officers' user ids."""
    await h.init_cluster(EXAMPLE)
    admin = h.user(9000, "Quản trị")
    await h.say(admin, admin.id, f"/start {await h.invite(CLUSTER, None, 'admin')}")
    officers = []
    for n, slug in enumerate(SLUGS):
        for k in range(PER_DEPARTMENT):
            user = h.user(1000 + 10 * n + k, f"Cán bộ {slug} {k}")
            replies = await h.say(user, user.id, f"/start {await h.invite(CLUSTER, slug)}")
            assert "Chào mừng" in replies[0].text
            officers.append(user.id)
    await h.add_to_group(admin, GROUP, "Cụm thi đua")
    await h.say(admin, GROUP, "/link")
    head = h.emu.users[1000]
    replies = await h.say(head, head.id, "/round open 2023-Q4 15/01/2024")
    assert "Đã mở kỳ báo cáo" in replies[0].text
    return officers
