"""The year's summary and workbook put each department's pact target beside its figure: the
group reads how many reached their target and the cluster's target against its total."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.conftest import GROUP, Cluster
from tests.summaries.test_e2e_summary import stored_round, texts

# The example's [pact] targets for "tinh-gian-bien-che" against STAFF (test_e2e_summary):
# Bắc Kạn 180/150, Bắc Giang 205/230, Thái Nguyên 170/200, Hòa Bình 160/160, Yên Bái 150/140,
# Phú Thọ 168/190, Tuyên Quang 170/130: four reached; the cluster 1.203 against 1.200.


async def test_the_year_summary_shows_targets_against_figures(cluster: Cluster) -> None:
    await stored_round(cluster, "2023")
    replies = await cluster.h.say(cluster.head, GROUP, "/summary 2023")
    text = texts(replies)
    assert "🎯 Giao ước: 4/7 đơn vị đạt chỉ tiêu · chỉ tiêu của cụm 1.200 (đạt 100,25%)" in text
    assert "Trong bảng: số liệu/chỉ tiêu." in text
    assert "180/150" in text and "205/230" in text and "160/160" in text
    # Inspected agencies: every department 20; Bắc Kạn 25, ..., Yên Bái 20: all seven.
    assert text.count("🎯 Giao ước") == 4  # the four indicators the pact sets targets for
    assert "🎯 Giao ước: 7/7 đơn vị đạt chỉ tiêu · chỉ tiêu của cụm 140 (đạt 125%)" in text


async def test_a_quarter_has_no_targets_and_english_says_the_same(cluster: Cluster) -> None:
    await stored_round(cluster, "2023-Q4")
    quarter = texts(await cluster.h.say(cluster.head, GROUP, "/summary 2023-Q4"))
    assert "Giao ước" not in quarter and "180/150" not in quarter
    await stored_round(cluster, "2023")
    head = cluster.head
    await cluster.h.say(head, head.id, "/language en")
    english = texts(await cluster.h.say(head, head.id, "/summary 2023"))
    assert (
        "🎯 Pact: 4/7 departments reached their target · cluster target 1,200 (100.25% reached)"
        in english
    )
    assert "🎯 Pact: 2/7 departments reached their target · cluster target 100% (89.29% reached)" in english


async def test_the_workbook_has_a_sheet_of_targets(cluster: Cluster) -> None:
    await stored_round(cluster, "2023")
    replies = await cluster.h.say(cluster.head, GROUP, "/export 2023")
    (document,) = [m.document for m in replies if m.document is not None]
    book = load_workbook(io.BytesIO(document.data))
    assert "Giao ước" in book.sheetnames
    sheet = book["Giao ước"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4) if row[0].value]
    assert len(rows) == 4 * 7  # the pact's four indicators, seven departments each
    rows = [r for r in rows if str(r[1]).startswith("Số trường hợp tinh giản biên chế")]
    by_department = {r[2]: r for r in rows}
    bac_kan = by_department["Sở Nội vụ tỉnh Bắc Kạn"]
    assert bac_kan[3:5] == [150, 180] and bac_kan[6] == "Có"
    assert str(bac_kan[5]) == "1.2"  # a share, shown as 120,0 %
    assert by_department["Sở Nội vụ tỉnh Bắc Giang"][6] == "Không"
