"""Registration, strangers, roles, the command menu and the group link, through the emulator."""

from __future__ import annotations

from datetime import timedelta

from bot.emulator.harness import Harness
from tests.conftest import CLUSTER, EXAMPLE, GROUP, Cluster


async def test_valid_code_binds_the_user_and_sets_their_menu(harness: Harness) -> None:
    await harness.init_cluster(EXAMPLE)
    lan = harness.user(2001, "Phạm Ngọc Lan")
    code = await harness.invite(CLUSTER, "tuyen-quang")
    replies = await harness.say(lan, lan.id, f"/start {code}")
    assert "Chào mừng Phạm Ngọc Lan" in replies[0].text
    assert "Sở Nội vụ tỉnh Tuyên Quang" in replies[0].text
    whoami = await harness.say(lan, lan.id, "/whoami")
    assert "cán bộ đầu mối" in whoami[0].text and "Tuyên Quang" in whoami[0].text

    def scoped() -> list:  # noqa: ANN202
        return [
            c
            for c in harness.emu.calls_to("setMyCommands")
            if (c.params.get("scope") or {}).get("chat_id") == lan.id
        ]

    # The menu is set in the background after binding (and refreshed by /whoami's neighbours).
    await harness.emu.wait_until(lambda: any("report" in str(c.params) for c in scoped()))
    names = [c["command"] for c in scoped()[-1].params["commands"]]
    assert "report" in names and "round" not in names


async def test_unknown_used_and_expired_codes(harness: Harness) -> None:
    await harness.init_cluster(EXAMPLE)
    a, b, c = harness.user(2001, "A"), harness.user(2002, "B"), harness.user(2003, "C")
    assert "không đúng" in (await harness.say(a, a.id, "/start khong-co-ma-nay"))[0].text
    code = await harness.invite(CLUSTER, "bac-kan")
    await harness.say(a, a.id, f"/start {code}")
    assert "đã được dùng" in (await harness.say(b, b.id, f"/start {code}"))[0].text
    expired = await harness.invite(CLUSTER, "bac-kan", valid_for=timedelta(seconds=-1))
    assert "hết hạn" in (await harness.say(c, c.id, f"/start {expired}"))[0].text
    # Nothing was bound for B and C: they are still strangers.
    assert "chưa được đăng ký" in (await harness.say(b, b.id, "/status"))[0].text


async def test_a_stranger_gets_only_an_explanation_whatever_they_send(harness: Harness) -> None:
    await harness.init_cluster(EXAMPLE)
    stranger = harness.user(6666, "Người lạ")
    for text in (
        "/start",
        "/report",
        "/round open 2023 15/01/2024",
        "1: 100",
        "xin chào",
        "/status",
    ):
        replies = await harness.say(stranger, stranger.id, text)
        assert len(replies) == 1
        assert "mã mời" in replies[0].text, text
    # A forged button press changes nothing either.
    card = replies[0]
    pressed = await harness.press_data(stranger, card, "ro:o:2023:20240115")
    assert "không có quyền" in pressed[0].text
    async with harness.db.session() as session:
        from storage import rounds

        assert await rounds.list_rounds(session, CLUSTER) == []


async def test_help_lists_only_the_commands_of_the_role(cluster: Cluster) -> None:
    h = cluster.h
    officer = cluster.officers["yen-bai"]
    help_officer = (await h.say(officer, officer.id, "/help"))[0].text
    assert (
        "/report" in help_officer and "/round" not in help_officer and "/link" not in help_officer
    )
    help_head = (await h.say(cluster.head, cluster.head.id, "/help"))[0].text
    assert "/report" in help_head and "/round" in help_head and "/link" in help_head
    assert cluster.admin is not None
    help_admin = (await h.say(cluster.admin, cluster.admin.id, "/help"))[0].text
    assert "/round" in help_admin and "/report" not in help_admin
    observer = h.user(3001, "Quan sát viên")
    await h.say(observer, observer.id, f"/start {await h.invite(CLUSTER, None, 'observer')}")
    help_observer = (await h.say(observer, observer.id, "/help"))[0].text
    assert (
        "/status" in help_observer
        and "/report" not in help_observer
        and "/round" not in help_observer
    )


