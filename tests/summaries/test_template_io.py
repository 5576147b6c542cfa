"""The Excel template: written prefilled, read back safely; every kind of bad file refused."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from bot.reports.template_io import (
    MAX_UPLOAD_BYTES,
    META_SHEET,
    TemplateTarget,
    UploadRejected,
    build_template,
    check_identity,
    read_template,
)
from messages.render import render
from tests.summaries import DEPARTMENTS, INDICATORS, RATE, STAFF

PREVIOUS = {101: "1180", 102: "25", 103: "50", 104: "true", 105: "87.5", 106: "Đạt kế hoạch"}
GOOD = {"F7": 1203, "F8": "175", "F9": 346, "F10": "Có", "F11": 0.125, "F12": "Hoàn thành"}


def target(**kw: object) -> TemplateTarget:
    base: dict[str, object] = {
        "cluster_id": "trung-du", "round_id": 5, "period": "2023-Q4",
        "deadline": date(2024, 1, 15), "department": DEPARTMENTS[0], "indicators": INDICATORS,
        "previous_period": "2023-Q3", "previous_values": PREVIOUS,
    }  # fmt: skip
    base.update(kw)
    return TemplateTarget(**base)  # type: ignore[arg-type]  # fields from a dict, checked at run time


def fill(data: bytes, cells: dict[str, Any], edit: Callable | None = None) -> bytes:
    """What an officer does in Excel: type into cells (and maybe break something)."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    for ref, value in cells.items():
        ws[ref] = value
    if edit is not None:
        edit(wb, ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rezip(
    data: bytes, change: Callable[[str, bytes], bytes | None], add: dict | None = None
) -> bytes:
    """Rewrite the entries of an .xlsx (None drops one), optionally adding entries."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            content = change(info.filename, src.read(info))
            if content is not None:
                dst.writestr(info.filename, content)
        for name, content in (add or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def rejected(data: bytes) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        read_template(data, INDICATORS)
    return caught.value


# --------------------------------------------------------------------------- writing


def test_template_is_prefilled_for_the_department() -> None:
    wb = load_workbook(io.BytesIO(build_template(target(), "vi")))
    ws = wb["Báo cáo"]
    assert ws["A1"].value == "MẪU NHẬP SỐ LIỆU QUÝ IV/2023"
    assert ws["A2"].value == "Đơn vị: Sở Nội vụ Bắc Kạn"
    assert ws["A3"].value == "Hạn nộp: 15/01/2024"
    assert [c.value for c in ws[6]] == ["STT", "Mã chỉ tiêu", "Chỉ tiêu", "Đơn vị tính",
                                        "Kỳ trước (Quý III/2023)", "Số liệu kỳ này", "Hướng dẫn"]  # fmt: skip
    assert ws["C7"].value == STAFF.label and ws["D7"].value == "người"
    assert ws["E7"].value == 1180 and ws["E7"].number_format == "#,##0"
    assert ws["E10"].value == "Có"
    assert ws["E11"].value == pytest.approx(0.875) and ws["E11"].number_format == "0.0%"
    assert ws["F7"].value is None and not ws["F7"].protection.locked
    assert ws["E7"].protection.locked and ws.protection.sheet
    assert ws["G11"].value == "Tỷ lệ % (ví dụ 12,5%) (không bắt buộc)"
    assert ws["G7"].value == "Số nguyên"
    assert ws.column_dimensions["B"].hidden
    assert wb[META_SHEET].sheet_state == "veryHidden"


def test_template_prefills_the_current_values_when_already_submitted() -> None:
    data = build_template(target(current_values={101: "1203", 104: "false"}), "en")
    ws = load_workbook(io.BytesIO(data))["Report"]
    assert ws["F7"].value == 1203 and ws["F10"].value == "No"
    assert ws["E6"].value == "Previous period (Q3 2023)"


# --------------------------------------------------------------------------- round trip


def test_round_trip_values_are_canonical() -> None:
    filled = read_template(fill(build_template(target(), "vi"), GOOD), INDICATORS)
    assert filled.ok and not filled.ambiguous and not filled.formula_cells
    assert filled.values == {
        "tinh-gian": "1203", "kiem-tra": "175", "lop-dao-tao": "346", "csdl": "true",
        "ty-le-so-hoa": "12.5", "ket-qua": "Hoàn thành", "de-xuat": None,
    }  # fmt: skip
    identity = filled.identity
    assert (identity.cluster_id, identity.round_id, identity.period) == ("trung-du", 5, "2023-Q4")
    assert (identity.department_id, identity.department_slug) == (1, "bac-kan")


def test_text_cells_go_through_the_chat_parser() -> None:
    cells = {**GOOD, "F7": "1.203", "F9": " 346 ", "F10": "đã hoàn thành", "F11": "12,5%"}
    filled = read_template(fill(build_template(target(), "vi"), cells), INDICATORS)
    assert filled.ok
    assert filled.values["tinh-gian"] == "1203" and filled.values["ty-le-so-hoa"] == "12.5"
    assert filled.values["csdl"] == "true" and filled.values["lop-dao-tao"] == "346"


def test_ambiguous_text_is_left_to_confirm_as_in_chat() -> None:
    filled = read_template(
        fill(build_template(target(), "vi"), {**GOOD, "F7": "1,203"}), INDICATORS
    )
    assert filled.ok and "tinh-gian" not in filled.values
    assert filled.ambiguous["tinh-gian"] == ("1,203", ("1203",))


def test_cell_problems_use_the_parser_reasons() -> None:
    cells = {**GOOD, "F7": "mười", "F8": 12.5, "F9": None, "F10": "có lẽ", "F11": 1.25,
             "F12": datetime(2024, 1, 1)}  # fmt: skip
    filled = read_template(fill(build_template(target(), "vi"), cells), INDICATORS)
    assert not filled.ok
    assert [(p.cell, p.code) for p in filled.problems] == [
        ("F7", "not_a_number"), ("F8", "not_an_integer"), ("F9", "missing"),
        ("F10", "not_a_boolean"), ("F11", "above_max"), ("F12", "bad_cell"),
    ]  # fmt: skip
    message = render("vi", "summary.upload_problems", problems=filled.problems)
    assert "Ô F7 — Số trường hợp tinh giản biên chế: «mười» không phải là số" in message
    assert "Ô F11 — Tỷ lệ hồ sơ được số hóa: không được lớn hơn 100" in message
    assert "Ô F9 — Số lớp đào tạo, bồi dưỡng cán bộ, công chức, viên chức: chưa điền" in message


def test_excel_float_noise_is_what_excel_shows() -> None:
    cells = {**GOOD, "F11": 0.1 + 0.2}  # 0.30000000000000004 shown as 30%
    filled = read_template(fill(build_template(target(), "vi"), cells), INDICATORS)
    assert filled.values["ty-le-so-hoa"] == "30"


def test_formula_takes_the_cached_value_and_says_so() -> None:
    data = fill(build_template(target(), "vi"), {**GOOD, "F7": "=1000+203"})
    data = rezip(
        data,
        # openpyxl writes the empty value as <v />, or as <v></v> when lxml is installed.
        lambda name, body: re.sub(
            rb"<f>1000\+203</f><v\s*(/>|></v>)", b"<f>1000+203</f><v>1203</v>", body
        ),
    )
    filled = read_template(data, INDICATORS)
    assert filled.ok and filled.values["tinh-gian"] == "1203"
    assert filled.formula_cells == ["F7"]
    note = render("vi", "summary.upload_formulas", cells=filled.formula_cells)
    assert "bot lấy giá trị đã tính" in note


def test_formula_without_cached_value_is_refused() -> None:
    data = fill(build_template(target(), "vi"), {**GOOD, "F7": "=1000+203"})
    filled = read_template(data, INDICATORS)
    assert [(p.cell, p.code) for p in filled.problems] == [("F7", "formula_without_value")]


def test_text_that_looks_like_a_formula_is_text() -> None:
    def as_text(wb, ws) -> None:  # noqa: ANN001
        ws["F12"].value = "=không phải công thức"
        ws["F12"].data_type = "s"

    filled = read_template(fill(build_template(target(), "vi"), GOOD, as_text), INDICATORS)
    assert filled.ok and filled.values["ket-qua"] == "=không phải công thức"
    assert filled.formula_cells == []


# --------------------------------------------------------------------------- bad files


def test_file_over_2_mb() -> None:
    assert rejected(b"PK\x03\x04" + b"\0" * MAX_UPLOAD_BYTES).code == "too_big"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, this is a CSV,1,2\n",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
        b"%PDF-1.7",
    ],
    ids=["empty", "text", "xls-or-encrypted", "pdf"],
)
def test_not_an_xlsx(data: bytes) -> None:
    assert rejected(data).code == "not_xlsx"


def test_a_zip_that_is_no_workbook() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", "<w/>")
        z.writestr("[Content_Types].xml", "<Types/>")
    assert rejected(out.getvalue()).code == "not_xlsx"


def test_corrupted_file() -> None:
    good = fill(build_template(target(), "vi"), GOOD)
    assert rejected(good[: len(good) // 2]).code == "corrupt"
    broken = rezip(good, lambda name, body: b"<worksheet" if name == "xl/workbook.xml" else body)
    assert rejected(broken).code == "corrupt"


def test_zip_bomb_is_refused_before_openpyxl() -> None:
    good = fill(build_template(target(), "vi"), GOOD)
    bomb = rezip(
        good, lambda name, body: body, add={"xl/media/huge.xml": b"\0" * (40 * 1024 * 1024)}
    )
    assert len(bomb) < MAX_UPLOAD_BYTES
    assert rejected(bomb).code == "too_large_inside"


def test_highly_compressed_entry_is_refused() -> None:
    good = fill(build_template(target(), "vi"), GOOD)
    bomb = rezip(good, lambda name, body: body, add={"xl/media/a.bin": b"A" * (5 * 1024 * 1024)})
    assert rejected(bomb).code == "too_large_inside"


def test_entity_expansion_is_refused() -> None:
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><x>&lol;</x>'
    good = fill(build_template(target(), "vi"), GOOD)
    data = rezip(good, lambda name, body: laughs if name == "docProps/app.xml" else body)
    assert rejected(data).code == "corrupt"


def test_macros_are_refused() -> None:
    good = fill(build_template(target(), "vi"), GOOD)
    with_vba = rezip(good, lambda name, body: body, add={"xl/vbaProject.bin": b"\0" * 100})
    assert rejected(with_vba).code == "macros"
    xlsm = rezip(
        good,
        lambda name, body: body.replace(
            b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml"
        ) if name == "[Content_Types].xml" else body,
    )  # fmt: skip
    assert rejected(xlsm).code == "macros"


def test_a_workbook_that_is_not_our_template() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "Số liệu"
    out = io.BytesIO()
    wb.save(out)
    assert rejected(out.getvalue()).code == "not_template"


def test_damaged_identification_sheet() -> None:
    def damage(wb, ws) -> None:  # noqa: ANN001
        wb[META_SHEET]["B3"] = "không phải số"

    assert rejected(fill(build_template(target(), "vi"), GOOD, damage)).code == "not_template"


def test_renamed_sheet() -> None:
    def rename(wb, ws) -> None:  # noqa: ANN001
        ws.title = "Sheet1"

    error = rejected(fill(build_template(target(), "vi"), GOOD, rename))
    assert error.code == "sheet_missing" and error.params == {"sheet": "Báo cáo"}
    message = render("vi", "summary.upload_rejected", code=error.code, params=error.params)
    assert "không tìm thấy trang «Báo cáo»" in message and "Không có gì được lưu." in message


def test_inserted_or_deleted_rows() -> None:
    def insert(wb, ws) -> None:  # noqa: ANN001
        ws.insert_rows(9)

    def delete(wb, ws) -> None:  # noqa: ANN001
        ws.delete_rows(8)

    assert rejected(fill(build_template(target(), "vi"), GOOD, insert)).code == "cells_moved"
    assert rejected(fill(build_template(target(), "vi"), GOOD, delete)).code == "cells_moved"


def test_indicators_changed_since_the_template() -> None:
    data = fill(build_template(target(indicators=INDICATORS[:3]), "vi"), {})
    assert rejected(data).code == "indicators_changed"


def test_other_cluster_round_or_department() -> None:
    identity = read_template(fill(build_template(target(), "vi"), GOOD), INDICATORS).identity
    mine: dict[str, Any] = {
        "cluster_id": "trung-du",
        "department": DEPARTMENTS[0],
        "round_id": 5,
        "period": "2023-Q4",
    }
    check_identity(identity, **mine)
    cases: list[tuple[dict[str, Any], str, dict[str, str]]] = [
        ({"cluster_id": "khac"}, "other_cluster", {}),
        ({"department": DEPARTMENTS[1]}, "other_department", {"department": "Sở Nội vụ Bắc Kạn"}),
        (
            {"round_id": 6, "period": "2024-Q1"},
            "other_round",
            {"period": "2023-Q4", "expected": "2024-Q1"},
        ),
        ({"round_id": 6, "round_open": False}, "round_gone", {"period": "2023-Q4"}),
    ]
    for change, code, params in cases:
        with pytest.raises(UploadRejected) as caught:
            check_identity(identity, **{**mine, **change},
                           department_names={1: "Sở Nội vụ Bắc Kạn"})  # fmt: skip
        assert caught.value.code == code and caught.value.params == params
        for lang in ("vi", "en"):
            assert render(lang, "summary.upload_rejected", code=code, params=caught.value.params)


def test_every_rejection_has_a_message() -> None:
    codes = ["too_big", "not_xlsx", "macros", "corrupt", "too_large_inside", "not_template",
             "other_round", "round_gone", "other_department", "other_cluster", "sheet_missing",
             "cells_moved", "indicators_changed"]  # fmt: skip
    params = {"max_mb": 2, "period": "2023-Q4", "expected": "2024-Q1", "department": "X",
              "sheet": "Báo cáo", "rows": "8"}  # fmt: skip
    for lang in ("vi", "en"):
        texts = {render(lang, "summary.upload_rejected", code=c, params=params) for c in codes}
        assert len(texts) == len(codes)  # each its own words


def test_percent_typed_as_text_in_a_percent_cell() -> None:
    filled = read_template(fill(build_template(target(), "vi"), {**GOOD, "F11": "87,5"}), [RATE])
    assert filled.values == {"ty-le-so-hoa": "87.5"}
