"""The 2025 mergers as the cluster's people see them: summaries across the merger (predecessors
added up under their successor, and said so), a merged department's officer (refused /report,
still reading /history), the roll of an election after the merger."""

from __future__ import annotations

import io
import re
from pathlib import Path

from openpyxl import load_workbook

from bot.emulator import SentMessage
from tests.conftest import GROUP, Cluster
from tests.mergers.world import AFTER, BEFORE, EXAMPLE_2025, merge, stored_round


def texts(messages: list[SentMessage]) -> str:
    return "\n".join(m.text for m in messages)


def row(text: str, name: str, value: str) -> bool:
    """The summary's table has the line "<name>   <value>" (in a year with pact targets,
    "<name>   <value>/<target>")."""
    line = rf"^{re.escape(name)} +{re.escape(value)}(/[0-9.,%]+)?$"
    return re.search(line, text, re.MULTILINE) is not None


ADDED_UP = (
    "Sở Nội vụ tỉnh Thái Nguyên: số liệu các kỳ trước ngày 01/07/2025 là số liệu cộng gộp, "
    "gồm cả Sở Nội vụ tỉnh Bắc Kạn (đã sáp nhập vào đơn vị)."
)


async def test_a_period_before_the_merger_shows_the_predecessors_under_their_successors(
    cluster: Cluster,
) -> None:
    await stored_round(cluster, "2025-Q2", BEFORE)
    await merge(cluster)
    officer = cluster.officers["bac-ninh"]  # new to the cluster
    text = texts(await cluster.h.say(officer, officer.id, "/summary 2025-Q2"))
    assert "5/5 đơn vị đã nộp" in text
    assert "Tổng cụm: 280 trường hợp · 5/5 đơn vị" in text  # the seven's figures, all of them
    assert row(text, "Thái Nguyên", "40")  # 30 + Bắc Kạn's 10
    assert row(text, "Bắc Ninh", "20") and row(text, "Phú Thọ", "100")
    assert row(text, "Lào Cai", "50") and row(text, "Tuyên Quang", "70")
    assert not re.search(r"^(Bắc Kạn|Bắc Giang|Hòa Bình|Yên Bái) ", text, re.MULTILINE)
    assert ADDED_UP in text
    assert (
        "Sở Nội vụ tỉnh Tuyên Quang: số liệu trước ngày 01/07/2025 chưa gồm "
        "Sở Nội vụ tỉnh Hà Giang (khi đó ngoài cụm)." in text
    )
    await cluster.h.say(officer, officer.id, "/language en")
    english = texts(await cluster.h.say(officer, officer.id, "/summary 2025-Q2"))
    assert (
        "Thai Nguyen Department of Home Affairs: for the periods before 01/07/2025, its figures "
        "add up those of Bac Kan Department of Home Affairs (merged into it)." in english
    )
    assert (
        "Tuyen Quang Department of Home Affairs: its figures before 01/07/2025 do not include "
        "Sở Nội vụ tỉnh Hà Giang, outside the cluster then." in english
    )


async def test_no_change_across_a_merger_that_brought_in_provinces_from_outside(
    cluster: Cluster,
) -> None:
    await stored_round(cluster, "2025-Q2", BEFORE)
    await merge(cluster)
    await stored_round(cluster, "2025-Q3", AFTER)
    text = texts(await cluster.h.say(cluster.officers["phu-tho"], GROUP, "/summary 2025-Q3"))
    assert "Tổng cụm: 310 trường hợp · 5/5 đơn vị" in text
    assert "So với Quý II/2025" not in text  # 310 over five provinces against 280 over fewer
    assert (
        "Không so sánh với Quý II/2025: sau sáp nhập, Sở Nội vụ tỉnh Bắc Ninh, Sở Nội vụ tỉnh "
        "Phú Thọ, Sở Nội vụ tỉnh Lào Cai, Sở Nội vụ tỉnh Tuyên Quang gồm cả đơn vị trước đây "
        "ngoài cụm" in text
    )


ONLY_BAC_KAN = """
[[departments]]
id = "bac-kan"
name = "Sở Nội vụ tỉnh Bắc Kạn"
name_en = "Bac Kan Department of Home Affairs"
merged_into = "thai-nguyen"
"""


