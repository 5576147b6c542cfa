"""The workbook read back with openpyxl: sheets, cells, formats, totals, print settings."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from bot.domain.summary import PeriodData, RevisionInfo, build_summary, revision_history
from bot.reports.workbook import build_workbook
from messages.render import zone
from tests.summaries import (
    DEPARTMENTS,
    INDICATORS,
    RATE,
    RESULTS,
    STAFF,
    full_year_reports,
    sample_summary,
)


def open_book(data: bytes):  # noqa: ANN201
    return load_workbook(io.BytesIO(data))


def history():  # noqa: ANN201
    at = datetime(2024, 1, 10, 3, 0, tzinfo=UTC)
    later = datetime(2024, 1, 16, 9, 30, tzinfo=UTC)
    return revision_history(
        DEPARTMENTS,
        INDICATORS,
        [
            RevisionInfo(1, 1, 501, "Nguyễn Văn An", at, False, {STAFF.id: "180"}, "2023-Q4"),
            RevisionInfo(1, 2, 502, "Trần Thị Bình", later, True, {STAFF.id: "1203"}, "2023-Q4"),
        ],
    )


@pytest.fixture
def book():  # noqa: ANN201
    return open_book(build_workbook(sample_summary(), "vi", history()))


def test_four_sheets_in_vietnamese(book) -> None:  # noqa: ANN001
    assert book.sheetnames == ["Bìa", "Số liệu", "Thuyết minh", "Lịch sử sửa đổi"]


def test_cover(book) -> None:  # noqa: ANN001
    ws = book["Bìa"]
    cells = {
        row[0]: row[1] for row in ws.iter_rows(min_row=3, max_col=2, values_only=True) if row[0]
    }
    assert ws["A1"].value == "BÁO CÁO TỔNG HỢP QUÝ IV/2023"
    assert cells["Cụm thi đua"] == "Cụm thi đua các Sở Nội vụ Trung du và miền núi phía Bắc"
    assert cells["Kỳ báo cáo"] == "Quý IV/2023"
    assert cells["Hạn nộp"] == datetime(2024, 1, 15)
    assert cells["Trạng thái kỳ báo cáo"] == "Đã đóng"
    assert cells["Thời điểm lập báo cáo"] == datetime(2024, 1, 16, 9, 30)  # Hà Nội time
    assert cells["Đơn vị đã nộp"].startswith("6/7: Sở Nội vụ Bắc Kạn, ")
    assert cells["Đơn vị nộp muộn"] == "Sở Nội vụ Thái Nguyên"
    assert cells["Đơn vị chưa nộp"] == "Sở Nội vụ Yên Bái"
    deadline_cell = next(c for c in ws["B"] if c.value == datetime(2024, 1, 15))
    assert deadline_cell.number_format == "dd/mm/yyyy"


def test_figures_sheet_cells_and_formats(book) -> None:  # noqa: ANN001
    ws = book["Số liệu"]
    header = [c.value for c in ws[4]]
    assert header[:4] == ["STT", "Đơn vị", "Tình trạng", "Số trường hợp tinh giản biên chế (người)"]
    assert header[7] == "Tỷ lệ hồ sơ được số hóa (%)"
    rows = {ws.cell(row=r, column=2).value: r for r in range(5, 12)}
    bac_kan = rows["Sở Nội vụ Bắc Kạn"]
    assert ws.cell(bac_kan, 4).value == 180 and ws.cell(bac_kan, 4).number_format == "#,##0"
    assert ws.cell(bac_kan, 7).value == "Có"
    rate = ws.cell(rows["Sở Nội vụ Bắc Giang"], 8)
    assert rate.value == pytest.approx(0.875) and rate.number_format == "0.0%"
    assert ws.cell(rows["Sở Nội vụ Thái Nguyên"], 3).value == "Nộp muộn"
    yen_bai = rows["Sở Nội vụ Yên Bái"]
    assert ws.cell(yen_bai, 3).value == "Chưa nộp"
    assert all(ws.cell(yen_bai, c).value is None for c in range(4, 9))  # blank, never 0
    assert ws.cell(rows["Sở Nội vụ Hòa Bình"], 8).value is None  # skipped


def test_totals_rows_follow_each_rule(book) -> None:  # noqa: ANN001
    ws = book["Số liệu"]
    labels = {ws.cell(row=r, column=2).value: r for r in range(12, 15)}
    figure, rule, coverage = (
        labels["Tổng hợp cụm"],
        labels["Cách tổng hợp"],
        labels["Số đơn vị báo cáo"],
    )
    assert [ws.cell(figure, c).value for c in range(4, 8)] == [1053, 155, 301, 4]
    assert ws.cell(figure, 8).value == pytest.approx(0.905)
    assert ws.cell(figure, 4).number_format == "#,##0"
    assert ws.cell(figure, 8).number_format == "0.0%"
    assert [ws.cell(rule, c).value for c in range(4, 9)] == [
        "Tổng", "Tổng", "Tổng", "Số đơn vị trả lời Có", "Trung bình"
    ]  # fmt: skip
    assert [ws.cell(coverage, c).value for c in range(4, 9)] == ["6/7"] * 4 + ["5/7"]


def test_print_ready(book) -> None:  # noqa: ANN001
    ws = book["Số liệu"]
    assert ws.freeze_panes == "D5"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$4:$4"
    assert ws.column_dimensions["B"].width >= 25
    for name in book.sheetnames:
        assert book[name].page_setup.orientation == "landscape"


def test_narrative_sheet(book) -> None:  # noqa: ANN001
    ws = book["Thuyết minh"]
    assert [c.value for c in ws[1]] == ["STT", "Đơn vị", "Chỉ tiêu", "Nội dung"]
    assert ws["B2"].value == "Sở Nội vụ Bắc Kạn" and ws["C2"].value == RESULTS.label
    assert ws["D2"].value.endswith("& các đơn vị <trực thuộc>.")
    assert ws["D2"].alignment.wrap_text
    assert ws.freeze_panes == "A2"


def test_history_sheet(book) -> None:  # noqa: ANN001
    ws = book["Lịch sử sửa đổi"]
    assert [c.value for c in ws[1]][:8] == [
        "Kỳ báo cáo", "Đơn vị", "Lần nộp", "Người nộp", "Thời điểm", "Chỉ tiêu", "Giá trị cũ",
        "Giá trị mới",
    ]  # fmt: skip
    first = [c.value for c in ws[2]]
    assert first[:5] == ["Quý IV/2023", "Sở Nội vụ Bắc Kạn", 1, "Nguyễn Văn An",
                         datetime(2024, 1, 10, 10, 0)]  # fmt: skip
    assert first[8] == "Nộp lần đầu"
    second = [c.value for c in ws[3]]
    assert second[2:] == [2, "Trần Thị Bình", datetime(2024, 1, 16, 16, 30), STAFF.label, "180",
                          "1.203", "nộp muộn"]  # fmt: skip
    assert ws["E2"].number_format == "dd/mm/yyyy hh:mm"


def test_english_workbook() -> None:
    book = open_book(build_workbook(sample_summary(), "en", history()))
    assert book.sheetnames == ["Cover", "Figures", "Narrative", "Revision history"]
    ws = book["Figures"]
    assert ws["D4"].value == "Staff positions cut (people)"
    assert ws["B5"].value == "Bac Kan Home Affairs"
    assert book["Revision history"]["H3"].value == "1,203"


def test_user_text_is_never_a_formula() -> None:
    reports = full_year_reports()
    reports[1] = reports[1].__class__(
        **{**reports[1].__dict__, "values": {**reports[1].values, RESULTS.id: '=HYPERLINK("x")'}}
    )
    s = build_summary(
        cluster_id="c", cluster_name="=1+1", cluster_name_en="c", departments=DEPARTMENTS,
        indicators=INDICATORS, current=PeriodData("2023", reports),
    )  # fmt: skip
    book = open_book(build_workbook(s, "vi"))
    cell = book["Thuyết minh"]["D2"]
    assert cell.value == '=HYPERLINK("x")' and cell.data_type == "s"
    assert book["Bìa"]["B3"].data_type == "s"


def test_average_with_many_decimals_is_a_number() -> None:
    reports = {
        d.id: full_year_reports()[d.id].__class__(
            **{**full_year_reports()[d.id].__dict__, "values": {RATE.id: v}}
        )
        for d, v in zip(DEPARTMENTS[:3], ["10", "20", "20"], strict=True)
    }
    s = build_summary(
        cluster_id="c", cluster_name="c", cluster_name_en="c", departments=DEPARTMENTS[:3],
        indicators=[RATE], current=PeriodData("2023", reports),
    )  # fmt: skip
    ws = open_book(build_workbook(s, "vi"))["Số liệu"]
    figure = ws.cell(row=8, column=4)
    assert figure.value == pytest.approx(50 / 300)
    assert figure.number_format == "0.00%"


def test_history_times_are_in_the_cluster_zone() -> None:
    with zone("Asia/Tokyo"):
        data = build_workbook(sample_summary(), "vi", history())
    ws = open_book(data)["Lịch sử sửa đổi"]
    assert ws["E2"].value == datetime(2024, 1, 10, 12, 0)  # 03:00 UTC; 10:00 in Hà Nội
