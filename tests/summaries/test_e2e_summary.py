"""/summary, /chart and /export through the emulator, as the cluster's people use them."""

from __future__ import annotations

import csv
import io
import struct
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from bot.domain.periods import parse_period
from bot.emulator import SentMessage
from bot.emulator.telegram_html import parse_html
from messages.splitting import visible_length
from storage import clusters, rounds, submissions
from tests.conftest import CLUSTER, GROUP, Cluster

SLUGS = ["bac-kan", "bac-giang", "thai-nguyen", "hoa-binh", "yen-bai", "phu-tho", "tuyen-quang"]
STAFF = [180, 205, 170, 160, 150, 168, 170]  # 1.203
INSPECTED = [25, 30, 22, 28, 20, 26, 24]  # 175
CLASSES = [50, 55, 48, 52, 45, 46, 50]  # 346
DATABASE = ["100", "95", "90", "100", "85", "80", "75"]


def values(n: int, scale: int = 1, text: str = "Tốt") -> list[str]:
    return [
        str(STAFF[n] * scale), str(INSPECTED[n] * scale), str(CLASSES[n] * scale), DATABASE[n], text
    ]  # fmt: skip


async def stored_round(
    cluster: Cluster, period: str, scale: int = 1, skip: tuple[str, ...] = ()
) -> None:
    """An earlier round, as if it had been run with the bot: opened, reported, closed."""
    db = cluster.h.db
    assert db is not None
    p = parse_period(period)
    at = datetime.combine(p.end, datetime.min.time(), UTC)
    async with db.session() as s:
        row = await rounds.open_round(
            s, CLUSTER, period, p.start, p.end + timedelta(days=15), None, opened_at=at
        )
        departments = {d.slug: d.id or 0 for d in await clusters.list_departments(s, CLUSTER)}
        indicators = [i.id for i in await clusters.list_indicators(s, CLUSTER) if i.id is not None]
        assert row.id is not None
        for n, slug in enumerate(SLUGS):
            if slug in skip:
                continue
            stored: dict[int, str | None] = dict(zip(indicators, values(n, scale), strict=True))
            await submissions.save_revision(
                s, row.id, departments[slug], stored, by=1001 + n, late=False, expected_revision=0,
                at=datetime.combine(p.end, datetime.min.time(), UTC),
            )  # fmt: skip
        await rounds.close_round(s, row, at)


def texts(messages: list[SentMessage]) -> str:
    return "\n".join(m.text for m in messages)


def assert_valid(messages: list[SentMessage]) -> None:
    for m in messages:
        if m.kind == "message":
            assert m.html is not None and parse_html(m.html) == m.text
            assert visible_length(m.html) <= 4096


async def test_summary_with_a_missing_and_a_late_department(cluster: Cluster) -> None:
    await cluster.open_round("2023", "15/01/2024")
    for n, slug in enumerate(SLUGS):
        if slug in ("thai-nguyen", "yen-bai"):
            continue
        await cluster.submit(slug, values(n))
    cluster.clock.advance(days=12)  # 17/01/2024: past the deadline
    await cluster.submit("thai-nguyen", values(2))
    replies = await cluster.h.say(cluster.officers["bac-giang"], GROUP, "/summary")
    assert_valid(replies)
    text = texts(replies)
    assert "BÁO CÁO TỔNG HỢP NĂM 2023" in text
    assert "6/7 đơn vị đã nộp" in text
    assert "⏰ Nộp muộn (1): Sở Nội vụ tỉnh Thái Nguyên" in text
    assert "❌ Chưa nộp (1): Sở Nội vụ tỉnh Yên Bái" in text
    assert "Tổng cụm: 1.053 trường hợp · 6/7 đơn vị" in text
    assert "đơn vị chưa nộp không được tính là 0" in text
    assert "Yên Bái                 chưa nộp" in text  # a row of the table, not a zero
    assert "Trung bình cụm: 90%" in text


async def test_full_round_gives_1203_175_346(cluster: Cluster) -> None:
    await cluster.open_round("2023", "15/01/2024")
    for n, slug in enumerate(SLUGS):
        await cluster.submit(slug, values(n))
    officer = cluster.officers["tuyen-quang"]
    replies = await cluster.h.say(officer, officer.id, "/summary 2023")
    assert_valid(replies)
    text = texts(replies)
    assert "Tổng cụm: 1.203 trường hợp · 7/7 đơn vị" in text
    assert "Tổng cụm: 175 cơ quan, đơn vị · 7/7 đơn vị" in text
    assert "Tổng cụm: 346 lớp · 7/7 đơn vị" in text
    assert "Chưa nộp" not in text


