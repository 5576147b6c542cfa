"""The year's scoring in the chat, through the emulator: the head opens it with a deadline,
officers score themselves in the private chat (/score), everyone sees the locked ranking
(/ranking) in the Vietnamese number format; and every refusal a user can meet."""

from __future__ import annotations

from decimal import Decimal

from bot.emulator.model import SentMessage
from bot.services import emulation
from storage import clusters, scoring
from tests.conftest import CLUSTER, GROUP, Cluster

D = Decimal


async def _ids(cluster: Cluster) -> dict[str, int]:
    async with cluster.h.db.session() as s:
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
    async with cluster.h.db.session() as s:
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
    async with h.db.session() as s:
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
    async with h.db.session() as s:
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

    # An English reader gets English words and the English number format.
    await h.say(officer, officer.id, "/language en")
    (english,) = await h.say(officer, officer.id, "/ranking 2023")
    assert "Emulation ranking 2023 (scale 100 points)" in english.text
    assert "1. Bac Kan Department of Home Affairs: 42.5" in english.text
    assert "– Deductions: −1.5" in english.text and "15 (tied)" in english.text
    await h.say(officer, officer.id, "/language vi")

    (usage,) = await h.say(officer, officer.id, "/ranking năm-ngoái")
    assert "Cách dùng: <code>/ranking</code>" in (usage.html or "")


async def _open(cluster: Cluster) -> None:
    replies = await cluster.h.say(cluster.head, cluster.head.id, "/score open 2023 15/02/2024")
    assert any("Đã mở chấm điểm thi đua năm 2023" in m.text for m in replies)


async def _self_scores(cluster: Cluster, slug: str) -> dict[str, tuple[Decimal, str]]:
    ids = await _ids(cluster)
    async with cluster.h.db.session() as s:
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        return {
            e.item: (scoring.from_cents(e.points_cents), e.justification)
            for e in await scoring.list_self_scores(s, row)
            if e.department_id == ids[slug]
        }


ANSWERS = [("7,5", "Đã ban hành Kế hoạch số 12/KH-SNV"), ("10", "Dự đủ 4 hội nghị của Cụm"),
           ("8.25", "Phát động 3 phong trào"), ("9", "Chuyển đổi số 100% hồ sơ")]


async def _answer_all(cluster: Cluster, slug: str) -> list[SentMessage]:
    h, officer = cluster.h, cluster.officers[slug]
    replies: list[SentMessage] = []
    for points, why in ANSWERS:
        await h.say(officer, officer.id, points)
        replies = await h.say(officer, officer.id, why)
    return replies


async def test_an_officer_scores_the_department_in_the_private_chat(cluster: Cluster) -> None:
    h = cluster.h
    await _open(cluster)
    officer = cluster.officers["yen-bai"]
    # A private message first: the bot then knows this officer is not scoring, and /score must
    # make it look again (bot/handlers/conversations.py).
    await h.say(officer, officer.id, "xin chào")
    replies = await h.say(officer, officer.id, "/score")
    text = "\n".join(m.text for m in replies)
    assert "Tự chấm điểm thi đua năm 2023 — Sở Nội vụ tỉnh Yên Bái (hạn 15/02/2024)" in text
    # The computed criteria, shown with their points (no figures yet: none reached; all on time).
    assert "Điểm bot tự tính từ báo cáo và giao ước thi đua:" in text
    assert "• Gửi báo cáo định kỳ đầy đủ, đúng hạn: 10/10" in text
    assert "Thực hiện tinh giản biên chế theo kế hoạch giai đoạn 2022-2026: 0/15" in text
    assert "Đơn vị tự chấm 4 tiêu chí" in text
    assert "Tiêu chí 1/4 (Công tác chỉ đạo, điều hành): Ban hành kế hoạch công tác năm" in text
    assert "từ 0 đến 10 (ví dụ: 7,5)" in text

    # Over the maximum, and no number: refused, the same criterion asked again.
    (over, again) = await h.say(officer, officer.id, "12")
    assert "12 điểm vượt quá điểm tối đa 10." in over.text
    assert "Tiêu chí 1/4" in again.text
    (bad, again) = await h.say(officer, officer.id, "mười")
    assert "không phải số điểm hợp lệ" in bad.text and "Tiêu chí 1/4" in again.text
    (ask,) = await h.say(officer, officer.id, "7,5")
    assert "7,5 điểm cho «Ban hành kế hoạch công tác năm" in ask.text
    assert "gửi giải trình ngắn gọn" in ask.text
    (nxt,) = await h.say(officer, officer.id, "Đã ban hành Kế hoạch số 12/KH-SNV")
    assert "Tiêu chí 2/4 (Công tác chỉ đạo, điều hành): Tham gia đầy đủ" in nxt.text
    for points, why in ANSWERS[1:]:
        await h.say(officer, officer.id, points)
        replies = await h.say(officer, officer.id, why)
    (card,) = replies
    assert "Kiểm tra lại điểm tự chấm" in card.text
    assert "7,5/10 — Đã ban hành Kế hoạch số 12/KH-SNV" in card.text
    assert "8,25/10 — Phát động 3 phong trào" in card.text
    assert "Tổng điểm tự chấm: 34,75." in card.text
    assert await _self_scores(cluster, "yen-bai") == {}  # nothing kept before the confirmation

    (done,) = await h.press(officer, card, "✅ Xác nhận")
    assert "Đã ghi nhận điểm tự chấm năm 2023 của Sở Nội vụ tỉnh Yên Bái: 4 tiêu chí, 34,75" in (
        done.text
    )
    assert await _self_scores(cluster, "yen-bai") == {
        "ke-hoach-cong-tac": (D("7.5"), "Đã ban hành Kế hoạch số 12/KH-SNV"),
        "hoat-dong-cum": (D(10), "Dự đủ 4 hội nghị của Cụm"),
        "phong-trao-thi-dua": (D("8.25"), "Phát động 3 phong trào"),
        "cai-cach-hanh-chinh": (D(9), "Chuyển đổi số 100% hồ sơ"),
    }
    # The card is spent: a second press changes nothing; the next message is no answer.
    (stale,) = await h.press_data(officer, card, dict(card.buttons)["✅ Xác nhận"] or "")
    assert "đã cũ hoặc không hợp lệ" in stale.text
    assert not any("Tiêu chí" in m.text for m in await h.say(officer, officer.id, "5"))

    # Scoring again until the deadline: each question shows the score it would replace.
    replies = await h.say(officer, officer.id, "/score")
    assert "Tiêu chí 1/4" in replies[-1].text and "(Điểm đang ghi nhận: 7,5.)" in replies[-1].text
    for points, why in [("6", "Kế hoạch ban hành muộn"), *ANSWERS[1:]]:
        await h.say(officer, officer.id, points)
        replies = await h.say(officer, officer.id, why)
    await h.press(officer, replies[-1], "✅ Xác nhận")
    kept = await _self_scores(cluster, "yen-bai")
    assert kept["ke-hoach-cong-tac"] == (D(6), "Kế hoạch ban hành muộn") and len(kept) == 4


