"""`clusterbot documents` on SQLite and PostgreSQL: a real process writes the year's documents,
opened here with python-docx and read as the cluster's officials would."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from bot.cli_documents import documents_command
from tests.command_line import run_cli as _run
from tests.conftest import CLUSTER
from tests.documents.conftest import Year
from tests.documents.reading import find, lines, load, paragraphs, table_rows
from tests.summaries.test_storage import FULL, _round

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)
REPORT = f"bao-cao-tong-ket_{CLUSTER}_2023.docx"
MINUTES = f"bien-ban-hoi-nghi_{CLUSTER}_2023.docx"
PROPOSAL = f"to-trinh-khen-thuong_{CLUSTER}_2023.docx"


def written(folder: Path) -> list[str]:
    """The files in ``folder`` (a temporary file left behind would show), but the database."""
    return sorted(name for name in os.listdir(folder) if not name.startswith("test.db"))


def check_page(doc: Document) -> None:
    """A4, the margins of Decree 30 (top/bottom 20-25, left 30-35, right 15-20 mm), Times New
    Roman 13-14 for the body, no other font anywhere."""
    section = doc.sections[0]
    assert section.page_width is not None and section.page_height is not None
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    top, bottom, left, right = (round(m.mm, 1) if m is not None else 0 for m in margins)
    assert 20 <= top <= 25 and 20 <= bottom <= 25 and 30 <= left <= 35 and 15 <= right <= 20
    normal = doc.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    assert normal.font.size is not None and Pt(13) <= normal.font.size <= Pt(14)
    fonts = normal.element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == fonts.get(qn("w:cs")) == "Times New Roman"
    for p in paragraphs(doc):
        for run in (r for r in p.runs if r.text.strip()):  # not the drawn rules
            assert run.font.name in (None, "Times New Roman"), run.text
            assert run.font.size is None or Pt(11) <= run.font.size <= Pt(14), run.text


def check_heading(doc: Document, code: str, place_date: str) -> None:
    """The motto block, the issuing body (the cluster over its head's department), the blank
    number with the symbol, the place and date in italics."""
    country = find(doc, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert country.runs[0].bold and country.alignment == WD_ALIGN_PARAGRAPH.CENTER
    motto = find(doc, "Độc lập - Tự do - Hạnh phúc")
    assert motto.runs[0].bold and motto.runs[0].underline
    parent = find(doc, "CỤM THI ĐUA SỞ NỘI VỤ CÁC TỈNH TRUNG DU VÀ MIỀN NÚI PHÍA BẮC")
    assert not parent.runs[0].bold
    issuer = find(doc, "SỞ NỘI VỤ TỈNH BẮC KẠN")  # the 2023 head
    assert issuer.runs[0].bold
    number = find(doc, f"/{code}-CTĐ")
    assert number.text.startswith("Số:") and not any(c.isdigit() for c in number.text)
    blocks, body = doc.tables[0], doc.tables[1]
    assert blocks.style is not None and blocks.style.name == "Normal Table"  # no borders
    assert body.style is not None and body.style.name == "Table Grid"
    assert "w:tblHeader" in body.rows[0]._tr.xml  # repeated on every page
    when = find(doc, place_date)
    assert all(run.italic for run in when.runs) and when.text == place_date


def check_signature(doc: Document, signers: int, *roles: str) -> None:
    for role in roles:
        assert find(doc, role).runs[0].bold
    hints = [p for p in paragraphs(doc) if p.text == "(Ký, ghi rõ họ tên)"]
    assert len(hints) == signers and all(p.runs[0].italic for p in hints)
    recipients = find(doc, "Nơi nhận:")
    assert recipients.runs[0].bold and recipients.runs[0].italic
    assert "- Lưu: VT." in lines(doc)


async def test_the_cli_writes_the_report_and_the_minutes(year_2023: Year, tmp_path: Path) -> None:
    out = tmp_path / "van-ban"
    result = _run(
        "documents", "--cluster", CLUSTER, "--year", "2023", "--out", str(out),
        "--date", "2024-01-05", "--signer", "Nguyễn Văn A",
        env={"DATABASE_URL": year_2023.url},
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"Đã ghi báo cáo tổng kết vào {out / REPORT}." in result.stdout
    assert f"Đã ghi biên bản hội nghị vào {out / MINUTES}." in result.stdout
    assert "Chưa có đề nghị khen thưởng nào cho năm 2023: không lập tờ trình" in result.stdout
    assert written(out) == [REPORT, MINUTES]  # no proposal, no temp

    report = load((out / REPORT).read_bytes())
    check_page(report)
    check_heading(report, "BC", "Bắc Kạn, ngày 05 tháng 01 năm 2024")
    kind = find(report, "BÁO CÁO")
    assert kind.text == "BÁO CÁO" and kind.runs[0].bold
    assert find(report, "Tổng kết công tác thi đua, khen thưởng năm 2023").runs[0].bold
    assert "Cụm trưởng: Sở Nội vụ tỉnh Bắc Kạn." in lines(report)
    rows = table_rows(report)
    header = next(r for r in rows if r[0] == "STT" and "Chỉ tiêu" in r)
    assert header == [
        "STT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu giao ước", "Thực hiện năm 2023",
        "Tỷ lệ so với giao ước", "Số đơn vị báo cáo",
    ]  # fmt: skip
    figures = {r[1]: r[3:] for r in rows if r[0].isdigit() and len(r) == len(header)}
    # The pact's targets of the cluster: the departments' own added up (1.200), or averaged.
    assert figures["Số trường hợp tinh giản biên chế"] == ["1.200", "1.203", "100,3%", "7/7"]
    assert figures["Số lớp đào tạo, bồi dưỡng cán bộ, công chức, viên chức"] == [
        "315", "346", "109,8%", "7/7"
    ]  # fmt: skip
    assert ["140", "175", "125%", "7/7"] in figures.values()
    database = next(v for k, v in figures.items() if k.startswith("Tỷ lệ hoàn thành nhập CSDL"))
    assert database == ["100%", "87,5%", "87,5%", "6/7"]  # Tuyên Quang skipped it: not a zero
    assert ["1", "Năm 2023", "15/01/2024", "7/7", "0"] in rows
    assert "Tất cả các đơn vị đã nộp báo cáo đúng hạn." in lines(report)
    check_signature(report, 1, "TM. CỤM THI ĐUA", "CỤM TRƯỞNG")
    assert find(report, "Nguyễn Văn A").runs[0].bold

    minutes = load((out / MINUTES).read_bytes())
    check_page(minutes)
    check_heading(minutes, "BB", "Bắc Kạn, ngày 05 tháng 01 năm 2024")
    assert find(minutes, "BIÊN BẢN").runs[0].bold
    text = lines(minutes)
    assert "Hội nghị tổng kết công tác thi đua năm 2023" in text
    assert "Thời gian: ngày 20/12/2023." in text  # the election opened at the conference
    assert "Đại diện các đơn vị thành viên Cụm thi đua (7/7 đơn vị):" in text
    assert "7. Sở Nội vụ tỉnh Tuyên Quang" in text
    assert "II. BẦU CỤM TRƯỞNG, CỤM PHÓ NĂM 2024" in text
    assert "Số đơn vị đã bỏ phiếu: 7/7; phiếu trắng: 1. Đủ điều kiện hợp lệ." in text
    rows = table_rows(minutes)
    assert ["1", "Sở Nội vụ tỉnh Tuyên Quang", "5/7"] in rows
    assert ["2", "Sở Nội vụ tỉnh Hòa Bình", "1/7"] in rows
    assert ["1", "Sở Nội vụ tỉnh Hòa Bình", "6/6"] in rows
    assert "Sở Nội vụ tỉnh Tuyên Quang được bầu làm Cụm trưởng năm 2024 với 5/7 phiếu." in text
    assert "Sở Nội vụ tỉnh Hòa Bình được bầu làm Cụm phó năm 2024 với 6/6 phiếu." in text
    assert "- Cụm trưởng năm 2024: Sở Nội vụ tỉnh Tuyên Quang, trúng cử với 5/7 phiếu." in text
    check_signature(minutes, 2, "THƯ KÝ", "CHỦ TRÌ HỘI NGHỊ")


async def test_the_date_left_blank_and_english(year_2023: Year, tmp_path: Path) -> None:
    out = io.StringIO()
    code = await documents_command(
        year_2023.db, CLUSTER, "2023", tmp_path, now=NOW, tz=TZ, lang="en", out=out
    )
    assert code == 0
    assert f"Wrote the annual review report to {tmp_path / REPORT}." in out.getvalue()
    report = load((tmp_path / REPORT).read_bytes())
    text = lines(report)
    assert "SOCIALIST REPUBLIC OF VIETNAM" in text and "BAC KAN DEPARTMENT OF HOME AFFAIRS" in text
    when = find(report, "Bắc Kạn, ")  # the place keeps its name; day and month left blank
    assert when.text.endswith("/2024") and not any(c.isdigit() for c in when.text[:-5])
    rows = table_rows(report)
    assert any(
        r[1] == "Staff positions cut under the 2022-2026 downsizing plan" and r[4] == "1,203"
        for r in rows
    )
    assert any(r[3:] == ["100%", "87.5%", "87.5%", "6/7"] for r in rows)
    assert "ON BEHALF OF THE CLUSTER" in text and "(Signature, full name)" in text
    minutes = load((tmp_path / MINUTES).read_bytes())
    assert (
        "Tuyen Quang Department of Home Affairs is elected cluster head for 2024 with 5 of 7 votes."
        in lines(minutes)
    )


async def test_a_year_without_a_conference_or_figures(empty_year: Year, tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    db = empty_year.db
    code = await documents_command(db, CLUSTER, "2023", tmp_path, now=NOW, tz=TZ, out=out, err=err)
    assert code == 1 and "Không có văn bản nào để lập cho năm 2023." in err.getvalue()
    assert "Chưa có số liệu của năm 2023: không lập báo cáo tổng kết." in out.getvalue()
    assert written(tmp_path) == []

    # Quarters only, one of them late: the year is compiled from them, no minutes yet.
    for period in ("2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"):
        spec: dict[str, tuple[object, ...]] = dict(FULL)
        if period == "2023-Q3":
            spec["yen-bai"] = (*FULL["yen-bai"], True)
        await _round(db, CLUSTER, period, spec)
    out = io.StringIO()
    code = await documents_command(db, CLUSTER, "2023", tmp_path, now=NOW, tz=TZ, out=out)
    assert code == 0
    assert "Chưa có kết quả bầu Cụm trưởng, Cụm phó năm 2024" in out.getvalue()
    assert written(tmp_path) == [REPORT]
    report = load((tmp_path / REPORT).read_bytes())
    text = lines(report)
    assert (
        "Số liệu tổng hợp của Cụm từ các kỳ báo cáo trong năm: Quý I, Quý II, Quý III, Quý IV."
        in text
    )
    assert "Nộp muộn ít nhất một kỳ: Sở Nội vụ tỉnh Yên Bái." in text
    table = table_rows(report)
    assert ["3", "Quý III/2023", "15/10/2023", "7/7", "1"] in table
    assert any(r[1] == "Số trường hợp tinh giản biên chế" and r[4] == "4.812" for r in table)


async def test_bad_arguments(empty_year: Year, tmp_path: Path) -> None:
    err = io.StringIO()
    db = empty_year.db
    assert await documents_command(db, CLUSTER, "năm", tmp_path, now=NOW, tz=TZ, err=err) == 2
    assert "«năm» không phải là một năm" in err.getvalue()
    err = io.StringIO()
    code = await documents_command(
        db, CLUSTER, "2023", tmp_path, now=NOW, tz=TZ, signed_on="5/1/2024", err=err
    )
    assert code == 2 and "«5/1/2024» không phải là ngày" in err.getvalue()
    err = io.StringIO()
    assert await documents_command(db, "khong-co", "2023", tmp_path, now=NOW, tz=TZ, err=err) == 1
    assert "Không có cụm thi đua «khong-co»" in err.getvalue()