async def test_comparisons_with_the_previous_round_and_a_year_earlier(cluster: Cluster) -> None:
    await stored_round(cluster, "2022-Q4", scale=2)
    await stored_round(cluster, "2023-Q3", skip=("yen-bai",))
    await stored_round(cluster, "2023-Q4")
    replies = await cluster.h.say(cluster.head, GROUP, "/summary Quý IV/2023")
    assert_valid(replies)
    text = texts(replies)
    assert "So với Quý III/2023: +150 (+14,25%) (kỳ đó: 6/7 đơn vị)" in text
    assert "So với Quý IV/2022: -1.203 (-50%)" in text
    english = cluster.officers["phu-tho"]
    await cluster.h.say(english, english.id, "/language en")
    replies = await cluster.h.say(english, english.id, "/summary 2023-Q4")
    assert "Against Q4 2022: -1,203 (-50%)" in texts(replies)
    assert "Cluster total: 1,203 cases · 7/7 departments" in texts(replies)


async def test_year_compiled_from_quarters(cluster: Cluster) -> None:
    for q in (1, 2, 4):
        await stored_round(cluster, f"2023-Q{q}", skip=("hoa-binh",) if q == 4 else ())
    replies = await cluster.h.say(cluster.head, GROUP, "/summary 2023")
    assert_valid(replies)
    text = texts(replies)
    assert "Tổng hợp từ: Quý I/2023, Quý II/2023, Quý IV/2023 (chưa có: Quý III/2023)" in text
    assert "Tổng cụm: 3.449 trường hợp" in text  # 3 x 1.203 - Hòa Bình's Q4 160
    assert "🟡 Chưa đủ kỳ (1): Sở Nội vụ tỉnh Hòa Bình (2/3)" in text
    assert "chỉ tiêu trung bình lấy trung bình các giá trị đã báo cáo" in text


async def test_long_summary_is_split_between_lines(cluster: Cluster) -> None:
    await cluster.open_round("2023", "15/01/2024")
    stories = {}
    for n, slug in enumerate(SLUGS):
        story = f"[{slug}] " + " ".join(f"việc {k} của {slug} đã hoàn thành;" for k in range(40))
        stories[slug] = story
        await cluster.submit(slug, values(n, text=story))
    replies = await cluster.h.say(cluster.head, GROUP, "/summary")
    assert len(replies) >= 2
    assert_valid(replies)
    for story in stories.values():
        assert sum(story in m.text for m in replies) == 1  # each answer whole, in one message
    assert replies[-1].document is None  # everything fitted: no workbook needed


async def test_summary_too_long_for_chat_attaches_the_workbook(cluster: Cluster) -> None:
    await cluster.open_round("2023", "15/01/2024")
    for n, slug in enumerate(SLUGS):
        await cluster.submit(slug, values(n, text=f"{slug}: " + "rất nhiều kết quả; " * 150))
    replies = await cluster.h.say(cluster.head, GROUP, "/summary")
    assert_valid(replies)
    assert 1 <= len([m for m in replies if m.kind == "message"]) <= 5
    assert "Bảng số liệu chi tiết của từng đơn vị có trong tệp Excel đính kèm" in texts(replies)
    document = replies[-1].document
    assert document is not None and document.filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(document.data))
    # A year with pact targets (the example's) has their sheet too.
    assert book.sheetnames == ["Bìa", "Số liệu", "Giao ước", "Thuyết minh", "Lịch sử sửa đổi"]


async def test_chart_is_a_png_of_the_indicator(cluster: Cluster) -> None:
    await cluster.open_round("2023", "15/01/2024")
    for n, slug in enumerate(SLUGS[:5]):
        await cluster.submit(slug, values(n))
    replies = await cluster.h.say(cluster.head, GROUP, "/chart tinh-gian-bien-che")
    assert len(replies) == 1 and replies[0].kind == "photo"
    png = replies[0].photo
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert width > 500 and height > 300
    assert "Số trường hợp tinh giản biên chế — Năm 2023" in replies[0].text
    assert "Tổng cụm: 865 trường hợp · 5/7 đơn vị" in replies[0].text
    again = await cluster.h.say(cluster.head, GROUP, "/chart 4 2023")  # by its number
    assert again[0].kind == "photo" and "CSDL" in again[0].text


async def test_chart_usage_and_unknown_indicator(cluster: Cluster) -> None:
    await cluster.open_round("2023", "15/01/2024")
    usage = await cluster.h.say(cluster.head, GROUP, "/chart")
    assert "Cách dùng: /chart MÃ_CHỈ_TIÊU [kỳ báo cáo]" in usage[0].text
    assert "tinh-gian-bien-che" in usage[0].text and "ket-qua-noi-bat" not in usage[0].text
    unknown = await cluster.h.say(cluster.head, GROUP, "/chart ket-qua-noi-bat")
    assert "Không có chỉ tiêu «ket-qua-noi-bat» có thể vẽ biểu đồ." in unknown[0].text
    bad = await cluster.h.say(cluster.head, GROUP, "/chart tinh-gian-bien-che quý 9")
    assert "Không hiểu kỳ báo cáo «quý 9»" in bad[0].text


