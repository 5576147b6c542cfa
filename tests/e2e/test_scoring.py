"""The year's scoring in the chat, through the emulator: the head opens it with a deadline,
officers score themselves in the private chat (/score), everyone sees the locked ranking
(/ranking) in the Vietnamese number format; and every refusal a user can meet."""

from __future__ import annotations

from decimal import Decimal

from bot.services import emulation
from storage import clusters, scoring
from tests.conftest import CLUSTER, GROUP, Cluster

D = Decimal


async def _ids(cluster: Cluster) -> dict[str, int]:
    async with cluster.h.db.session() as s:  # type: ignore[union-attr]
        return {d.slug: d.id for d in await clusters.list_departments(s, CLUSTER) if d.id}


async def _score_and_lock(cluster: Cluster) -> None:
    """Self-scores for a few departments (the rest keep the computed points only), then the
    head closes self-scoring and locks: a ranking with a tie."""
    ids = await _ids(cluster)
    now, today = cluster.clock(), cluster.clock().date()
    own = {
        "bac-kan": {"ke-hoach-cong-tac": "10", "hoat-dong-cum": "10", "cai-cach-hanh-chinh": "9.5"},
        "thai-nguyen": {"ke-hoach-cong-tac": "10", "hoat-dong-cum": "9"},
        "yen-bai": {"ke-hoach-cong-tac": "5"},
        "hoa-binh": {"hoat-dong-cum": "5"},
    }
    async with cluster.h.db.session() as s:  # type: ignore[union-attr]
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        for slug, items in own.items():
            for item, points in items.items():
                await emulation.score_criterion(
                    s, row, ids[slug], item, D(points), "Có minh chứng", by=1, now=now
                )
        await emulation.score_extra(
            s, row, ids["bac-kan"], "bonus", "khen-thuong-cap-tren", D(3), "Cờ thi đua", by=1, now=now
        )
        await emulation.score_extra(
            s, row, ids["thai-nguyen"], "deduction", "vi-pham-ky-luat", D("1.5"), "Đơn thư",
            by=1, now=now,
        )
        await emulation.start_checking(s, row, now=now)
        await emulation.lock_scoring(s, row, by=1, now=now, today=today)
        await s.commit()


async def test_the_head_opens_the_scoring_and_the_group_is_told(cluster: Cluster) -> None:
    h, head = cluster.h, cluster.head
    replies = await h.say(head, head.id, "/score open 2023 15/02/2024")
    (answer,) = [m for m in replies if m.chat_id == head.id]
    assert "Đã mở chấm điểm thi đua năm 2023 (thang điểm 100), hạn tự chấm 15/02/2024" in answer.text
    assert "4 tiêu chí do đơn vị tự chấm, 5 tiêu chí bot tự tính" in answer.text
    (posted,) = [m for m in cluster.emu.messages(GROUP) if "Đã mở chấm điểm" in m.text]
    assert "hạn tự chấm đến hết ngày 15/02/2024" in posted.text and "/score" in posted.text
    async with h.db.session() as s:  # type: ignore[union-attr]
        row = await scoring.get_scoring_session(s, CLUSTER, 2023)
        assert row is not None and row.state == "open" and str(row.deadline) == "2024-02-15"

    # Twice: refused by the service's rule; nothing posted again.
    (twice,) = await h.say(head, head.id, "/score open 2023 20/02/2024")
    assert "Việc chấm điểm năm 2023 đã được mở" in twice.text
    assert len([m for m in cluster.emu.messages(GROUP) if "Đã mở chấm điểm" in m.text]) == 1


async def test_opening_is_refused_to_officers_and_for_bad_input(cluster: Cluster) -> None:
    h, head = cluster.h, cluster.head
    officer = cluster.officers["yen-bai"]
    (refused,) = await h.say(officer, officer.id, "/score open 2023 15/02/2024")
    assert "Chỉ Trưởng cụm hoặc quản trị viên mới mở đợt chấm điểm" in refused.text
    for text in ("/score open 2023", "/score open 23 15/02/2024", "/score open 2023 31/02/2024"):
        (usage,) = await h.say(head, head.id, text)
        assert "Cách dùng: <code>/score open NĂM DD/MM/YYYY</code>" in (usage.html or ""), text
    (past,) = await h.say(head, head.id, "/score open 2023 01/01/2024")
    assert "01/01/2024" in past.text and "Đã mở" not in past.text
    async with h.db.session() as s:  # type: ignore[union-attr]
        assert await scoring.get_scoring_session(s, CLUSTER, 2023) is None


async def test_the_ranking_before_and_after_the_lock(cluster: Cluster) -> None:
    h, head = cluster.h, cluster.head
    officer = cluster.officers["phu-tho"]
    (none,) = await h.say(officer, officer.id, "/ranking 2023")
    assert "Việc chấm điểm năm 2023 chưa được mở." in none.text
    await h.say(head, head.id, "/score open 2023 15/02/2024")
    (early,) = await h.say(officer, officer.id, "/ranking")  # the default year: 2023, scored now
    assert "Kết quả xếp hạng thi đua năm 2023 chưa có" in early.text
    assert "sau khi Cụm trưởng chốt điểm cuối cùng" in early.text
    assert "1. Sở Nội vụ" not in early.text

    await _score_and_lock(cluster)
    (shown,) = await h.say(officer, GROUP, "/ranking 2023")
    text = shown.text
    assert "Kết quả xếp hạng thi đua năm 2023 (thang điểm 100)" in text
    # Bắc Kạn: 10 + 10 + 9,5 self, 10 on time (no round yet), +3 bonus.
    assert "1. Sở Nội vụ tỉnh Bắc Kạn: 42,5" in text
    assert "– Công tác chỉ đạo, điều hành: 20/20" in text
    assert "– Điểm thưởng: +3" in text
    # Thái Nguyên: 10 + 9 self, 10 on time, -1,5.
    assert "2. Sở Nội vụ tỉnh Thái Nguyên: 27,5" in text and "– Điểm trừ: −1,5" in text
    # Yên Bái and Hòa Bình: 15 each, equal on every tie-break rule: both third.
    assert "3. Sở Nội vụ tỉnh Hòa Bình: 15 (đồng hạng)" in text
    assert "3. Sở Nội vụ tỉnh Yên Bái: 15 (đồng hạng)" in text
    assert "5. Sở Nội vụ tỉnh Bắc Giang: 10 (đồng hạng)" in text
    assert "thì đồng hạng" in text
    order = [text.index(f"Sở Nội vụ tỉnh {n}:") for n in ("Bắc Kạn", "Thái Nguyên", "Hòa Bình")]
    assert order == sorted(order)

    (usage,) = await h.say(officer, officer.id, "/ranking năm-ngoái")
    assert "Cách dùng: <code>/ranking</code>" in (usage.html or "")
