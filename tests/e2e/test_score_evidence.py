"""Evidence (minh chứng) sent in the private chat while self-scoring, through the emulator:
documents and photos kept with their name, size, hash, who and when, and their bytes; the
review card counts them per criterion; and every refusal (too big, a forbidden kind, an empty
file, no criterion named on the review card, self-scoring closed or past its deadline) says
why and keeps nothing."""

from __future__ import annotations

import hashlib

from bot.services import emulation
from storage import clusters, scoring
from storage.models_emulation import ScoreEvidence
from tests.conftest import CLUSTER, Cluster

PDF = b"%PDF-1.4\n" + b"Ke hoach 12/KH-SNV " * 200
# A 1x1 JPEG is enough: the bot keeps the bytes as sent, it does not look inside.
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
ANSWERS = [("7,5", "Đã ban hành Kế hoạch số 12/KH-SNV"), ("10", "Dự đủ 4 hội nghị của Cụm"),
           ("8.25", "Phát động 3 phong trào"), ("9", "Chuyển đổi số 100% hồ sơ")]  # fmt: skip


async def _open_and_start(cluster: Cluster, slug: str) -> None:
    h = cluster.h
    replies = await h.say(cluster.head, cluster.head.id, "/score open 2023 15/02/2024")
    assert any("Đã mở chấm điểm thi đua năm 2023" in m.text for m in replies)
    officer = cluster.officers[slug]
    intro = "\n".join(m.text for m in await h.say(officer, officer.id, "/score"))
    assert "Minh chứng: gửi tệp (PDF, Word, Excel) hoặc ảnh bất cứ lúc nào" in intro
    assert "/score excel" in intro


async def _evidence(cluster: Cluster, slug: str | None = None) -> list[ScoreEvidence]:
    async with cluster.h.db.session() as s:
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        ids = {d.slug: d.id for d in await clusters.list_departments(s, CLUSTER)}
        return await scoring.list_evidence(s, row, ids[slug] if slug else None)


async def test_documents_and_photos_are_kept_for_the_criteria(cluster: Cluster) -> None:
    h = cluster.h
    officer = cluster.officers["yen-bai"]
    await _open_and_start(cluster, "yen-bai")

    # No caption: the criterion being asked (1/4).
    (kept,) = await h.upload(officer, officer.id, "Ke hoach 12.pdf", PDF)
    assert (
        "📎 Đã lưu minh chứng «Ke hoach 12.pdf» (4 KB) cho tiêu chí «Ban hành kế hoạch công tác"
        in kept.text
    )
    assert "tiêu chí này hiện có 1 tệp minh chứng" in kept.text
    # A caption naming another criterion, by its number among the self-scored ones; a photo.
    (photo,) = await h.photo(officer, officer.id, JPEG, caption="3 — ảnh lễ phát động")
    assert "cho tiêu chí «Tổ chức phát động các phong trào thi đua; phát hiện" in photo.text
    # A computed criterion by its id: evidence may go to any criterion of the table.
    (auto,) = await h.upload(
        officer, officer.id, "Bao cao tinh gian.docx", b"PK docx", caption="tinh-gian-bien-che"
    )
    assert "«Thực hiện tinh giản biên chế theo kế hoạch giai đoạn 2022-2026»" in auto.text
    # A second file for criterion 1, a caption that names no criterion: the one being asked.
    (second,) = await h.upload(
        officer, officer.id, "Quyet dinh.PDF", b"%PDF quyet dinh", caption="Quyết định số 3"
    )
    assert "tiêu chí này hiện có 2 tệp minh chứng" in second.text

    files = await _evidence(cluster, "yen-bai")
    assert [(f.item, f.file_name) for f in files] == [
        ("ke-hoach-cong-tac", "Ke hoach 12.pdf"),
        ("phong-trao-thi-dua", files[1].file_name),
        ("tinh-gian-bien-che", "Bao cao tinh gian.docx"),
        ("ke-hoach-cong-tac", "Quyet dinh.PDF"),
    ]
    assert files[1].file_name.startswith("anh_") and files[1].file_name.endswith(".jpg")
    first = files[0]
    assert first.size == len(PDF) and first.sha256 == hashlib.sha256(PDF).hexdigest()
    assert first.uploaded_by == officer.id and first.uploaded_at is not None
    assert first.kind == "criterion" and first.telegram_file_id
    async with h.db.session() as s:
        assert first.id is not None and files[1].id is not None
        assert await scoring.get_evidence_content(s, first.id) == PDF
        assert await scoring.get_evidence_content(s, files[1].id) == JPEG

    # The scoring goes on where it was; the review card counts the evidence per criterion.
    for points, why in ANSWERS:
        await h.say(officer, officer.id, points)
        replies = await h.say(officer, officer.id, why)
    (card,) = replies
    assert "7,5/10</b> — Đã ban hành Kế hoạch số 12/KH-SNV 📎 2 tệp minh chứng" in (card.html or "")
    assert "Phát động 3 phong trào 📎 1 tệp minh chứng" in card.text
    assert "Chuyển đổi số 100% hồ sơ 📎" not in card.text
    assert "Thực hiện tinh giản biên chế theo kế hoạch giai đoạn 2022-2026: 📎 1 tệp" in card.text

    # On the review card a file must name its criterion; then the card comes again, counted.
    (which,) = await h.upload(officer, officer.id, "them.pdf", b"%PDF them")
    assert "phần chú thích của tệp cần ghi tệp là minh chứng cho tiêu chí nào" in which.text
    assert "4. Cải cách hành chính, chuyển đổi số trong ngành Nội vụ (cai-cach-hanh-chinh)" in (
        which.text
    )
    assert len(await _evidence(cluster, "yen-bai")) == 4
    kept, again = await h.upload(officer, officer.id, "them.pdf", b"%PDF them", caption="4")
    assert "Đã lưu minh chứng «them.pdf»" in kept.text
    assert "Chuyển đổi số 100% hồ sơ 📎 1 tệp minh chứng" in again.text
    # The card shown again is the same draft's: its confirmation records the scores.
    (done,) = await h.press(officer, again, "✅ Xác nhận")
    assert "Đã ghi nhận điểm tự chấm năm 2023" in done.text
    # Evidence is kept with the department, not the draft: /cancel of a new draft keeps it.
    await h.say(officer, officer.id, "/score")
    await h.upload(officer, officer.id, "sau.pdf", b"%PDF sau")
    await h.say(officer, officer.id, "/cancel")
    assert len(await _evidence(cluster, "yen-bai")) == 6
    assert await _evidence(cluster, "phu-tho") == []


