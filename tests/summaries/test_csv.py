"""CSV: UTF-8 with BOM, one row per department and indicator, Vietnamese intact."""

from __future__ import annotations

import csv
import io

from bot.domain.summary import PeriodData, build_summary
from bot.reports.csv_export import build_csv
from tests.summaries import DEPARTMENTS, INDICATORS, RESULTS, full_year_reports, sample_summary


def rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def test_one_row_per_department_and_indicator() -> None:
    table = rows(build_csv(sample_summary(), "vi"))
    assert table[0] == [
        "Kỳ báo cáo", "Mã đơn vị", "Đơn vị", "Mã chỉ tiêu", "Chỉ tiêu", "Đơn vị tính", "Giá trị",
        "Giá trị gốc", "Tình trạng",
    ]  # fmt: skip
    assert len(table) == 1 + len(DEPARTMENTS) * len(INDICATORS)


def test_vietnamese_text_and_numbers() -> None:
    table = rows(build_csv(sample_summary(), "vi"))
    by_key = {(r[1], r[3]): r for r in table[1:]}
    staff = by_key[("bac-kan", "tinh-gian")]
    assert staff == ["Quý IV/2023", "bac-kan", "Sở Nội vụ Bắc Kạn", "tinh-gian",
                     "Số trường hợp tinh giản biên chế", "người", "180", "180", "Đã nộp"]  # fmt: skip
    assert by_key[("bac-giang", "ty-le-so-hoa")][6:8] == ["87,5%", "87.5"]
    assert by_key[("bac-kan", "csdl")][6:8] == ["Có", "true"]
    assert by_key[("yen-bai", "tinh-gian")][6:] == ["", "", "Chưa nộp"]
    assert by_key[("hoa-binh", "ty-le-so-hoa")][8] == "Bỏ qua"
    assert by_key[("thai-nguyen", "tinh-gian")][8] == "Nộp muộn"
    assert "Hòa Bình" in by_key[("hoa-binh", "ket-qua")][6]
    # the file's bytes hold precomposed Vietnamese letters, as typed
    assert "Sở Nội vụ Hòa Bình".encode() in build_csv(sample_summary(), "vi")


def test_thousands_in_vietnamese_and_english() -> None:
    s = sample_summary(skip=(), late=())
    big = {**full_year_reports()}
    s = build_summary(
        cluster_id="c", cluster_name="c", cluster_name_en="c", departments=DEPARTMENTS,
        indicators=INDICATORS,
        current=PeriodData("2023", {k: r.__class__(**{**r.__dict__, "values": {**r.values, 101: "1203"}}) for k, r in big.items()}),
    )  # fmt: skip
    vi = {(r[1], r[3]): r for r in rows(build_csv(s, "vi"))[1:]}
    en = {(r[1], r[3]): r for r in rows(build_csv(s, "en"))[1:]}
    assert vi[("bac-kan", "tinh-gian")][6:8] == ["1.203", "1203"]
    assert en[("bac-kan", "tinh-gian")][6:8] == ["1,203", "1203"]
    assert en[("bac-kan", "tinh-gian")][2] == "Bac Kan Home Affairs"


def test_formula_like_text_is_defused() -> None:
    reports = full_year_reports()
    r = reports[1]
    reports[1] = r.__class__(**{**r.__dict__, "values": {**r.values, RESULTS.id: "=1+2"}})
    s = build_summary(
        cluster_id="c", cluster_name="c", cluster_name_en="c", departments=DEPARTMENTS,
        indicators=INDICATORS, current=PeriodData("2023", reports),
    )  # fmt: skip
    by_key = {(r[1], r[3]): r for r in rows(build_csv(s, "vi"))[1:]}
    assert by_key[("bac-kan", "ket-qua")][6:8] == ["'=1+2", "'=1+2"]
