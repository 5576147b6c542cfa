"""The Excel self-scoring template through the emulator: /score excel, filling it, sending it
back (the review card of /score, then the confirmation), and every refusal: cells out of the
rules (each named), another department's template, a damaged file; nothing stored on any."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from bot.emulator.model import SentMessage
from bot.services import emulation
from storage import clusters, scoring
from storage.score_drafts import get_score_draft
from tests.conftest import CLUSTER, Cluster

D = Decimal


async def _open(cluster: Cluster) -> None:
    replies = await cluster.h.say(cluster.head, cluster.head.id, "/score open 2023 15/02/2024")
    assert any("Đã mở chấm điểm thi đua năm 2023" in m.text for m in replies)


async def _template(cluster: Cluster, slug: str) -> SentMessage:
    officer = cluster.officers[slug]
    (sent,) = await cluster.h.say(officer, officer.id, "/score excel")
    assert sent.document is not None, sent.text
    return sent


def _rows(data: bytes) -> dict[str, int]:
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    return {str(ws[f"B{r}"].value): r for r in range(7, ws.max_row + 1) if ws[f"B{r}"].value}


def fill(data: bytes, values: dict[str, tuple[Any, Any]], edit: Any = None) -> bytes:
    """criterion id -> (points, justification) written in its row."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    rows = _rows(data)
    for criterion, (points, why) in values.items():
        ws[f"F{rows[criterion]}"] = points
        ws[f"G{rows[criterion]}"] = why
    if edit is not None:
        edit(wb, ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


GOOD = {
    "ke-hoach-cong-tac": (7.5, "Đã ban hành Kế hoạch số 12/KH-SNV"),
    "hoat-dong-cum": (10, "Dự đủ 4 hội nghị của Cụm"),
    "phong-trao-thi-dua": ("8,25", "Phát động 3 phong trào"),
    "cai-cach-hanh-chinh": (9, "Chuyển đổi số 100% hồ sơ"),
}


async def _kept(cluster: Cluster, slug: str) -> dict[str, tuple[Decimal, str]]:
    async with cluster.h.db.session() as s:
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        ids = {d.slug: d.id for d in await clusters.list_departments(s, CLUSTER)}
        return {
            e.item: (scoring.from_cents(e.points_cents), e.justification)
            for e in await scoring.list_self_scores(s, row, ids[slug])
        }


async def _no_draft(cluster: Cluster, slug: str) -> bool:
    async with cluster.h.db.session() as s:
        return await get_score_draft(s, cluster.officers[slug].id) is None


async def test_the_template_lists_the_table_with_the_computed_points(cluster: Cluster) -> None:
    await _open(cluster)
    sent = await _template(cluster, "bac-giang")
    assert sent.document is not None
    assert sent.document.filename == f"mau-tu-cham-diem_bac-giang_{CLUSTER}_2023.xlsx"
    assert "Mẫu tự chấm điểm năm 2023 — Sở Nội vụ tỉnh Bắc Giang" in sent.text
    data = sent.document.data
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Tự chấm điểm"]
    assert ws["A1"].value == "MẪU TỰ CHẤM ĐIỂM THI ĐUA NĂM 2023"
    assert ws["A2"].value == "Đơn vị: Sở Nội vụ tỉnh Bắc Giang"
    assert [ws.cell(6, c).value for c in range(3, 8)] == [
        "Tiêu chí", "Điểm tối đa", "Điểm bot tự tính", "Điểm tự chấm", "Giải trình",
    ]  # fmt: skip
    rows = _rows(data)
    own = ("ke-hoach-cong-tac", "hoat-dong-cum", "phong-trao-thi-dua", "cai-cach-hanh-chinh")
    assert set(own) < set(rows) and "tinh-gian-bien-che" in rows
    plan = rows["ke-hoach-cong-tac"]
    assert ws[f"C{plan}"].value.startswith("Ban hành kế hoạch công tác năm")
    assert ws[f"D{plan}"].value == 10 and ws[f"E{plan}"].value is None
    assert not ws[f"F{plan}"].protection.locked and not ws[f"G{plan}"].protection.locked
    # A computed row: its points shown, read-only (locked cells of a protected sheet).
    on_time = rows["bao-cao-dung-han"]
    assert ws[f"E{on_time}"].value == 10 and ws[f"G{on_time}"].value == "Bot tự tính (chỉ xem)"
    assert ws[f"F{on_time}"].protection.locked and ws.protection.sheet
    assert ws[f"E{rows['tinh-gian-bien-che']}"].value == 0
    assert wb["_clusterbot_scoring"].sheet_state == "veryHidden"

    # English readers get English words.
    officer = cluster.officers["bac-giang"]
    await cluster.h.say(officer, officer.id, "/language en")
    english = (await _template(cluster, "bac-giang")).document
    assert english is not None
    sheet = load_workbook(io.BytesIO(english.data)).worksheets[0]
    assert (
        sheet.title == "Self-scoring"
        and sheet["A1"].value == "SELF-SCORING TEMPLATE, EMULATION 2023"
    )


async def test_a_filled_template_becomes_the_review_card(cluster: Cluster) -> None:
    await _open(cluster)
    h, officer = cluster.h, cluster.officers["yen-bai"]
    sent = await _template(cluster, "yen-bai")
    assert sent.document is not None
    filled = fill(sent.document.data, GOOD)
    read, card = await h.upload(officer, officer.id, "tu-cham.xlsx", filled)
    assert "Đã đọc mẫu Excel: 4/4 tiêu chí có điểm." in read.text
    assert "Kiểm tra lại điểm tự chấm" in card.text
    assert "7,5/10 — Đã ban hành Kế hoạch số 12/KH-SNV" in card.text
    assert "8,25/10 — Phát động 3 phong trào" in card.text
    assert "Tổng điểm tự chấm: 34,75." in card.text
    assert await _kept(cluster, "yen-bai") == {}  # nothing kept before the confirmation
    (done,) = await h.press(officer, card, "✅ Xác nhận")
    assert "Đã ghi nhận điểm tự chấm năm 2023 của Sở Nội vụ tỉnh Yên Bái: 4 tiêu chí" in done.text
    assert await _kept(cluster, "yen-bai") == {
        "ke-hoach-cong-tac": (D("7.5"), "Đã ban hành Kế hoạch số 12/KH-SNV"),
        "hoat-dong-cum": (D(10), "Dự đủ 4 hội nghị của Cụm"),
        "phong-trao-thi-dua": (D("8.25"), "Phát động 3 phong trào"),
        "cai-cach-hanh-chinh": (D(9), "Chuyển đổi số 100% hồ sơ"),
    }
    # The next template is prefilled with what is recorded.
    again = (await _template(cluster, "yen-bai")).document
    assert again is not None
    ws = load_workbook(io.BytesIO(again.data)).worksheets[0]
    plan = _rows(again.data)["ke-hoach-cong-tac"]
    assert ws[f"F{plan}"].value == 7.5
    assert ws[f"G{plan}"].value == "Đã ban hành Kế hoạch số 12/KH-SNV"


async def test_a_partly_filled_template_asks_for_the_rest(cluster: Cluster) -> None:
    await _open(cluster)
    h, officer = cluster.h, cluster.officers["hoa-binh"]
    sent = await _template(cluster, "hoa-binh")
    assert sent.document is not None
    partly = {k: GOOD[k] for k in ("ke-hoach-cong-tac", "hoat-dong-cum")}
    read, ask = await h.upload(
        officer, officer.id, "tu-cham.xlsx", fill(sent.document.data, partly)
    )
    assert "Đã đọc mẫu Excel: 2/4 tiêu chí có điểm." in read.text
    assert "Tiêu chí 3/4" in ask.text


async def test_cells_out_of_the_rules_are_named_and_nothing_is_stored(cluster: Cluster) -> None:
    await _open(cluster)
    h, officer = cluster.h, cluster.officers["phu-tho"]
    sent = await _template(cluster, "phu-tho")
    assert sent.document is not None
    rows = _rows(sent.document.data)
    bad = {
        **GOOD,
        "ke-hoach-cong-tac": (12, "Vượt"),  # over the maximum of 10
        "hoat-dong-cum": ("mười", "Đủ"),  # no number
        "phong-trao-thi-dua": (5, None),  # no justification
        "cai-cach-hanh-chinh": (None, "Có giải trình mà không có điểm"),
    }
    (problems,) = await h.upload(officer, officer.id, "tu-cham.xlsx", fill(sent.document.data, bad))
    text = problems.text
    assert "Tệp có ô chưa đúng, chưa có gì được lưu:" in text
    plan, meet = rows["ke-hoach-cong-tac"], rows["hoat-dong-cum"]
    campaigns, reform = rows["phong-trao-thi-dua"], rows["cai-cach-hanh-chinh"]
    assert f"• Ô F{plan} — Ban hành kế hoạch công tác năm" in text
    assert "12 điểm vượt quá điểm tối đa 10." in text
    assert f"• Ô F{meet} — Tham gia đầy đủ" in text and '"mười" không phải số điểm hợp lệ' in text
    assert f"• Ô G{campaigns} — Tổ chức phát động" in text
    assert "Vui lòng ghi ngắn gọn căn cứ cho số điểm này." in text
    assert f"• Ô F{reform} — Cải cách hành chính" in text
    assert "có giải trình nhưng chưa có điểm" in text
    assert text.index(f"F{plan}") < text.index(f"F{meet}") < text.index(f"G{campaigns}")
    assert await _no_draft(cluster, "phu-tho") and await _kept(cluster, "phu-tho") == {}

    (empty,) = await h.upload(officer, officer.id, "trong.xlsx", sent.document.data)
    assert "Mẫu chưa điền điểm nào" in empty.text
    assert await _no_draft(cluster, "phu-tho")


async def test_other_templates_and_damaged_files_are_refused(cluster: Cluster) -> None:
    await _open(cluster)
    h, officer = cluster.h, cluster.officers["tuyen-quang"]
    theirs = (await _template(cluster, "thai-nguyen")).document
    assert theirs is not None
    filled = fill(theirs.data, GOOD)
    (other,) = await h.upload(officer, officer.id, "tu-cham.xlsx", filled)
    assert "mẫu tự chấm điểm này là của đơn vị khác (Sở Nội vụ tỉnh Thái Nguyên)" in other.text
    assert "Không có gì được lưu." in other.text

    mine = (await _template(cluster, "tuyen-quang")).document
    assert mine is not None
    good = fill(mine.data, GOOD)
    (cut,) = await h.upload(officer, officer.id, "tu-cham.xlsx", good[: len(good) // 2])
    assert "tệp bị hỏng hoặc không mở được" in cut.text
    renamed = fill(mine.data, GOOD, edit=lambda wb, ws: setattr(ws, "title", "Khác"))
    (sheet,) = await h.upload(officer, officer.id, "tu-cham.xlsx", renamed)
    assert "Tự chấm điểm" in sheet.text and "Không có gì được lưu." in sheet.text

    def move(wb: Any, ws: Any) -> None:
        ws.delete_rows(8)

    (moved,) = await h.upload(officer, officer.id, "tu-cham.xlsx", fill(mine.data, GOOD, move))
    assert "các dòng tiêu chí đã bị di chuyển hoặc xóa (dòng " in moved.text
    assert "/score excel" in moved.text and "Không có gì được lưu." in moved.text
    assert await _no_draft(cluster, "tuyen-quang") and await _kept(cluster, "tuyen-quang") == {}

    # Once self-scoring has closed, a template is refused too.
    async with h.db.session() as s:
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        await emulation.start_checking(s, row, now=cluster.clock())
        await s.commit()
    (closed,) = await h.upload(officer, officer.id, "tu-cham.xlsx", good)
    assert "Đã hết thời gian tự chấm điểm: điểm đang được thẩm định." in closed.text
    (asked,) = await h.say(officer, officer.id, "/score excel")
    assert "Đã hết thời gian tự chấm điểm" in asked.text and asked.document is None
    assert await _kept(cluster, "tuyen-quang") == {}


async def test_a_report_template_still_goes_to_the_report_flow(cluster: Cluster) -> None:
    """While scoring is open, an .xlsx that is no self-scoring template passes on."""
    await _open(cluster)
    await cluster.open_round("2023", "15/01/2024")
    h, officer = cluster.h, cluster.officers["bac-kan"]
    (report,) = await h.say(officer, officer.id, "/template")
    assert report.document is not None
    replies = await h.upload(officer, officer.id, "bao-cao.xlsx", report.document.data)
    assert not any("tự chấm" in m.text for m in replies)
    (problems,) = replies  # the report flow's own answer to an empty report template
    assert "Ô F7 — Số trường hợp tinh giản biên chế: chưa điền (chỉ tiêu bắt buộc)" in problems.text


async def test_a_template_of_another_year_cluster_or_table_is_refused(cluster: Cluster) -> None:
    """The hidden identity sheet edited (as a template of another scoring would read)."""
    await _open(cluster)
    h, officer = cluster.h, cluster.officers["bac-kan"]
    mine = (await _template(cluster, "bac-kan")).document
    assert mine is not None

    def identity(row: int, column: int, value: Any) -> Any:
        def edit(wb: Any, ws: Any) -> None:
            wb["_clusterbot_scoring"].cell(row, column, value)

        return edit

    cases = [
        (identity(3, 2, 999), "mẫu tự chấm điểm này dành cho năm 2023, không phải đợt chấm điểm"),
        (identity(4, 2, 2022), "mẫu tự chấm điểm này dành cho năm 2022, không phải đợt chấm điểm"),
        (identity(2, 2, "cum-khac"), "mẫu này thuộc cụm thi đua khác"),
        (identity(7, 1, "bo-di"), "các tiêu chí của bảng chấm điểm không khớp với mẫu này"),
        (identity(3, 2, "ba"), "trang tính ẩn của bot trong mẫu đã bị hỏng"),
    ]
    for edit, said in cases:
        (refused,) = await h.upload(officer, officer.id, "x.xlsx", fill(mine.data, GOOD, edit))
        assert said in refused.text, refused.text
        assert "Không có gì được lưu." in refused.text
    assert await _no_draft(cluster, "bac-kan") and await _kept(cluster, "bac-kan") == {}
