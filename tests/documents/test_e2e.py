"""/documents through the emulator: the 2023 round reported in the chat, the conference's
election held in the chat (the demo's: Tuyên Quang head, Hòa Bình deputy), then the new head
asks for the year's documents and gets the Word files; an officer and a stranger do not."""

from __future__ import annotations

from bot.demo_elections import elect_2024
from bot.emulator import SentMessage
from tests.conftest import CLUSTER, GROUP, SLUGS, Cluster
from tests.documents.reading import find, lines, load, table_rows
from tests.summaries.test_e2e_summary import values


def documents(replies: list[SentMessage]) -> dict[str, bytes]:
    return {m.document.filename: m.document.data for m in replies if m.document is not None}


def texts(replies: list[SentMessage]) -> str:
    return "\n".join(m.text for m in replies)


async def test_the_head_gets_the_years_documents(cluster: Cluster) -> None:
    c = cluster
    await c.open_round("2023", "15/01/2024")
    for n, slug in enumerate(SLUGS):
        await c.submit(slug, values(n))
    await elect_2024(c.h, c.officers, c.head, CLUSTER, GROUP, out=None)
    head = c.officers["tuyen-quang"]  # the 2024 term has begun (the clock: 5 January 2024)

    replies = await c.h.say(head, head.id, "/documents 2023")
    said = texts(replies)
    assert "Đang lập văn bản" in said
    assert "Không có tờ trình đề nghị khen thưởng: chưa có đề nghị khen thưởng nào" in said
    files = documents(replies)
    assert sorted(files) == [
        f"bao-cao-tong-ket_{CLUSTER}_2023.docx",
        f"bien-ban-hoi-nghi_{CLUSTER}_2023.docx",
    ]
    captions = [m.text for m in replies if m.document is not None]
    assert "📄 Báo cáo tổng kết năm 2023" in captions

    report = load(files[f"bao-cao-tong-ket_{CLUSTER}_2023.docx"])
    text = lines(report)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "BÁO CÁO" in text
    assert find(report, "SỞ NỘI VỤ TỈNH BẮC KẠN").runs[0].bold  # the 2023 head issues it
    assert find(report, "Bắc Kạn, ngày").text.endswith("năm 2024")
    rows = table_rows(report)
    assert any(r[1] == "Số trường hợp tinh giản biên chế" and r[3:5] == ["1.200", "1.203"] for r in rows)
    assert any(r[1].startswith("Tỷ lệ hoàn thành") and r[4] == "89,29%" for r in rows)
    assert "7/7 đơn vị đã nộp số liệu của năm." in text

    minutes = load(files[f"bien-ban-hoi-nghi_{CLUSTER}_2023.docx"])
    text = lines(minutes)
    assert "Sở Nội vụ tỉnh Tuyên Quang được bầu làm Cụm trưởng năm 2024 với 5/7 phiếu." in text
    assert "Sở Nội vụ tỉnh Hòa Bình được bầu làm Cụm phó năm 2024 với 6/7 phiếu." in text
    assert "Đại diện các đơn vị thành viên Cụm thi đua (7/7 đơn vị):" in text
    assert ["1", "Sở Nội vụ tỉnh Tuyên Quang", "5/7"] in table_rows(minutes)
    assert "THƯ KÝ" in text and "CHỦ TRÌ HỘI NGHỊ" in text

    # Only the new head and administrators; the others are told so and get no file.
    officer = c.officers["yen-bai"]
    refused = await c.h.say(officer, officer.id, "/documents 2023")
    assert "Chỉ Cụm trưởng hoặc quản trị viên" in texts(refused)
    assert documents(refused) == {}
    old_head = c.officers["bac-kan"]
    assert documents(await c.h.say(old_head, old_head.id, "/documents 2023")) == {}
    stranger = c.h.user(4242, "Người lạ")
    assert documents(await c.h.say(stranger, stranger.id, "/documents 2023")) == {}


async def test_usage_nothing_yet_and_an_administrator(cluster: Cluster) -> None:
    c = cluster
    head = c.head
    assert "/documents" in texts(await c.h.say(head, head.id, "/help"))
    officer = c.officers["yen-bai"]
    assert "/documents" not in texts(await c.h.say(officer, officer.id, "/help"))
    usage = await c.h.say(head, head.id, "/documents")
    assert "Cách dùng: /documents NĂM" in texts(usage)
    bad = await c.h.say(head, head.id, "/documents hai nghìn")
    assert "Cách dùng" in texts(bad) and documents(bad) == {}
    nothing = await c.h.say(head, head.id, "/documents 2023")
    assert "Chưa có gì để lập văn bản cho năm 2023" in texts(nothing)
    assert documents(nothing) == {}

    await c.open_round("2023", "15/01/2024")
    await c.submit("bac-kan", values(0))
    assert c.admin is not None
    replies = await c.h.say(c.admin, GROUP, "/documents 2023")
    assert [name for name in documents(replies)] == [f"bao-cao-tong-ket_{CLUSTER}_2023.docx"]
    said = texts(replies)
    assert "Không có biên bản hội nghị: chưa có kết quả bầu Cụm trưởng, Cụm phó năm 2024" in said
    report = load(documents(replies)[f"bao-cao-tong-ket_{CLUSTER}_2023.docx"])
    assert "Chưa nộp: Sở Nội vụ tỉnh Bắc Giang" in "\n".join(lines(report))
