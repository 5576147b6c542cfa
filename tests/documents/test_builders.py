"""The builders on their own, every field filled with data made up by the test (the pact's
targets, the scores and ranking, the award votes and the proposal), and the rules of Decree 30
the data follows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.domain.documents import (
    AwardProposal,
    AwardVote,
    ConferenceMinutes,
    DocumentSet,
    FigureLine,
    Heading,
    PersonNominee,
    ReviewReport,
    ScoreLine,
    Signature,
    UnitNominee,
    decree_date,
    place_of,
)
from bot.reports.documents import build_documents, document_file_name
from bot.reports.documents.minutes import build_minutes
from bot.reports.documents.proposal import build_proposal
from bot.reports.documents.report import build_report
from tests.documents.reading import find, lines, load, table_rows

CLUSTER_NAME = "Cụm thi đua Sở Nội vụ các tỉnh Trung du và miền núi phía Bắc"
HEADING = Heading(
    parent=CLUSTER_NAME,
    issuer="Sở Nội vụ tỉnh Tuyên Quang",
    year=2024,
    place="Tuyên Quang",
    signed_on=date(2024, 3, 9),
)


@pytest.mark.parametrize(
    ("name", "place"),
    [
        ("Sở Nội vụ tỉnh Tuyên Quang", "Tuyên Quang"),
        ("Sở Nội vụ thành phố Hà Nội", "Hà Nội"),
        ("Sở Nội vụ Tỉnh Bắc Kạn", "Bắc Kạn"),
        ("Văn phòng Bộ Nội vụ", ""),
    ],
)
def test_the_place_is_the_province_of_the_issuer(name: str, place: str) -> None:
    assert place_of(name) == place


def test_dates_as_the_decree_writes_them() -> None:
    assert decree_date(date(2024, 1, 5)) == ("05", "01", "2024")
    assert decree_date(date(2024, 2, 29)) == ("29", "02", "2024")
    assert decree_date(date(2024, 3, 9)) == ("09", "3", "2024")
    assert decree_date(date(2023, 12, 20)) == ("20", "12", "2023")


def proposal(**change: object) -> AwardProposal:
    values: dict[str, object] = {
        "heading": HEADING,
        "cluster": CLUSTER_NAME,
        "year": 2023,
        "signature": Signature("head", "Trần Thị B"),
        "addressee": "Hội đồng Thi đua - Khen thưởng Bộ Nội vụ",
        "flag": (UnitNominee("Sở Nội vụ tỉnh Bắc Kạn", 6, 7),),
        "collectives": (
            UnitNominee("Sở Nội vụ tỉnh Thái Nguyên", 7, 7),
            UnitNominee("Sở Nội vụ tỉnh Phú Thọ", 5, 7),
        ),
        "individuals": tuple(
            PersonNominee(f"Nguyễn Văn {n}", "Phó Giám đốc", "Sở Nội vụ tỉnh Yên Bái", "Tốt")
            for n in "CDEFGHK"
        ),
    }
    values.update(change)
    return AwardProposal(**values)  # type: ignore[arg-type]  # fields from a dict, checked at run time


def test_the_proposal_with_its_nominees() -> None:
    doc = load(build_proposal(proposal(), "vi"))
    text = lines(doc)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "TỜ TRÌNH" in text
    assert find(doc, "/TTr-CTĐ").text.startswith("Số:")
    assert "Tuyên Quang, ngày 09 tháng 3 năm 2024" in text
    assert "Về việc đề nghị khen thưởng năm 2023" in text
    assert "Kính gửi: Hội đồng Thi đua - Khen thưởng Bộ Nội vụ" in text
    assert "I. CỜ THI ĐUA" in text and "II. BẰNG KHEN CHO TẬP THỂ" in text
    assert "III. BẰNG KHEN CHO CÁ NHÂN" in text
    rows = table_rows(doc)
    assert ["1", "Sở Nội vụ tỉnh Bắc Kạn", "6/7"] in rows
    assert ["2", "Sở Nội vụ tỉnh Phú Thọ", "5/7"] in rows
    assert ["STT", "Họ và tên", "Chức vụ, đơn vị công tác", "Thành tích"] in rows
    assert ["7", "Nguyễn Văn K", "Phó Giám đốc, Sở Nội vụ tỉnh Yên Bái", "Tốt"] in rows
    assert "Tổng cộng: 3 tập thể, 7 cá nhân." in text
    assert "- Như trên;" in text and "- Lưu: VT." in text
    assert "TM. CỤM THI ĐUA" in text and "Trần Thị B" in text


def test_the_proposal_in_english_and_without_an_addressee() -> None:
    doc = load(build_proposal(proposal(addressee="", flag=()), "en"))
    text = lines(doc)
    assert "PROPOSAL" in text and "Tuyên Quang, 09/3/2024" in text
    assert find(doc, "To: ").text.startswith("To: …")  # left to fill
    assert "I. THE CERTIFICATE OF MERIT FOR COLLECTIVES" in text
    assert "In total: 2 collective(s) and 7 individual(s)." in text


def test_an_empty_proposal_is_not_written() -> None:
    found = DocumentSet("cum", 2023, proposal=proposal(flag=(), collectives=(), individuals=()))
    assert build_documents(found, "vi") == []
    written = build_documents(DocumentSet("cum", 2023, proposal=proposal()), "vi")
    assert [d.filename for d in written] == ["to-trinh-khen-thuong_cum_2023.docx"]
    assert (
        document_file_name("report", "Cụm Nội vụ!", 2023) == "bao-cao-tong-ket_c-m-n-i-v_2023.docx"
    )


def test_the_report_with_targets_scores_and_no_head() -> None:
    staff = FigureLine(
        label="Số trường hợp tinh giản biên chế",
        unit="trường hợp",
        type="integer",
        rule="sum",
        value=Decimal(1203),
        reported=7,
        expected=7,
        previous=Decimal(1100),
        target=Decimal(1000),
    )
    done = FigureLine("Hoàn thành CSDL", "", "boolean", "count", Decimal(5), 7, 7)
    report = ReviewReport(
        heading=Heading(parent=CLUSTER_NAME, issuer=None, year=2024),
        cluster=CLUSTER_NAME,
        year=2023,
        members=("A", "B"),
        head=None,
        deputy=None,
        figures=(staff, done),
        compiled_from=(),
        rounds=(),
        submitted=7,
        expected=7,
        late=(),
        missing=(),
        partial=(),
        highlights=(("Sở Nội vụ tỉnh Bắc Kạn", "Hoàn thành\x07 vượt mức\n\nKế hoạch\x1f năm"),),
        signature=Signature("head"),
        scores=(
            ScoreLine(1, "Sở Nội vụ tỉnh Bắc Kạn", Decimal("975.5")),
            ScoreLine(2, "Sở Nội vụ tỉnh Hòa Bình", Decimal(950)),
        ),
        scale=Decimal(1000),
    )
    doc = load(build_report(report, "vi"))
    issuer = find(doc, CLUSTER_NAME.upper())
    assert issuer.runs[0].bold  # no head known: the cluster alone issues
    assert "……, ngày" in find(doc, "ngày").text  # nor a place
    rows = table_rows(doc)
    assert rows[2] == [
        "STT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu giao ước", "Thực hiện năm 2023",
        "Năm 2022", "Tỷ lệ so với giao ước", "Số đơn vị báo cáo",
    ]  # fmt: skip
    assert rows[3][3:] == ["1.000", "1.203", "1.100", "120,3%", "7/7"]
    assert rows[4][3:] == ["—", "5/7 đơn vị", "—", "—", "7/7"]
    text = lines(doc)
    # A control character pasted into a narrative answer is dropped, not an error.
    assert "III. KẾT QUẢ NỔI BẬT CỦA CÁC ĐƠN VỊ" in text and "Hoàn thành vượt mức" in text
    assert "Kế hoạch năm" in text
    assert "IV. KẾT QUẢ CHẤM ĐIỂM, XẾP HẠNG" in text and "Thang điểm: 1.000 điểm." in text
    assert ["1", "Sở Nội vụ tỉnh Bắc Kạn", "975,5"] in rows
    assert "………………………………" in text  # the signer's name left to write


def test_the_minutes_with_award_votes_and_no_election() -> None:
    minutes = ConferenceMinutes(
        heading=HEADING,
        cluster=CLUSTER_NAME,
        year=2023,
        members=("Sở Nội vụ tỉnh Bắc Kạn", "Sở Nội vụ tỉnh Phú Thọ"),
        election=None,
        signatures=(Signature("secretary"), Signature("chair", "Lê Văn C")),
        guests=("Ông Vũ Đăng Minh, Phó Chủ tịch Thường trực Hội đồng Thi đua - Khen thưởng",),
        award_votes=(
            AwardVote("flag", "Sở Nội vụ tỉnh Bắc Kạn", 6, 7, True),
            AwardVote("collective", "Sở Nội vụ tỉnh Phú Thọ", 4, 7, False),
        ),
    )
    doc = load(build_minutes(minutes, "vi"))
    text = lines(doc)
    assert "/BB-CTĐ" in find(doc, "Số:").text
    assert (
        "Đại biểu: Ông Vũ Đăng Minh, Phó Chủ tịch Thường trực Hội đồng Thi đua - Khen thưởng."
        in text
    )
    assert "Các đơn vị thành viên (2 đơn vị):" in text and "2. Sở Nội vụ tỉnh Phú Thọ" in text
    assert "II. BÌNH XÉT, SUY TÔN KHEN THƯỞNG" in text
    rows = table_rows(doc)
    assert ["1", "Cờ thi đua", "Sở Nội vụ tỉnh Bắc Kạn", "6/7", "Đề nghị"] in rows
    assert [
        "2",
        "Bằng khen (tập thể)",
        "Sở Nội vụ tỉnh Phú Thọ",
        "4/7",
        "Không đạt tỷ lệ phiếu",
    ] in rows
    assert "THƯ KÝ" in text and "CHỦ TRÌ HỘI NGHỊ" in text and "Lê Văn C" in text


def test_page_numbers_from_the_second_page() -> None:
    doc = load(build_proposal(proposal(), "vi"))
    section = doc.sections[0]
    assert section.different_first_page_header_footer
    header = section.header.paragraphs[0]._p.xml
    assert 'w:instr="PAGE"' in header
    assert "PAGE" not in section.first_page_header.paragraphs[0]._p.xml
