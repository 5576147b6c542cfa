"""The Excel template through the emulator: /template, filling it, uploading it, bad files."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from openpyxl import Workbook, load_workbook

from storage import clusters, submissions
from storage.models import Draft
from tests.conftest import CLUSTER, GROUP, Cluster
from tests.summaries.test_e2e_summary import SLUGS, stored_round, values


async def get_template(cluster: Cluster, slug: str, command: str = "/template") -> bytes:
    officer = cluster.officers[slug]
    replies = await cluster.h.say(officer, officer.id, command)
    document = replies[-1].document
    assert document is not None, [m.text for m in replies]
    return document.data


def fill(data: bytes, cells: dict[str, Any], edit=None) -> bytes:  # noqa: ANN001
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    for ref, value in cells.items():
        ws[ref] = value
    if edit is not None:
        edit(wb, ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


GOOD = {"F7": 1203, "F8": "175", "F9": 346, "F10": 0.95, "F11": "Hoàn thành vượt kế hoạch"}


async def upload(cluster: Cluster, slug: str, data: bytes, name: str = "bao-cao.xlsx"):  # noqa: ANN201
    officer = cluster.officers[slug]
    return await cluster.h.upload(officer, officer.id, name, data)


async def nothing_stored(cluster: Cluster, slug: str) -> bool:
    db = cluster.h.db
    assert db is not None
    async with db.session() as s:
        departments = {d.slug: d.id or 0 for d in await clusters.list_departments(s, CLUSTER)}
        drafts = [await s.get(Draft, cluster.officers[slug].id)]
        latest = None
        from storage import rounds

        row = await rounds.find_latest_round(s, CLUSTER)
        if row is not None and row.id is not None:
            latest = await submissions.get_latest_revision(s, row.id, departments[slug])
    return drafts == [None] and latest is None


async def test_template_is_prefilled_with_last_period(cluster: Cluster) -> None:
    await stored_round(cluster, "2022")
    await cluster.open_round("2023", "15/01/2024")
    data = await get_template(cluster, "bac-giang")
    ws = load_workbook(io.BytesIO(data))["Báo cáo"]
    assert ws["A1"].value == "MẪU NHẬP SỐ LIỆU NĂM 2023"
    assert ws["A2"].value == "Đơn vị: Sở Nội vụ tỉnh Bắc Giang"
    assert ws["E6"].value == "Kỳ trước (Năm 2022)"
    assert [ws[f"E{r}"].value for r in range(7, 11)] == [205, 30, 55, 0.95]
    assert ws["E11"].value == "Tốt"
    assert all(ws[f"F{r}"].value is None for r in range(7, 12))


async def test_upload_round_trip_gives_the_same_review_card(cluster: Cluster) -> None:
    await cluster.open_round("2023", "15/01/2024")
    filled = fill(await get_template(cluster, "bac-kan"), GOOD)
    replies = await upload(cluster, "bac-kan", filled)
    card = replies[-1]
    assert "Xem lại báo cáo" in card.text
    assert "Số trường hợp tinh giản biên chế: 1.203" in card.text
    assert "Hoàn thành vượt kế hoạch" in card.text
    assert await nothing_stored(cluster, "bac-kan") is False  # a draft, but no submission yet
    saved = await cluster.h.press(cluster.officers["bac-kan"], card, "Xác nhận")
    assert "Đã nộp báo cáo Năm 2023" in saved[0].text
    summary = await cluster.h.say(cluster.head, GROUP, "/summary")
    assert "Tổng cụm: 1.203 trường hợp · 1/7 đơn vị" in "\n".join(m.text for m in summary)


async def test_ambiguous_value_in_the_file_is_confirmed_as_in_chat(cluster: Cluster) -> None:
    await cluster.open_round("2023", "15/01/2024")
    filled = fill(await get_template(cluster, "bac-kan"), {**GOOD, "F7": "1,203"})
    replies = await upload(cluster, "bac-kan", filled)
    assert "có thể hiểu nhiều cách" in replies[-1].text
    confirmed = await cluster.h.press(cluster.officers["bac-kan"], replies[-1], "1.203")
    assert "Xem lại báo cáo" in confirmed[-1].text


async def test_formula_cells_take_the_shown_value_and_say_so(cluster: Cluster) -> None:
    await cluster.open_round("2023", "15/01/2024")
    filled = fill(await get_template(cluster, "bac-kan"), {**GOOD, "F7": "=1000+203"})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(filled)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            # openpyxl writes the empty value as <v />, or as <v></v> when lxml is installed.
            body = re.sub(
                rb"<f>1000\+203</f><v\s*(/>|></v>)",
                b"<f>1000+203</f><v>1203</v>",
                src.read(info),
            )
            dst.writestr(info.filename, body)
    replies = await upload(cluster, "bac-kan", out.getvalue())
    assert "ô F7 có công thức; bot lấy giá trị đã tính" in replies[0].text
    assert "Xem lại báo cáo" in replies[-1].text


async def test_cells_with_errors_change_nothing(cluster: Cluster) -> None:
    await cluster.open_round("2023", "15/01/2024")
    filled = fill(
        await get_template(cluster, "bac-kan"), {**GOOD, "F7": "nhiều", "F9": -3, "F10": 1.5}
    )
    replies = await upload(cluster, "bac-kan", filled)
    text = replies[-1].text
    assert "Tệp có ô chưa đúng, chưa có gì được lưu" in text
    assert "Ô F7 — Số trường hợp tinh giản biên chế: «nhiều» không phải là số" in text
    assert (
        "Ô F9 — Số lớp đào tạo, bồi dưỡng cán bộ, công chức, viên chức: phải từ 0 trở lên" in text
    )
    assert "không được lớn hơn 100" in text
    assert await nothing_stored(cluster, "bac-kan")


async def test_each_kind_of_bad_file(cluster: Cluster) -> None:
    await cluster.open_round("2023", "15/01/2024")
    good = fill(await get_template(cluster, "bac-kan"), GOOD)

    def rezip(add: dict[str, bytes]) -> bytes:
        out = io.BytesIO()
        with (
            zipfile.ZipFile(io.BytesIO(good)) as src,
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
        ):
            for info in src.infolist():
                dst.writestr(info.filename, src.read(info))
            for name, body in add.items():
                dst.writestr(name, body)
        return out.getvalue()

    plain_book = io.BytesIO()
    Workbook().save(plain_book)

    def rename(wb, ws) -> None:  # noqa: ANN001
        ws.title = "Trang 1"

    def insert(wb, ws) -> None:  # noqa: ANN001
        ws.insert_rows(8)

    cases = [
        ("bao-cao.csv", b"a,b\n1,2\n", "đây không phải tệp Excel .xlsx"),
        (
            "bao-cao.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000,
            "đây không phải tệp Excel .xlsx",
        ),
        ("bao-cao.xlsx", good[: len(good) // 2], "tệp bị hỏng hoặc không mở được"),
        (
            "bao-cao.xlsx",
            rezip({"xl/media/x.xml": b"\0" * (30 * 2**20)}),
            "nội dung tệp khi giải nén quá lớn",
        ),
        ("bao-cao.xlsm", rezip({"xl/vbaProject.bin": b"\0" * 64}), "tệp có chứa macro"),
        ("bao-cao.xlsx", plain_book.getvalue(), "đây không phải mẫu nhập số liệu của bot"),
        ("bao-cao.xlsx", fill(good, {}, rename), "không tìm thấy trang «Báo cáo»"),
        ("bao-cao.xlsx", fill(good, {}, insert), "các ô số liệu đã bị di chuyển hoặc xóa"),
        ("bao-cao.xlsx", b"PK\x03\x04" + b"\0" * (2 * 2**20 + 10), "tệp lớn hơn 2 MB"),
    ]
    for name, data, expected in cases:
        replies = await upload(cluster, "bac-kan", data, name)
        assert len(replies) == 1, name
        assert expected in replies[0].text, (name, replies[0].text)
        assert "Không có gì được lưu." in replies[0].text
        assert await nothing_stored(cluster, "bac-kan")


async def test_template_of_another_department_or_round(cluster: Cluster) -> None:
    await cluster.open_round("2023", "15/01/2024")
    theirs = fill(await get_template(cluster, "bac-giang"), GOOD)
    replies = await upload(cluster, "bac-kan", theirs)
    assert "mẫu này là của đơn vị khác (Sở Nội vụ tỉnh Bắc Giang)" in replies[0].text
    assert await nothing_stored(cluster, "bac-kan")

    old = fill(await get_template(cluster, "bac-kan"), GOOD)
    await cluster.h.say(cluster.head, cluster.head.id, "/round close 2023")
    replies = await upload(cluster, "bac-kan", old)
    assert "Hiện không có kỳ báo cáo nào đang mở cho đơn vị của bạn." in replies[0].text
    await cluster.open_round("2024", "15/01/2025")
    replies = await upload(cluster, "bac-kan", old)
    assert "mẫu này dành cho kỳ Năm 2023, không phải kỳ đang mở Năm 2024" in replies[0].text


async def test_template_only_in_private_for_officers(cluster: Cluster) -> None:
    await cluster.open_round("2023", "15/01/2024")
    replies = await cluster.h.say(cluster.head, GROUP, "/template")
    assert "Hãy nhắn riêng cho bot để nhận mẫu Excel" in replies[0].text
    assert cluster.admin is not None
    replies = await cluster.h.say(cluster.admin, cluster.admin.id, "/template")
    assert "Chỉ cán bộ đầu mối của đơn vị" in replies[0].text


async def test_template_when_no_round_is_open(cluster: Cluster) -> None:
    officer = cluster.officers[SLUGS[0]]
    replies = await cluster.h.say(officer, officer.id, "/template")
    assert "Hiện không có kỳ báo cáo nào đang mở" in replies[0].text
    assert values(0)[0] == "180"