async def test_cancel_and_old_cards(cluster: Cluster) -> None:
    h = cluster.h
    await _open(cluster)
    officer = cluster.officers["phu-tho"]
    await h.say(officer, officer.id, "/score")
    await h.say(officer, officer.id, "6")
    (stop,) = await h.say(officer, officer.id, "/cancel")
    assert "Đã hủy tự chấm điểm; chưa ghi nhận gì." in stop.text
    await h.say(officer, officer.id, "/score")
    (card,) = await _answer_all(cluster, "phu-tho")
    (dropped,) = await h.press(officer, card, "✖️ Hủy")
    assert "Đã hủy tự chấm điểm" in dropped.text
    assert await _self_scores(cluster, "phu-tho") == {}
    # An old card of an earlier draft is refused when a new draft is under way.
    await h.say(officer, officer.id, "/score")
    (stale,) = await h.press_data(officer, card, dict(card.buttons)["✅ Xác nhận"] or "")
    assert "đã cũ hoặc không hợp lệ" in stale.text
    for data in ("sc:ok:abc", "sc:zz", "sc:ok:"):
        assert "đã cũ hoặc không hợp lệ" in (await h.press_data(officer, card, data))[0].text
    assert await _self_scores(cluster, "phu-tho") == {}


async def test_self_scoring_refusals(cluster: Cluster) -> None:
    h, head = cluster.h, cluster.head
    officer = cluster.officers["tuyen-quang"]
    (none,) = await h.say(officer, officer.id, "/score")
    assert "Việc chấm điểm năm 2023 chưa được mở." in none.text
    await _open(cluster)
    (group,) = await h.say(officer, GROUP, "/score")
    assert "vui lòng nhắn riêng cho bot: /score" in group.text
    assert cluster.admin is not None
    (admin,) = await h.say(cluster.admin, cluster.admin.id, "/score")
    assert "Chỉ cán bộ đầu mối của đơn vị thành viên mới chấm điểm" in admin.text

    # After the deadline: the card filled before it cannot be confirmed, and /score is refused.
    await h.say(officer, officer.id, "/score")
    (card,) = await _answer_all(cluster, "tuyen-quang")
    cluster.clock.advance(days=42)  # 16/02/2024
    (late,) = await h.press(officer, card, "✅ Xác nhận")
    assert "Đã hết hạn tự chấm điểm (15/02/2024)" in late.text
    (late,) = await h.say(officer, officer.id, "/score")
    assert "Đã hết hạn tự chấm điểm (15/02/2024): không thể chấm hoặc sửa điểm nữa." in late.text
    assert await _self_scores(cluster, "tuyen-quang") == {}

    # Locked: a locked score cannot be edited.
    await _score_and_lock(cluster)
    (locked,) = await h.say(officer, officer.id, "/score 2023")
    assert "Điểm cuối cùng đã được chốt, không thể sửa nữa." in locked.text
    (usage,) = await h.say(head, head.id, "/score hai-nghìn")
    assert "Cách dùng: <code>/score</code>" in (usage.html or "")