async def test_role_checks_on_every_command(cluster: Cluster) -> None:
    h = cluster.h
    officer = cluster.officers["phu-tho"]
    refused = "không có quyền"
    assert refused in (await h.say(officer, officer.id, "/round open 2023 15/01/2024"))[0].text
    assert refused in (await h.say(officer, officer.id, "/round close 2023"))[0].text
    assert refused in (await h.say(officer, officer.id, "/round"))[0].text
    observer = h.user(3001, "Quan sát viên")
    await h.say(observer, observer.id, f"/start {await h.invite(CLUSTER, None, 'observer')}")
    assert refused in (await h.say(observer, observer.id, "/report"))[0].text
    assert refused in (await h.say(observer, observer.id, "/history"))[0].text
    assert refused in (await h.say(observer, observer.id, "/round"))[0].text
    # The deputy stands in for the head and may open a round.
    deputy = cluster.officers["bac-giang"]
    assert (
        "Đã mở kỳ báo cáo"
        in (await h.say(deputy, deputy.id, "/round open 2023 15/01/2024"))[0].text
    )


async def test_link_needs_the_head_or_an_admin_and_foreign_groups_hear_once(
    cluster: Cluster,
) -> None:
    h = cluster.h
    other_group = -1009999
    officer = cluster.officers["hoa-binh"]
    await h.add_to_group(officer, other_group, "Nhóm khác")
    assert "Quản trị hoặc cán bộ đơn vị Cụm trưởng" in h.emu.last(other_group).text
    assert "Chỉ quản trị hoặc cán bộ" in (await h.say(officer, other_group, "/link"))[0].text
    # Commands in a group the bot does not serve: silence after the one explanation.
    assert await h.say(officer, other_group, "/status") == []
    assert await h.say(officer, other_group, "/report") == []
    # The head moves the cluster to a new group; the old one stops receiving progress.
    replies = await h.say(cluster.head, other_group, "/link")
    assert "Đã gắn nhóm này" in replies[0].text
    await cluster.open_round()
    assert any("Mở kỳ báo cáo" in m.text for m in h.emu.messages(other_group))
    assert not any("Mở kỳ báo cáo" in m.text for m in h.emu.messages(GROUP))


async def test_group_privacy_and_strangers_in_the_cluster_group(cluster: Cluster) -> None:
    h = cluster.h
    stranger = h.user(7777, "Khách")
    assert await h.say(stranger, GROUP, "xin chào mọi người") == []  # privacy mode: not delivered
    replies = await h.say(stranger, GROUP, "/status")
    assert "chưa được đăng ký" in replies[0].text


async def test_language_switch_changes_every_reply(cluster: Cluster) -> None:
    h = cluster.h
    officer = cluster.officers["thai-nguyen"]
    assert "Switched to English" in (await h.say(officer, officer.id, "/language en"))[0].text
    help_text = (await h.say(officer, officer.id, "/help"))[0].text
    assert "Commands you can use" in help_text
    assert "Usage" in (await h.say(officer, officer.id, "/language de"))[0].text
    assert "tiếng Việt" in (await h.say(officer, officer.id, "/language vi"))[0].text


async def test_a_second_cluster_in_the_same_database(cluster: Cluster, tmp_path) -> None:  # noqa: ANN001
    h = cluster.h
    other = tmp_path / "other.toml"
    other.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace('id = "cum-noi-vu-tdmnpb"', 'id = "cum-khac"'),
        encoding="utf-8",
    )
    await h.init_cluster(other)
    newcomer = h.user(4001, "Cán bộ cụm khác")
    await h.say(newcomer, newcomer.id, f"/start {await h.invite('cum-khac', 'bac-kan')}")
    await cluster.open_round()
    # The other cluster has no open round: its officer is not offered this cluster's round.
    assert (
        "không có kỳ báo cáo nào đang mở" in (await h.say(newcomer, newcomer.id, "/report"))[0].text
    )
