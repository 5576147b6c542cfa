"""The demo's election, as `clusterbot demo` runs it."""

from __future__ import annotations

from bot.demo_elections import elect_2024
from storage.clusters import current_offices, department_by_slug
from tests.conftest import CLUSTER, GROUP, Cluster


async def test_demo_elects_tuyen_quang_head_and_hoa_binh_deputy_for_2024(ecluster: Cluster):
    c = ecluster
    texts = await elect_2024(c.h, c.officers, c.head, CLUSTER, GROUP, out=None)
    joined = "\n".join(texts)
    assert "Sở Nội vụ tỉnh Tuyên Quang được bầu làm Cụm trưởng năm 2024 với 5/7 phiếu" in joined
    assert "Sở Nội vụ tỉnh Hòa Bình được bầu làm Cụm phó năm 2024 với 6/7 phiếu" in joined
    assert "Nhiệm kỳ năm 2024 bắt đầu" in joined
    assert c.h.db is not None
    async with c.h.db.session() as session:
        holders = await current_offices(session, CLUSTER, 2024)
        head = await department_by_slug(session, CLUSTER, "tuyen-quang")
        deputy = await department_by_slug(session, CLUSTER, "hoa-binh")
    assert head is not None and deputy is not None
    assert holders == {"head": head.id, "deputy": deputy.id}