def only_bac_kan_merged(tmp_path: Path) -> Path:
    """The 2023 file with one merger inside the cluster: Bắc Kạn into Thái Nguyên."""
    text = (EXAMPLE_2025.parent / "cum-noi-vu-trung-du-mien-nui-phia-bac.toml").read_text("utf-8")
    text = text.replace(
        'name = "Sở Nội vụ tỉnh Bắc Kạn"\nname_en = "Bac Kan Department of Home Affairs"\n',
        'name = "Sở Nội vụ tỉnh Bắc Kạn"\nname_en = "Bac Kan Department of Home Affairs"\n'
        'merged_into = "thai-nguyen"\n',
    ).replace(
        'name_en = "Thai Nguyen Department of Home Affairs"\n',
        'name_en = "Thai Nguyen Department of Home Affairs"\nmerged_on = 2025-07-01\n',
    )
    text = text.replace('head = "bac-kan"\ndeputy = "bac-giang"', 'head = "tuyen-quang"')
    # Its pact's own target for Bắc Kạn goes: a target names a member.
    target = '[[pact.targets]]\nindicator = "tinh-gian-bien-che"\ndepartment = "bac-kan"\nvalue = 150\n\n'
    assert target in text
    text = text.replace(target, "")
    path = tmp_path / "one-merger.toml"
    path.write_text(text, "utf-8")
    return path


async def test_across_a_merger_inside_the_cluster_like_is_compared_with_like(
    cluster: Cluster, tmp_path: Path
) -> None:
    await stored_round(cluster, "2025-Q2", BEFORE)
    await merge(cluster, only_bac_kan_merged(tmp_path))
    after = {slug: staff for slug, staff in BEFORE.items() if slug != "bac-kan"}
    after["thai-nguyen"] = 45  # Thái Nguyên and Bắc Kạn had 40 between them
    await stored_round(cluster, "2025-Q3", after)
    text = texts(await cluster.h.say(cluster.officers["phu-tho"], GROUP, "/summary 2025-Q3"))
    assert "Tổng cụm: 285 trường hợp · 6/6 đơn vị" in text
    # 285 against the same six's 280 (Bắc Kạn's 10 under Thái Nguyên), not against "7 then".
    assert "So với Quý II/2025: +5 (+1,79%)\n" in text + "\n"
    assert "kỳ đó" not in text
    assert ADDED_UP in text


async def test_a_year_across_the_merger_is_compiled_per_successor(cluster: Cluster) -> None:
    await stored_round(cluster, "2025-Q1", BEFORE)
    await stored_round(cluster, "2025-Q2", BEFORE)
    await merge(cluster)
    await stored_round(cluster, "2025-Q3", AFTER)
    text = texts(await cluster.h.say(cluster.officers["lao-cai"], GROUP, "/summary 2025"))
    assert "Tổng cụm: 870 trường hợp · 5/5 đơn vị" in text  # 280 + 280 + 310
    assert row(text, "Thái Nguyên", "125")  # (30 + 10) x 2 + 45
    assert row(text, "Lào Cai", "155")  # Yên Bái's 50 x 2 + 55
    assert "✅ Đủ 3 kỳ (5)" in text  # every successor holds all three quarters
    assert ADDED_UP in text


async def test_a_merged_departments_officer_reads_its_history_but_reports_no_more(
    cluster: Cluster,
) -> None:
    await cluster.open_round("2025-Q2", "15/07/2025")  # the 2023 head, before the merger
    values = ["10", "1", "2", "100", "Bắc Kạn trước sáp nhập"]
    await cluster.submit("bac-kan", values)
    await cluster.submit("thai-nguyen", ["30", "3", "6", "100", "Thái Nguyên"])
    await cluster.h.say(cluster.head, cluster.head.id, "/round close 2025-Q2")
    await merge(cluster)
    head = cluster.officers["tuyen-quang"]  # the 2025 head
    opened = await cluster.h.say(head, head.id, "/round open 2025-Q3 15/10/2025")
    assert "Đã mở kỳ báo cáo" in opened[0].text

    former = cluster.officers["bac-kan"]
    refused = texts(await cluster.h.say(former, former.id, "/report"))
    assert (
        "Xin lỗi: Sở Nội vụ tỉnh Bắc Kạn đã sáp nhập vào Sở Nội vụ tỉnh Thái Nguyên nên không "
        "còn nộp báo cáo; từ nay cán bộ đầu mối của Sở Nội vụ tỉnh Thái Nguyên nộp báo cáo."
    ) in refused
    pasted = texts(await cluster.h.say(former, former.id, "1: 5\n2: 1\n3: 1\n4: 100\n5: x"))
    assert "Đã nộp" not in pasted and "Xem lại" not in pasted
    template = texts(await cluster.h.say(former, former.id, "/template"))
    assert "đã sáp nhập vào Sở Nội vụ tỉnh Thái Nguyên" in template

    history = texts(await cluster.h.say(former, former.id, "/history 2025-Q2"))
    assert "Lịch sử báo cáo Quý II/2025 — Sở Nội vụ tỉnh Bắc Kạn" in history
    assert "Bắc Kạn trước sáp nhập" in history
    summary = texts(await cluster.h.say(former, former.id, "/summary 2025-Q2"))
    assert row(summary, "Thái Nguyên", "40")

    # The successor's officer sees its predecessor's history under its own.
    successor = cluster.officers["thai-nguyen"]
    theirs = texts(await cluster.h.say(successor, successor.id, "/history 2025-Q2"))
    own = theirs.index("Lịch sử báo cáo Quý II/2025 — Sở Nội vụ tỉnh Thái Nguyên")
    assert theirs.index("Lịch sử báo cáo Quý II/2025 — Sở Nội vụ tỉnh Bắc Kạn") > own
    # ...and reports for the merged province.
    await cluster.submit("thai-nguyen", ["45", "4", "9", "100", "Thái Nguyên sau sáp nhập"])
    progress = [m.text for m in cluster.emu.messages(GROUP) if "đơn vị" in m.text]
    assert any("1/5" in t for t in progress), progress