async def test_export_workbook_and_csv(cluster: Cluster) -> None:
    await cluster.open_round("2023", "15/01/2024")
    for n, slug in enumerate(SLUGS[:6]):
        await cluster.submit(slug, values(n))
    await cluster.submit("bac-kan", ["181", "25", "50", "100", "Tốt hơn"])  # a revision
    officer = cluster.officers["hoa-binh"]
    replies = await cluster.h.say(officer, officer.id, "/export")
    document = replies[-1].document
    assert document is not None
    assert document.filename == "bao-cao-tong-hop_cum-noi-vu-tdmnpb_2023.xlsx"
    assert "Báo cáo tổng hợp Năm 2023" in replies[-1].text
    book = load_workbook(io.BytesIO(document.data))
    ws = book["Số liệu"]
    assert ws["D4"].value == "Số trường hợp tinh giản biên chế (trường hợp)"
    assert ws["D5"].value == 181 and ws["D5"].number_format == "#,##0"
    assert ws["C11"].value == "Chưa nộp" and ws["D11"].value is None
    assert ws["B12"].value == "Tổng hợp cụm"
    assert ws["D12"].value == 1034  # 1.203 - 170 (Tuyên Quang missing) + 1 (the revision)
    history = book["Lịch sử sửa đổi"]
    changed = [row for row in history.iter_rows(min_row=2, values_only=True) if row[6]]
    assert ("180", "181") in [(row[6], row[7]) for row in changed]
    assert "Cán bộ bac-kan" in [row[3] for row in changed]

    replies = await cluster.h.say(officer, officer.id, "/export 2023 csv")
    document = replies[-1].document
    assert document is not None and document.filename.endswith("_2023.csv")
    assert document.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(document.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Kỳ báo cáo", "Mã đơn vị", "Đơn vị"]
    assert ["Năm 2023", "bac-kan", "Sở Nội vụ tỉnh Bắc Kạn"] == rows[1][:3]
    assert len(rows) == 1 + 7 * 5


async def test_nothing_to_summarise_and_strangers(cluster: Cluster) -> None:
    replies = await cluster.h.say(cluster.head, GROUP, "/summary")
    assert "Cụm chưa có kỳ báo cáo nào để tổng hợp." in replies[0].text
    replies = await cluster.h.say(cluster.head, GROUP, "/summary Quý II/2021")
    assert "Chưa có số liệu để tổng hợp cho Quý II/2021." in replies[0].text
    stranger = cluster.h.user(4242, "Người lạ")
    replies = await cluster.h.say(stranger, stranger.id, "/summary")
    assert "Quý" not in texts(replies) and replies  # the onboarding answer, no figures
    replies = await cluster.h.say(stranger, stranger.id, "/export")
    assert all(m.document is None for m in replies)


async def test_round_summary_posted_to_the_group_with_charts(cluster: Cluster) -> None:
    """The last department's confirmation brings the compiled report by itself."""
    await cluster.open_round("2023", "15/01/2024")
    for n, slug in enumerate(SLUGS[:-1]):
        await cluster.submit(slug, values(n))
    before = len(cluster.emu.messages(GROUP))
    await cluster.submit(SLUGS[-1], values(len(SLUGS) - 1))
    await cluster.h.settled()
    posted = cluster.emu.messages(GROUP)[before:]
    assert_valid(posted)
    assert "Tổng cụm: 1.203 trường hợp · 7/7 đơn vị" in texts(posted)
    album = [m for m in posted if m.kind == "media_group_item"]
    # The three indicators the example marks `headline = true`, as one group, not a flood.
    assert len(album) == 3 and len({m.media_group_id for m in album}) == 1
    assert all(m.photo is not None and m.photo.startswith(b"\x89PNG") for m in album)
    assert album[0].text == "Biểu đồ các chỉ tiêu chính — Năm 2023"


async def test_a_year_is_compared_with_the_same_quarters_a_year_earlier(cluster: Cluster) -> None:
    await stored_round(cluster, "2022-Q4")
    for q in (3, 4):
        await stored_round(cluster, f"2023-Q{q}", scale=2)
    replies = await cluster.h.say(cluster.head, GROUP, "/summary 2023")
    assert_valid(replies)
    text = texts(replies)
    assert "Tổng cụm: 4.812 trường hợp" in text
    # 2022 holds Q4 only: Q3+Q4 against it would be "+300%", an unlike comparison.
    assert "So với Năm 2022" not in text
    assert (
        "Không so sánh với Năm 2022: Năm 2022 chưa có số liệu Quý III/2022, nên không cùng kỳ"
        " với Năm 2023 (Quý III, Quý IV)." in text
    )

    await stored_round(cluster, "2022-Q3")
    text = texts(await cluster.h.say(cluster.head, GROUP, "/summary 2023"))
    assert "So sánh: Năm 2023 (Quý III, Quý IV) so với Năm 2022 (Quý III, Quý IV)" in text
    assert "So với Năm 2022: +2.406 (+100%)" in text
    await cluster.h.say(cluster.head, cluster.head.id, "/language en")
    english = texts(await cluster.h.say(cluster.head, GROUP, "/summary 2023"))
    assert "Compared: Year 2023 (Q3, Q4) against Year 2022 (Q3, Q4)" in english
