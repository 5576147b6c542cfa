"""The year's workbook (/export 2023) gains the scoring sheet: per department and criterion,
its own points (self-scored, or the bot's), the checker's, the final points and the evidence
count; before the lock it says the points are as they stand."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from bot.services import emulation
from storage import clusters
from tests.conftest import CLUSTER, Cluster

D = Decimal


async def _workbook(cluster: Cluster) -> Any:
    officer = cluster.officers["phu-tho"]
    replies = await cluster.h.say(officer, officer.id, "/export 2023")
    document = replies[-1].document
    assert document is not None, [m.text for m in replies]
    return load_workbook(io.BytesIO(document.data))


def _lines(ws: Any) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(department, criterion) -> the row's values from the group on."""
    return {
        (str(r[0]), str(r[2])): tuple(r[3:])
        for r in ws.iter_rows(min_row=5, values_only=True)
        if r[0]
    }


async def test_the_year_workbook_has_the_scoring_sheet(cluster: Cluster) -> None:
    h = cluster.h
    await cluster.open_round("2023", "15/01/2024")
    await cluster.submit("bac-kan", ["1203", "175", "346", "95", "Tốt"])
    await h.say(cluster.head, cluster.head.id, "/score open 2023 15/02/2024")
    officer = cluster.officers["bac-kan"]
    await h.say(officer, officer.id, "/score")
    await h.upload(officer, officer.id, "ke-hoach.pdf", b"%PDF 1")
    await h.upload(officer, officer.id, "quyet-dinh.pdf", b"%PDF 2")
    await h.say(officer, officer.id, "/cancel")
    async with h.db.session() as s:
        ids = {d.slug: d.id or 0 for d in await clusters.list_departments(s, CLUSTER)}
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        now = cluster.clock()
        await emulation.score_criterion(
            s, row, ids["bac-kan"], "ke-hoach-cong-tac", D(10), "Kế hoạch 12", by=1, now=now
        )
        await s.commit()

    ws = (await _workbook(cluster))["Chấm điểm 2023"]
    assert ws["A1"].value == "CHẤM ĐIỂM THI ĐUA NĂM 2023 (THANG ĐIỂM 100)"
    assert ws["A2"].value.startswith("Chưa chốt điểm")
    assert [c.value for c in ws[4]] == [
        "Đơn vị", "Nhóm tiêu chí", "Tiêu chí", "Điểm tối đa", "Cách chấm", "Tự chấm / bot tính",
        "Thẩm định", "Cuối cùng", "Số minh chứng",
    ]  # fmt: skip
    lines = _lines(ws)
    plan = ("Sở Nội vụ tỉnh Bắc Kạn", next(k[1] for k in lines if k[1].startswith("Ban hành")))
    assert lines[plan] == (10, "đơn vị tự chấm", 10, None, 10, 2)

    async with h.db.session() as s:
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        now, today = cluster.clock(), cluster.clock().date()
        await emulation.start_checking(s, row, now=now)
        await emulation.adjust(
            s, row, ids["bac-kan"], "criterion", "ke-hoach-cong-tac", D(8), "Thiếu minh chứng",
            by=1, now=now,
        )  # fmt: skip
        await emulation.lock_scoring(s, row, by=1, now=now, today=today)
        await s.commit()
    ws = (await _workbook(cluster))["Chấm điểm 2023"]
    assert ws["A2"].value == "Điểm cuối cùng, đã được Cụm trưởng chốt."
    lines = _lines(ws)
    assert lines[plan] == (10, "đơn vị tự chấm", 10, 8, 8, 2)
    on_time = next(k for k in lines if k[0] == plan[0] and k[1].startswith("Gửi báo cáo"))
    assert lines[on_time][1:] == ("báo cáo đúng hạn", 10, None, 10, 0)
    total = lines[(plan[0], "Tổng điểm (kể cả điểm thưởng, điểm trừ)")]
    assert total[0] == 100 and total[2] == "+0 / −0" and total[5] == 2
    # 8 (checked) + 10 on time + 45 from the figures against the pact's targets.
    assert total[4] == 63
    assert len({k[0] for k in lines}) == 7  # every department