async def test_the_roll_of_an_election_after_the_merger_is_the_five_successors(
    cluster: Cluster,
) -> None:
    await merge(cluster)
    head = cluster.officers["tuyen-quang"]
    draft = await cluster.h.say(head, head.id, "/election 2026")
    assert "Chuẩn bị bầu cử" in draft[-1].text, draft[-1].text
    opened = texts(await cluster.h.press(head, draft[-1], "Mở bầu cử"))
    assert "Danh sách đơn vị bỏ phiếu (5)" in opened
    roll = opened[opened.index("Danh sách đơn vị bỏ phiếu (5)") :]
    for name in ("Thái Nguyên", "Bắc Ninh", "Phú Thọ", "Lào Cai", "Tuyên Quang"):
        assert name in roll
    for name in ("Bắc Kạn", "Bắc Giang", "Hòa Bình", "Yên Bái"):
        assert name not in roll
    former = cluster.officers["yen-bai"]
    answers = await cluster.h.say(former, former.id, "/vote")
    assert "đơn vị của bạn không có trong danh sách bỏ phiếu" in texts(answers)
    assert not any(m.button_texts for m in answers)  # no ballot for a department off the roll
    successor = cluster.officers["lao-cai"]
    ballot = await cluster.h.say(successor, successor.id, "/vote")
    # The candidates are successors only (Tuyên Quang, the outgoing head, does not stand).
    assert ballot[-1].button_texts == [
        "Sở Nội vụ tỉnh Thái Nguyên",
        "Sở Nội vụ tỉnh Bắc Ninh",
        "Sở Nội vụ tỉnh Phú Thọ",
        "Sở Nội vụ tỉnh Lào Cai",
        "⬜ Phiếu trắng",
    ]


async def test_the_workbook_says_so_too_and_keeps_the_predecessors_history(
    cluster: Cluster,
) -> None:
    await stored_round(cluster, "2025-Q2", BEFORE)
    await merge(cluster)
    officer = cluster.officers["thai-nguyen"]
    replies = await cluster.h.say(officer, officer.id, "/export 2025-Q2")
    document = replies[-1].document
    assert document is not None
    book = load_workbook(io.BytesIO(document.data))
    cover = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True) if row[0]}
    assert ADDED_UP in str(cover["Sáp nhập"])
    sheet = book["Số liệu"]
    names = [row[1] for row in sheet.iter_rows(min_row=5, max_row=9, values_only=True)]
    assert names == [
        "Sở Nội vụ tỉnh Thái Nguyên",
        "Sở Nội vụ tỉnh Bắc Ninh",
        "Sở Nội vụ tỉnh Phú Thọ",
        "Sở Nội vụ tỉnh Lào Cai",
        "Sở Nội vụ tỉnh Tuyên Quang",
    ]
    assert sheet["D5"].value == 40  # Thái Nguyên's 30 and Bắc Kạn's 10
    history = book["Lịch sử sửa đổi"]
    departments = {row[1] for row in history.iter_rows(min_row=2, values_only=True)}
    assert "Sở Nội vụ tỉnh Bắc Kạn" in departments  # each revision under its own department