async def test_a_file_name_is_shown_as_text(cluster: Cluster) -> None:
    h, officer = cluster.h, cluster.officers["hoa-binh"]
    await _open_and_start(cluster, "hoa-binh")
    (kept,) = await h.upload(officer, officer.id, "<b>bao cao</b>.pdf", b"%PDF x")
    assert "«&lt;b&gt;bao cao&lt;/b&gt;.pdf»" in (kept.html or "")
    # In English too.
    await h.say(officer, officer.id, "/language en")
    (english,) = await h.upload(officer, officer.id, "plan.pdf", b"%PDF y", caption="2")
    assert "📎 Kept the evidence «plan.pdf» (1 KB) for the criterion «" in english.text
    assert "it has 1 evidence file(s) now." in english.text


async def test_files_too_big_of_a_forbidden_kind_or_empty_are_refused(cluster: Cluster) -> None:
    h = cluster.h
    officer = cluster.officers["phu-tho"]
    await _open_and_start(cluster, "phu-tho")
    (exe,) = await h.upload(officer, officer.id, "cai-dat.exe", b"MZ\x90\x00")
    assert "Loại tệp này không được chấp nhận làm minh chứng" in exe.text
    assert "pdf, doc, docx, xls, xlsx, jpg, jpeg, png" in exe.text
    (bare,) = await h.upload(officer, officer.id, "pdf", b"%PDF")  # no extension at all
    assert "không được chấp nhận làm minh chứng" in bare.text
    big = b"%PDF" + b"\0" * (20 * 1024 * 1024)  # just over the table's 20 MB
    (too_big,) = await h.upload(officer, officer.id, "scan.pdf", big)
    assert "Tệp quá lớn: tệp minh chứng tối đa 20 MB." in too_big.text
    (empty,) = await h.upload(officer, officer.id, "trong.pdf", b"")
    assert "Tệp không có nội dung." in empty.text
    assert await _evidence(cluster) == []
    # The draft is untouched: the same question goes on.
    (ask,) = await h.say(officer, officer.id, "6")
    assert "6 điểm cho «Ban hành kế hoạch công tác năm" in ask.text


async def test_evidence_after_self_scoring_closed_is_refused(cluster: Cluster) -> None:
    h = cluster.h
    officer = cluster.officers["bac-giang"]
    await _open_and_start(cluster, "bac-giang")
    # The head closes self-scoring (checking starts): a file is refused, nothing kept.
    async with h.db.session() as s:
        row = await emulation.get_scoring(s, CLUSTER, 2023)
        await emulation.start_checking(s, row, now=cluster.clock())
        await s.commit()
    (closed,) = await h.upload(officer, officer.id, "muon.pdf", b"%PDF muon")
    assert "Đã hết thời gian tự chấm điểm: điểm đang được thẩm định." in closed.text
    assert await _evidence(cluster) == []
    # Without a draft a file is not evidence at all (the report template upload answers it).
    replies = await h.upload(officer, officer.id, "muon.pdf", b"%PDF muon")
    assert not any("minh chứng" in m.text for m in replies)
    assert await _evidence(cluster) == []


async def test_evidence_after_the_deadline_is_refused(cluster: Cluster) -> None:
    h = cluster.h
    officer = cluster.officers["thai-nguyen"]
    await _open_and_start(cluster, "thai-nguyen")
    cluster.clock.advance(days=42)  # 16/02/2024: past the deadline of 15/02/2024
    (late,) = await h.photo(officer, officer.id, JPEG)
    assert "Đã hết hạn tự chấm điểm (15/02/2024)" in late.text
    assert await _evidence(cluster) == []
