"""Checking the year's self-scores in the chat, through the emulator: the head closes
self-scoring and starts checking (the group is told; in chấm chéo each checker privately), the
checker reviews a department's card and adjusts a criterion in a short conversation or accepts
the score, the department answers once, the head decides, and the head locks the totals (the
ranking goes to the group). And every refusal on the way: a department checking itself, a
stranger, points over the maximum, forged and old buttons, a second answer, anything after the
lock."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bot.domain import callback_data as cb
from bot.emulator import EmuUser
from bot.emulator.model import SentMessage
from bot.services import emulation
from storage import clusters, score_checks, scoring
from storage.models_emulation import ScoreAdjustment
from tests.conftest import CLUSTER, EXAMPLE, GROUP, SLUGS, Cluster

D = Decimal
STALE = "đã cũ hoặc không hợp lệ"


async def _ids(cluster: Cluster) -> dict[str, int]:
    async with cluster.h.db.session() as s:
        return {d.slug: d.id for d in await clusters.list_departments(s, CLUSTER) if d.id}


async def _open_and_score(cluster: Cluster) -> None:
    """The head opens 2023; Yên Bái and Bắc Kạn score themselves (Yên Bái with two evidence
    files for its first criterion)."""
    h, head = cluster.h, cluster.head
    replies = await h.say(head, head.id, "/score open 2023 15/02/2024")
    assert any("Đã mở chấm điểm thi đua năm 2023" in m.text for m in replies)
    ids = await _ids(cluster)
    now = cluster.clock()
    async with h.db.session() as s:
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        for slug, items in {
            "yen-bai": {"ke-hoach-cong-tac": "9", "hoat-dong-cum": "10"},
            "bac-kan": {"ke-hoach-cong-tac": "10"},
        }.items():
            for item, points in items.items():
                await emulation.score_criterion(
                    s, row, ids[slug], item, D(points), "Kế hoạch số 12/KH-SNV", by=1, now=now
                )
        for name in ("ke-hoach.pdf", "quyet-dinh.pdf"):
            await emulation.attach_evidence(
                s,
                row,
                ids["yen-bai"],
                "criterion",
                "ke-hoach-cong-tac",
                file_name=name,
                size=1000,
                sha256="0" * 64,
                telegram_file_id=f"file-{name}",
                by=1,
                now=now,
            )
        await s.commit()


async def _adjustments(cluster: Cluster) -> list[ScoreAdjustment]:
    async with cluster.h.db.session() as s:
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        return await scoring.list_adjustments(s, row)


async def _state(cluster: Cluster) -> str:
    async with cluster.h.db.session() as s:
        return (await emulation.get_scoring(s, CLUSTER, 2023)).state


def _private(cluster: Cluster, user: EmuUser, text: str) -> list[SentMessage]:
    return [m for m in cluster.emu.messages(user.id) if text in m.text]


def _mine(replies: list[SentMessage], user: EmuUser) -> list[SentMessage]:
    return [m for m in replies if m.chat_id == user.id]


async def _session_id(cluster: Cluster) -> int:
    async with cluster.h.db.session() as s:
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        assert row.id is not None
        return row.id


async def _card(
    cluster: Cluster, user: EmuUser, list_message: SentMessage, name: str
) -> SentMessage:
    (card,) = _mine(await cluster.h.press(user, list_message, name), user)
    assert "Thẩm định điểm tự chấm năm 2023" in card.text, card.text
    return card


async def _adjust(
    cluster: Cluster, user: EmuUser, card: SentMessage, n: int, points: str, reason: str
) -> list[SentMessage]:
    h = cluster.h
    (ask,) = _mine(await h.press(user, card, f"✏️ {n}"), user)
    assert f"Điều chỉnh mục {n}" in ask.text, ask.text
    (why,) = _mine(await h.say(user, user.id, points), user)
    assert "Bây giờ gửi lý do điều chỉnh" in why.text, why.text
    return _mine(await h.say(user, user.id, reason), user)


async def test_the_head_starts_checking_and_the_group_and_the_deputy_are_told(
    cluster: Cluster,
) -> None:
    h, head = cluster.h, cluster.head
    await _open_and_score(cluster)
    officer = cluster.officers["yen-bai"]
    (early,) = await h.say(officer, officer.id, "/score check")
    assert "Việc tự chấm điểm năm 2023 vẫn đang mở" in early.text
    assert await _state(cluster) == "open"

    replies = _mine(await h.say(head, head.id, "/score check"), head)
    started, progress, listing = replies
    assert "Thẩm định năm 2023: đã thẩm định 0/7 đơn vị (chấp nhận hoặc điều chỉnh)" in (
        progress.text
    )
    assert "Chưa thẩm định: Sở Nội vụ tỉnh Bắc Kạn, Sở Nội vụ tỉnh Bắc Giang," in progress.text
    assert "Đã kết thúc tự chấm điểm năm 2023 và bắt đầu thẩm định." in started.text
    assert "Cụm trưởng (Sở Nội vụ tỉnh Bắc Kạn) thẩm định điểm tự chấm của các đơn vị" in (
        started.text
    )
    assert "điểm của đơn vị Cụm trưởng do Cụm phó (Sở Nội vụ tỉnh Bắc Giang) thẩm định" in (
        started.text
    )
    # The head checks the six others, not its own department.
    assert "Điểm tự chấm năm 2023 cần thẩm định" in listing.text
    assert "• Sở Nội vụ tỉnh Yên Bái: chưa thẩm định" in listing.text
    assert "Bắc Kạn" not in listing.text and len(listing.buttons) == 6
    assert await _state(cluster) == "checking"
    (posted,) = [m for m in cluster.emu.messages(GROUP) if "Đã kết thúc tự chấm" in m.text]
    assert "điểm tự chấm đang được thẩm định" in posted.text
    assert "được phản hồi một lần" in posted.text

    # The deputy's department checks the head's, and is told so privately, with its card.
    deputy = cluster.officers["bac-giang"]
    (told,) = _private(cluster, deputy, "với vai trò Cụm phó")
    assert "thẩm định điểm tự chấm của đơn vị Cụm trưởng, Sở Nội vụ tỉnh Bắc Kạn" in told.text
    card = await _card(cluster, deputy, told, "Bắc Kạn")
    assert "Tự chấm: 10 — Kế hoạch số 12/KH-SNV" in card.text
    done, card = await _adjust(
        cluster, deputy, card, 2, "8", "Dự đủ 4 hội nghị, đơn vị chưa tự chấm"
    )
    assert "của Sở Nội vụ tỉnh Bắc Kạn: 0 → 8" in done.text
    assert "Điều chỉnh thành 8 (Sở Nội vụ tỉnh Bắc Giang): Dự đủ 4 hội nghị" in card.text
    (notice,) = _private(cluster, head, "đã được điều chỉnh")
    assert "do Sở Nội vụ tỉnh Bắc Giang điều chỉnh: 0 → 8" in notice.text
    # Nobody else was told anything privately.
    for slug in SLUGS:
        if slug != "bac-giang":
            assert not _private(cluster, cluster.officers[slug], "Thẩm định năm 2023: với vai trò")

    # Self-scoring is over; the head's /score check again shows the list; the deputy's its one.
    (closed,) = await h.say(officer, officer.id, "/score")
    assert "Đã hết thời gian tự chấm điểm: điểm đang được thẩm định." in closed.text
    (_, again) = _mine(await h.say(head, head.id, "/score check 2023"), head)
    assert "cần thẩm định" in again.text and len(again.buttons) == 6
    (own,) = await h.say(deputy, deputy.id, "/score check")
    assert "• Sở Nội vụ tỉnh Bắc Kạn: đã điều chỉnh" in own.text and len(own.buttons) == 1
    (none,) = await h.say(officer, officer.id, "/score check")
    assert "Cụm trưởng thẩm định điểm tự chấm; đơn vị của anh/chị không thẩm định" in none.text
    (usage,) = await h.say(head, head.id, "/score check năm-nay")
    assert "Cách dùng: <code>/score check</code>" in (usage.html or "")


async def test_adjust_answer_decide_and_lock(cluster: Cluster) -> None:
    h, head = cluster.h, cluster.head
    await _open_and_score(cluster)
    (*_, listing) = _mine(await h.say(head, head.id, "/score check"), head)
    card = await _card(cluster, head, listing, "Yên Bái")
    text = card.text
    assert "Thẩm định điểm tự chấm năm 2023 — Sở Nội vụ tỉnh Yên Bái" in text
    assert "1. Ban hành kế hoạch công tác năm" in text and "(tối đa 10)" in text
    assert "Tự chấm: 9 — Kế hoạch số 12/KH-SNV · 2 minh chứng" in text
    assert "Bot tự tính: 10" in text  # on time in every round (there is none yet)
    assert "Chưa tự chấm (0)" in text  # a criterion Yên Bái left
    assert "[Điểm thưởng] Được tặng Cờ thi đua" in text and "Không kê khai" in text
    assert "Tổng điểm hiện tại: 29/100." in text
    ids, session_id = await _ids(cluster), await _session_id(cluster)
    assert card.buttons[0] == ("✏️ 1", cb.CheckAdjust(session_id, ids["yen-bai"], 0).encode())
    assert card.buttons[-1] == (
        "✅ Chấp nhận điểm",
        cb.CheckAccept(session_id, ids["yen-bai"]).encode(),
    )

    # Over the maximum, and no number: refused, asked again; nothing recorded.
    (ask,) = _mine(await h.press(head, card, "✏️ 1"), head)
    assert "Điều chỉnh mục 1 «Ban hành kế hoạch công tác năm" in ask.text
    assert "(tối đa 10, hiện tại 9)" in ask.text
    over, again = _mine(await h.say(head, head.id, "12"), head)
    assert "vượt quá" in over.text and "10" in over.text and "Điều chỉnh mục 1" in again.text
    bad, again = _mine(await h.say(head, head.id, "bảy"), head)
    assert "không phải số điểm hợp lệ" in bad.text and "Điều chỉnh mục 1" in again.text
    (why,) = _mine(await h.say(head, head.id, "7,5"), head)
    assert "7,5 điểm cho «Ban hành kế hoạch" in why.text
    assert await _adjustments(cluster) == []
    done, card2 = _mine(await h.say(head, head.id, "Kế hoạch ban hành muộn 2 tháng"), head)
    assert "Đã điều chỉnh «Ban hành kế hoạch công tác năm" in done.text
    assert "của Sở Nội vụ tỉnh Yên Bái: 9 → 7,5" in done.text
    assert "✏️ Điều chỉnh thành 7,5 (Sở Nội vụ tỉnh Bắc Kạn): Kế hoạch ban hành muộn" in card2.text
    assert "Tổng điểm hiện tại: 27,5/100." in card2.text
    (adjustment,) = await _adjustments(cluster)
    assert adjustment.points_cents == 750 and adjustment.checked_by == head.id
    assert adjustment.reason == "Kế hoạch ban hành muộn 2 tháng"
    # A second adjustment, accepted as a whole afterwards: a bonus item the checker grants.
    await _adjust(cluster, head, card2, 10, "1", "Bằng khen của Thủ tướng Chính phủ")

    # The department sees the adjustment privately and answers once.
    officer = cluster.officers["yen-bai"]
    notices = _private(cluster, officer, "Điểm tự chấm năm 2023 của đơn vị đã được điều chỉnh")
    assert len(notices) == 2
    notice = notices[0]
    assert "«Ban hành kế hoạch công tác năm" in notice.text and "9 → 7,5" in notice.text
    assert "do Sở Nội vụ tỉnh Bắc Kạn điều chỉnh" in notice.text
    assert "Lý do: Kế hoạch ban hành muộn 2 tháng" in notice.text
    (ask,) = _mine(await h.press(officer, notice, "💬 Phản hồi"), officer)
    assert "Gửi ý kiến phản hồi của đơn vị về điều chỉnh «Ban hành" in ask.text
    (sent,) = _mine(await h.say(officer, officer.id, "Kế hoạch ban hành đúng hạn, số 12"), officer)
    assert "Đã gửi phản hồi về «Ban hành kế hoạch" in sent.text
    (twice,) = _mine(await h.press(officer, notice, "💬 Phản hồi"), officer)
    assert "Đơn vị đã trả lời điều chỉnh này." in twice.text
    # The next message is no answer any more.
    assert not any("phản hồi" in m.text for m in await h.say(officer, officer.id, "thêm ý"))

    # The head is asked to decide; locking waits for it and says which.
    (asked,) = _private(cluster, head, "Sở Nội vụ tỉnh Yên Bái phản hồi một điều chỉnh")
    assert "Phản hồi: Kế hoạch ban hành đúng hạn, số 12" in asked.text
    assert "Giữ điều chỉnh (7,5) hay khôi phục điểm tự chấm của đơn vị (9)?" in asked.text
    waiting, listed = await h.say(head, head.id, "/score lock")
    assert "Chưa thể chốt điểm năm 2023: còn 1 điều chỉnh đã có phản hồi" in waiting.text
    assert "Sở Nội vụ tỉnh Yên Bái phản hồi một điều chỉnh" in listed.text
    assert [t for t, _ in listed.buttons] == ["✅ Giữ điều chỉnh", "↩️ Khôi phục điểm tự chấm"]
    assert await _state(cluster) == "checking"
    # Not the department's officer: only the head decides.
    keep = next(data for label, data in asked.buttons if "Giữ" in label)
    (nope,) = await h.press_data(officer, notice, keep or "")
    assert "Chỉ Cụm trưởng hoặc quản trị viên mới quyết định điều chỉnh." in nope.text
    await h.press(head, asked, "✅ Giữ điều chỉnh")
    # The question is replaced by the decision, without its buttons.
    assert "Đã quyết định về «Ban hành kế hoạch" in asked.text
    assert "giữ điều chỉnh (7,5)" in asked.text and not asked.buttons
    (told,) = _private(cluster, officer, "Cụm trưởng đã quyết định về điều chỉnh")
    assert "giữ điều chỉnh (7,5)" in told.text
    (late,) = await h.press(head, listed, "↩️ Khôi phục")
    assert "Điều chỉnh này đã có quyết định." in late.text

    # The head accepts another department's score as it stands.
    card3 = await _card(cluster, head, listing, "Thái Nguyên")
    (accepted,) = _mine(await h.press(head, card3, "Chấp nhận điểm"), head)
    assert "Đã chấp nhận điểm tự chấm năm 2023 của Sở Nội vụ tỉnh Thái Nguyên" in accepted.text
    card3 = await _card(cluster, head, listing, "Thái Nguyên")
    assert "Đã được Sở Nội vụ tỉnh Bắc Kạn chấp nhận lúc" in card3.text
    (progress, again) = _mine(await h.say(head, head.id, "/score check"), head)
    assert "đã thẩm định 2/7 đơn vị" in progress.text  # Yên Bái adjusted, Thái Nguyên accepted
    assert "1 điều chỉnh đã có phản hồi đang chờ" not in progress.text  # decided above
    assert "• Sở Nội vụ tỉnh Thái Nguyên: đã chấp nhận" in again.text
    assert "• Sở Nội vụ tỉnh Yên Bái: đã điều chỉnh" in again.text

    # Locked: the head is told who no checker reviewed; the group gets the ranking.
    locked, ranking = _mine(await h.say(head, head.id, "/score lock 2023"), head)
    assert "Đã chốt điểm cuối cùng năm 2023 (tổng cộng 2 điều chỉnh)" in locked.text
    assert "Chưa được thẩm định (chốt theo điểm tự chấm):" in locked.text
    assert "• Sở Nội vụ tỉnh Bắc Kạn" in locked.text and "• Sở Nội vụ tỉnh Phú Thọ" in locked.text
    assert "Yên Bái" not in locked.text and "Thái Nguyên" not in locked.text
    assert "Kết quả xếp hạng thi đua năm 2023" in ranking.text
    assert await _state(cluster) == "locked"
    group = [m.text for m in cluster.emu.messages(GROUP)]
    assert any("Cụm trưởng đã chốt điểm thi đua cuối cùng năm 2023" in t for t in group)
    (posted,) = [t for t in group if "Kết quả xếp hạng thi đua năm 2023" in t]
    # Yên Bái: 7,5 + 10 self (checked), 10 on time, +1 bonus granted by the checker.
    assert "Sở Nội vụ tỉnh Yên Bái: 28,5" in posted and "Sở Nội vụ tỉnh Bắc Kạn: 20" in posted
    (shown,) = await h.say(officer, GROUP, "/ranking")
    assert "Sở Nội vụ tỉnh Yên Bái: 28,5" in shown.text

    # Every step is kept: who adjusted, answered and decided, and when.
    first, second = await _adjustments(cluster)
    assert (first.answer_note, first.answered_by) == (
        "Kế hoạch ban hành đúng hạn, số 12",
        officer.id,
    )
    assert (first.decision, first.decided_by) == ("upheld", head.id)
    assert first.created_at is not None and first.answered_at and first.decided_at
    assert (second.kind, second.item, second.answered_at, second.decision) == (
        "bonus",
        "khen-thuong-cap-tren",
        None,
        None,
    )
    async with h.db.session() as s:
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        (review,) = await score_checks.list_reviews(s, row)
        assert review.accepted_by == head.id

    # A locked score cannot be edited: the card's buttons, the answer, the decision, /score.
    for message, label in ((card2, "✏️ 2"), (card2, "Chấp nhận điểm"), (notices[1], "Phản hồi")):
        (refused,) = await h.press(head if message is card2 else officer, message, label)
        assert "Điểm cuối cùng đã được chốt, không thể sửa nữa." in refused.text
    (refused,) = await h.say(officer, officer.id, "/score")
    assert "Điểm cuối cùng đã được chốt" in refused.text
    (refused,) = await h.say(head, head.id, "/score lock")
    assert "Điểm cuối cùng đã được chốt" in refused.text
    assert len(await _adjustments(cluster)) == 2


async def test_checking_refusals(cluster: Cluster) -> None:
    h, head = cluster.h, cluster.head
    await _open_and_score(cluster)
    (early,) = await h.say(head, head.id, "/score lock")
    assert "vẫn đang mở" in early.text and "/score check" in early.text
    (*_, listing) = _mine(await h.say(head, head.id, "/score check"), head)
    card = await _card(cluster, head, listing, "Yên Bái")
    ids, session_id = await _ids(cluster), await _session_id(cluster)

    # A department checking itself: the head's own card, by forged data.
    own = cb.CheckCard(session_id, ids["bac-kan"]).encode()
    (refused,) = await h.press_data(head, card, own)
    assert "Đơn vị không được tự thẩm định điểm của mình." in refused.text
    adjust_own = cb.CheckAdjust(session_id, ids["bac-kan"], 0).encode()
    (refused,) = await h.press_data(head, card, adjust_own)
    assert "tự thẩm định" in refused.text
    # A stranger: an officer of another department on Yên Bái's card and buttons.
    stranger = cluster.officers["thai-nguyen"]
    (strangers,) = await h.say(stranger, stranger.id, "/help")  # a message to press on
    for label_data in (card.buttons[0][1], card.buttons[-1][1]):
        (refused,) = await h.press_data(stranger, strangers, label_data or "")
        assert "Đơn vị không được phân công chấm chéo đơn vị này" in refused.text
    # Yên Bái itself on its own card.
    officer = cluster.officers["yen-bai"]
    (officers,) = await h.say(officer, officer.id, "/help")
    (refused,) = await h.press_data(officer, officers, card.buttons[0][1] or "")
    assert "tự thẩm định" in refused.text
    # Forged and foreign data; an item past the table; a session of no cluster.
    for data in ("sk:a:abc", "sk:zz", f"sk:a:{session_id}:{ids['yen-bai']}", "sk:r:999999:1"):
        (stale,) = await h.press_data(head, card, data)
        assert STALE in stale.text, data
    (stale,) = await h.press_data(
        head, card, cb.CheckAdjust(session_id, ids["yen-bai"], 99).encode()
    )
    assert STALE in stale.text
    assert await _adjustments(cluster) == []

    # A conversation cancelled records nothing; a reason is needed.
    await h.press(head, card, "✏️ 2")
    await h.say(head, head.id, "5")
    (stop,) = await h.say(head, head.id, "/cancel")
    assert "Đã hủy; chưa ghi nhận gì." in stop.text
    await h.press(head, card, "✏️ 2")
    await h.say(head, head.id, "5")
    refused, again = await h.say(head, head.id, "   ")
    assert "Vui lòng nêu lý do" in refused.text or "lý do" in refused.text.lower()
    assert "gửi lý do điều chỉnh" in again.text
    await h.say(head, head.id, "Chỉ dự 2/4 hội nghị")
    (adjustment,) = await _adjustments(cluster)

    # Only the adjusted department answers, and not after a decision.
    notice = _private(cluster, officer, "đã được điều chỉnh")[0]
    answer = cb.CheckAnswer(adjustment.id or 0).encode()
    (refused,) = await h.press_data(stranger, strangers, answer)
    assert "Điều chỉnh này không thuộc điểm của đơn vị." in refused.text
    (refused,) = await h.press_data(head, card, answer)
    assert "không thuộc điểm của đơn vị" in refused.text
    # An officer keeps nothing; the head may decide it unanswered (from the lock's list, none).
    (refused,) = await h.press_data(officer, notice, cb.CheckKeep(adjustment.id or 0).encode())
    assert "Chỉ Cụm trưởng hoặc quản trị viên mới quyết định" in refused.text
    (early,) = await h.press_data(head, card, cb.CheckKeep(adjustment.id or 0).encode())
    assert "Đơn vị chưa phản hồi điều chỉnh này" in early.text
    (adjustment,) = await _adjustments(cluster)
    assert adjustment.decision is None  # the department may still answer
    (stale,) = await h.press_data(head, card, cb.CheckKeep(999999).encode())
    assert STALE in stale.text
    # Points on the lock's side: officers may not lock.
    (refused,) = await h.say(officer, officer.id, "/score lock")
    assert "Chỉ Cụm trưởng hoặc quản trị viên mới chốt điểm cuối cùng." in refused.text

    # An answer begun, then the lock: the answer is refused, nothing recorded.
    await h.press(officer, notice, "Phản hồi")
    await h.say(head, head.id, "/score lock")
    (refused,) = await h.say(officer, officer.id, "Chúng tôi dự đủ")
    assert "Điểm cuối cùng đã được chốt" in refused.text
    (adjustment,) = await _adjustments(cluster)
    assert adjustment.answer_note is None


async def test_peer_checking_by_rotation(cluster: Cluster, tmp_path: Path) -> None:
    h, head = cluster.h, cluster.head
    peer = tmp_path / "peer.toml"
    peer.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace('checking = "head"', 'checking = "peer"'),
        encoding="utf-8",
    )
    await h.init_cluster(peer)
    await _open_and_score(cluster)
    replies = _mine(await h.say(head, head.id, "/score check"), head)
    (started,) = [m for m in replies if "Đã kết thúc tự chấm" in m.text]
    (listing,) = [m for m in replies if "cần thẩm định" in m.text]
    # 2023 among 7 departments in id order: each checks the second after it.
    assert "Chấm chéo (luân phiên, không đơn vị nào tự chấm mình):" in started.text
    assert "• Sở Nội vụ tỉnh Yên Bái chấm Sở Nội vụ tỉnh Bắc Kạn" in started.text
    assert "• Sở Nội vụ tỉnh Bắc Kạn chấm Sở Nội vụ tỉnh Phú Thọ" in started.text
    (posted,) = [m for m in cluster.emu.messages(GROUP) if "Đã kết thúc tự chấm" in m.text]
    assert "Sở Nội vụ tỉnh Yên Bái chấm Sở Nội vụ tỉnh Bắc Kạn" in posted.text
    # The head's department checks Phú Thọ only (its list); everyone is told privately.
    assert len(listing.buttons) == 1 and "Phú Thọ" in listing.text
    for slug in SLUGS:
        (told,) = _private(cluster, cluster.officers[slug], "Chấm chéo năm 2023")
        assert "năm nay Sở Nội vụ tỉnh" in told.text

    # Yên Bái checks Bắc Kạn from its message; nobody else may.
    checker = cluster.officers["yen-bai"]
    (told,) = _private(cluster, checker, "Chấm chéo năm 2023")
    assert "chấm điểm tự chấm của Sở Nội vụ tỉnh Bắc Kạn" in told.text
    card = await _card(cluster, checker, told, "Bắc Kạn")
    for other, refusal in (
        (head, "Đơn vị không được tự thẩm định điểm của mình."),  # the head checks Phú Thọ
        (cluster.officers["thai-nguyen"], "Đơn vị không được phân công chấm chéo đơn vị này"),
    ):
        (own,) = await h.say(other, other.id, "/help")
        (refused,) = await h.press_data(other, own, card.buttons[0][1] or "")
        assert refusal in refused.text
    assert cluster.admin is not None
    (own,) = await h.say(cluster.admin, cluster.admin.id, "/help")
    (refused,) = await h.press_data(cluster.admin, own, card.buttons[0][1] or "")
    assert "không được phân công chấm chéo" in refused.text
    (done, _) = await _adjust(cluster, checker, card, 1, "8", "Thiếu kế hoạch phong trào")
    assert "Sở Nội vụ tỉnh Bắc Kạn: 10 → 8" in done.text
    (adjustment,) = await _adjustments(cluster)
    ids = await _ids(cluster)
    assert adjustment.checker_department_id == ids["yen-bai"]
    (notice,) = _private(cluster, head, "đã được điều chỉnh")
    assert "do Sở Nội vụ tỉnh Yên Bái điều chỉnh: 10 → 8" in notice.text

    # The head's department answers; the head decides (restores); both sides are told.
    await h.press(head, notice, "Phản hồi")
    await h.say(head, head.id, "Kế hoạch phong trào ban hành kèm Quyết định 45")
    (asked,) = _private(cluster, head, "Sở Nội vụ tỉnh Bắc Kạn phản hồi một điều chỉnh")
    (fyi,) = _private(cluster, checker, "đã phản hồi điều chỉnh")
    assert "Sở Nội vụ tỉnh Bắc Kạn đã phản hồi điều chỉnh «Ban hành kế hoạch" in fyi.text
    assert "(10 → 8): Kế hoạch phong trào ban hành kèm Quyết định 45" in fyi.text
    assert not fyi.buttons  # the head decides
    await h.press(head, asked, "↩️ Khôi phục")
    assert "khôi phục điểm tự chấm của đơn vị (10)" in asked.text
    (told_checker,) = _private(cluster, checker, "Cụm trưởng đã quyết định")
    assert "khôi phục điểm tự chấm của đơn vị (10)" in told_checker.text
    await h.say(head, head.id, "/score lock")
    (shown,) = await h.say(checker, checker.id, "/ranking 2023")
    assert "Sở Nội vụ tỉnh Bắc Kạn: 20" in shown.text  # 10 self (restored) + 10 on time


async def test_in_the_group_checking_starts_but_the_cards_stay_private(cluster: Cluster) -> None:
    h, head = cluster.h, cluster.head
    await _open_and_score(cluster)
    replies = await h.say(head, GROUP, "/score check")
    in_group = [m for m in replies if m.chat_id == GROUP]
    assert any("Đã kết thúc tự chấm điểm năm 2023 và bắt đầu thẩm định" in m.text for m in in_group)
    assert any("tin nhắn riêng với bot" in m.text for m in in_group)
    assert not any(m.buttons for m in in_group)  # no department's card in the group
    assert await _state(cluster) == "checking"
    (again,) = await h.say(head, GROUP, "/score check")
    assert "tin nhắn riêng với bot: vui lòng gửi /score check ở đó" in again.text
    # A card's button pressed in the group (forged there) shows nothing of the card.
    ids, session_id = await _ids(cluster), await _session_id(cluster)
    card = cb.CheckCard(session_id, ids["yen-bai"]).encode()
    (refused,) = await h.press_data(head, again, card)
    assert "tin nhắn riêng với bot" in refused.text and "Thẩm định điểm" not in refused.text
    # Locking from the group posts the ranking there once.
    await h.say(head, GROUP, "/score lock")
    posted = [
        m for m in cluster.emu.messages(GROUP) if "Kết quả xếp hạng thi đua năm 2023" in m.text
    ]
    assert len(posted) == 1
