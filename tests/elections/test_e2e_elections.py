"""Elections through the emulator: users press buttons, the group sees turnout and results."""

from __future__ import annotations

from bot.emulator import SentMessage
from bot.jobs import elections as jobs
from tests.conftest import GROUP, Cluster
from tests.elections.conftest import turnout_text

SLUGS = ["bac-kan", "bac-giang", "thai-nguyen", "hoa-binh", "yen-bai", "phu-tho", "tuyen-quang"]
NAMES = {
    "bac-kan": "Bắc Kạn",
    "bac-giang": "Bắc Giang",
    "thai-nguyen": "Thái Nguyên",
    "hoa-binh": "Hòa Bình",
    "yen-bai": "Yên Bái",
    "phu-tho": "Phú Thọ",
    "tuyen-quang": "Tuyên Quang",
}


async def open_election(c: Cluster, *args: str) -> None:
    head = c.head
    draft = await c.h.say(head, head.id, " ".join(["/election", *args]))
    assert "Chuẩn bị bầu cử" in draft[-1].text, draft[-1].text
    opened = await c.h.press(head, draft[-1], "Mở bầu cử")
    assert any("Danh sách đơn vị bỏ phiếu (7)" in m.text for m in opened), [m.text for m in opened]


async def vote(c: Cluster, slug: str, choice: str | None) -> SentMessage:
    """The officer of `slug` asks for the ballot and presses a candidate (None: blank).
    Returns the ballot message, which the bot turns into the receipt (or a refusal)."""
    user = c.officers[slug]
    # Only this officer's chat: another chat's answer may go out in the meantime.
    ballot = [m for m in await c.h.say(user, user.id, "/vote") if m.chat_id == user.id]
    label = "Phiếu trắng" if choice is None else NAMES[choice]
    replies = [m for m in await c.h.press(user, ballot[-1], label) if m.chat_id == user.id]
    return replies[-1] if replies else ballot[-1]


async def test_full_election_head_then_deputy(ecluster: Cluster):
    c = ecluster
    await open_election(c, "2024")
    group = c.emu.messages(GROUP)
    assert any("Mã kiểm tra danh sách" in m.text for m in group)
    for slug in ["bac-kan", "bac-giang", "thai-nguyen", "yen-bai", "phu-tho"]:
        receipt = await vote(c, slug, "tuyen-quang")
        assert "Đơn vị đã bỏ phiếu" in receipt.text and "Mã phiếu" in receipt.text
    await vote(c, "hoa-binh", "phu-tho")
    await vote(c, "tuyen-quang", None)
    assert "7/7 đơn vị đã bỏ phiếu" in turnout_text(c)
    head = c.head
    status = await c.h.say(head, head.id, "/election close")
    done = await c.h.press(head, status[-1], "Kết thúc")
    result = next(m for m in c.emu.messages(GROUP) if "Kết quả bầu Cụm trưởng" in m.text)
    assert (
        "Sở Nội vụ tỉnh Tuyên Quang được bầu làm Cụm trưởng năm 2024 với 5/7 phiếu" in result.text
    )
    assert done


async def close_by_time(c: Cluster, hours: float = 25) -> None:
    """The round's closing time passes; the election job wakes up."""
    c.clock.advance(hours=hours)
    assert c.h.app is not None
    await jobs.tick(c.h.app)
    await c.h.settled()


def group_texts(c: Cluster) -> list[str]:
    return [m.text for m in c.emu.messages(GROUP)]


async def test_deputy_round_then_minutes_and_handover(ecluster: Cluster):
    c = ecluster
    await open_election(c, "2024")
    for slug in SLUGS:
        await vote(c, slug, "tuyen-quang" if slug != "tuyen-quang" else "hoa-binh")
    await close_by_time(c)
    # Deputy: Tuyên Quang is out (elected head), Bắc Kạn (outgoing head) may stand.
    user = c.officers["bac-giang"]
    ballot = (await c.h.say(user, user.id, "/vote"))[-1]
    labels = [label for label, _ in ballot.buttons]
    assert not any("Tuyên Quang" in label for label in labels)
    assert any("Bắc Kạn" in label for label in labels) and "Bầu Cụm phó" not in ballot.text
    for slug in SLUGS:
        await vote(c, slug, "hoa-binh" if slug != "hoa-binh" else "yen-bai")
    await close_by_time(c)
    texts = group_texts(c)
    assert any(
        "Sở Nội vụ tỉnh Hòa Bình được bầu làm Cụm phó năm 2024 với 6/7 phiếu" in t for t in texts
    )
    assert any("đã hoàn tất" in t for t in texts)
    # The term has begun (5 January 2024): the handover is announced once.
    await jobs.tick(c.h.application)
    await jobs.tick(c.h.application)
    handover = [t for t in group_texts(c) if "Nhiệm kỳ năm 2024 bắt đầu" in t]
    assert (
        len(handover) == 1 and "Sở Nội vụ tỉnh Tuyên Quang nhận nhiệm vụ Cụm trưởng" in handover[0]
    )
    # Tuyên Quang's officer now has the head's command; Bắc Kạn's no longer.
    tq, bk = c.officers["tuyen-quang"], c.officers["bac-kan"]
    assert "Chuẩn bị bầu cử" in (await c.h.say(tq, tq.id, "/election"))[-1].text
    assert "Chỉ Cụm trưởng" in (await c.h.say(bk, bk.id, "/election"))[-1].text
    # The minutes, as a document.
    sent = await c.h.say(bk, bk.id, "/minutes")
    document = sent[-1]
    assert document.kind == "document" and document.document is not None
    html = document.document.data.decode("utf-8")
    assert "BIÊN BẢN KIỂM PHIẾU" in html
    assert "Sở Nội vụ tỉnh Tuyên Quang được bầu làm Cụm trưởng năm 2024 với 6/7 phiếu" in html


async def test_handover_waits_for_the_first_day_of_the_term(ecluster: Cluster):
    c = ecluster
    await open_election(c)  # the default: next year's term, 2025
    for slug in SLUGS:
        await vote(c, slug, "yen-bai" if slug != "yen-bai" else "phu-tho")
    await close_by_time(c)
    for slug in SLUGS:
        await vote(c, slug, "phu-tho" if slug != "phu-tho" else "bac-kan")
    await close_by_time(c)
    assert not any("Nhiệm kỳ năm 2025 bắt đầu" in t for t in group_texts(c))
    yb = c.officers["yen-bai"]
    assert "Chỉ Cụm trưởng" in (await c.h.say(yb, yb.id, "/election"))[-1].text
    c.clock.now = c.clock.now.replace(year=2025, month=1, day=1)
    await jobs.tick(c.h.application)
    assert any("Nhiệm kỳ năm 2025 bắt đầu" in t for t in group_texts(c))
    assert "Chuẩn bị bầu cử" in (await c.h.say(yb, yb.id, "/election"))[-1].text


async def test_tie_then_reballot(ecluster: Cluster):
    c = ecluster
    await open_election(c, "2024")
    split: dict[str, str | None] = {"bac-kan": "tuyen-quang", "bac-giang": "tuyen-quang", "thai-nguyen": "tuyen-quang"}
    split |= {"hoa-binh": "phu-tho", "yen-bai": "phu-tho", "phu-tho": "phu-tho"}
    split |= {"tuyen-quang": None}
    for slug, choice in split.items():
        await vote(c, slug, choice)
    await close_by_time(c)
    result = [t for t in group_texts(c) if "Kết quả bầu Cụm trưởng" in t][-1]
    assert "bầu lại giữa Sở Nội vụ tỉnh Phú Thọ, Sở Nội vụ tỉnh Tuyên Quang" in result
    user = c.officers["hoa-binh"]
    ballot = (await c.h.say(user, user.id, "/vote"))[-1]
    assert "vòng 2" in ballot.text
    assert [label for label, _ in ballot.buttons] == [
        "Sở Nội vụ tỉnh Phú Thọ",
        "Sở Nội vụ tỉnh Tuyên Quang",
        "⬜ Phiếu trắng",
    ]
    for slug in SLUGS[:5]:
        await vote(c, slug, "tuyen-quang")
    await close_by_time(c)
    assert any("được bầu làm Cụm trưởng năm 2024 với 5/5 phiếu" in t for t in group_texts(c))


async def test_quorum_not_met_then_the_head_decides(ecluster: Cluster):
    c = ecluster
    await open_election(c, "2024")
    for _ in range(3):  # three rounds, four of seven each time
        for slug in SLUGS[:4]:
            await vote(c, slug, "tuyen-quang")
        await close_by_time(c)
    texts = group_texts(c)
    assert sum("không đủ 2/3 số đơn vị" in t for t in texts) == 3
    assert any("Cụm trưởng quyết định trong số" in t for t in texts)
    head = c.head
    prompt = (await c.h.say(head, head.id, "/election"))[-1]
    assert "Cụm trưởng chọn một trong 6 đơn vị" in prompt.text
    assert not any("Bắc Kạn" in label for label, _ in prompt.buttons)
    await c.h.press(head, prompt, "Tuyên Quang")
    assert any(
        "Cụm trưởng đã quyết định: Sở Nội vụ tỉnh Tuyên Quang làm Cụm trưởng năm 2024" in t
        for t in group_texts(c)
    )
    deputy = c.officers["hoa-binh"]
    assert "Phiếu bầu Cụm phó" in (await c.h.say(deputy, deputy.id, "/vote"))[-1].text


async def test_forged_stale_ineligible_and_late_buttons_are_refused(ecluster: Cluster):
    c = ecluster
    await open_election(c, "2024")
    user = c.officers["hoa-binh"]
    ballot = (await c.h.say(user, user.id, "/vote"))[-1]
    round_id = int(ballot.buttons[0][1].split(":")[1])  # type: ignore[union-attr]  # a ballot button always has data
    bac_kan = 1  # the outgoing head's department id: not a candidate for head
    replies = await c.h.press_data(user, ballot, f"ev:{round_id}:{bac_kan}")
    assert "không đủ điều kiện ứng cử" in replies[-1].text
    replies = await c.h.press_data(user, ballot, f"ev:{round_id + 7}:3")
    assert "vòng bầu đã qua" in replies[-1].text
    replies = await c.h.press_data(user, ballot, "ev:1:3:drop table")
    assert "dữ liệu không hợp lệ" in replies[-1].text
    replies = await c.h.press_data(user, ballot, f"ex:{round_id}:3:{'A' * 16}")
    assert "chưa bỏ phiếu" in replies[-1].text  # replacing needs a ballot first
    assert "0/7 đơn vị đã bỏ phiếu" in turnout_text(c)
    # An observer or a stranger pressing a ballot button
    stranger = c.h.user(4242, "Người lạ")
    await c.h.say(stranger, stranger.id, "/start")
    await c.emu.send_text(stranger, stranger.id, "x")
    for slug in SLUGS:
        if slug != "hoa-binh":
            await vote(c, slug, "tuyen-quang")
    await close_by_time(c)
    # The first round's ballot is now stale; a vote after the close is refused.
    replies = await c.h.press(user, ballot, "Tuyên Quang")
    assert "vòng bầu đã qua" in replies[-1].text
    # Past the closing time, before the job has closed the round: refused all the same.
    deputy_ballot = (await c.h.say(user, user.id, "/vote"))[-1]
    c.clock.advance(hours=25)
    replies = await c.h.press(user, deputy_ballot, "Yên Bái")
    assert "vòng bầu đã kết thúc" in replies[-1].text
    await c.h.say(c.head, c.head.id, "/election cancel")
    assert "Hiện không có vòng bầu nào đang mở" in (await c.h.say(user, user.id, "/vote"))[-1].text


async def test_two_officers_of_one_department_at_the_same_moment(ecluster: Cluster):
    c = ecluster
    second = c.h.user(1101, "Cán bộ thứ hai Hòa Bình")
    await c.h.say(second, second.id, f"/start {await c.h.invite('cum-noi-vu-tdmnpb', 'hoa-binh')}")
    await open_election(c, "2024")
    first = c.officers["hoa-binh"]
    ballot_1 = (await c.h.say(first, first.id, "/vote"))[-1]
    ballot_2 = (await c.h.say(second, second.id, "/vote"))[-1]
    data_1 = next(d for label, d in ballot_1.buttons if "Yên Bái" in label)
    data_2 = next(d for label, d in ballot_2.buttons if "Phú Thọ" in label)
    update_1 = await c.emu.press(first, first.id, ballot_1.message_id, data_1)  # type: ignore[arg-type]  # a stored row: its id is set
    update_2 = await c.emu.press(second, second.id, ballot_2.message_id, data_2)  # type: ignore[arg-type]  # a stored row: its id is set
    update_3 = await c.emu.press(second, second.id, ballot_2.message_id, data_2)  # type: ignore[arg-type]  # a stored row: its id is set
    for update_id in (update_1, update_2, update_3):
        assert update_id is not None
        await c.h.tracker.wait(update_id)
    await c.h.settled()
    assert "1/7 đơn vị đã bỏ phiếu" in turnout_text(c)
    receipts = [m for m in c.emu.messages(first) + c.emu.messages(second) if "Mã phiếu" in m.text]
    codes = {m.text.split("Mã phiếu: ")[1][:9] for m in receipts}
    assert len(codes) == 1  # one ballot; both officers hold its receipt
    refusals = [
        m
        for m in c.emu.messages(first) + c.emu.messages(second)
        if "đã bỏ phiếu bầu Cụm trưởng ở vòng này" in m.text
    ]
    assert len(refusals) == 2


async def test_replacing_a_ballot_the_last_one_counts(ecluster: Cluster):
    c = ecluster
    await open_election(
        c,
        "2024",
    )
    receipt = await vote(c, "hoa-binh", "yen-bai")
    code = receipt.text.split("Mã phiếu: ")[1][:9]
    user = c.officers["hoa-binh"]
    again = (await c.h.say(user, user.id, "/vote"))[-1]
    assert "đã bỏ phiếu" in again.text and not again.buttons
    replace = await c.h.press(user, receipt, "Thay phiếu")
    changed = await c.h.press(user, replace[-1], "Tuyên Quang")
    final = changed[-1] if changed else replace[-1]
    assert "Đơn vị đã thay phiếu" in final.text and code in final.text
    for slug in SLUGS:
        if slug != "hoa-binh":
            await vote(c, slug, "yen-bai" if slug != "yen-bai" else "tuyen-quang")
    await close_by_time(c)
    result = [t for t in group_texts(c) if "Kết quả bầu Cụm trưởng" in t][-1]
    assert "Sở Nội vụ tỉnh Yên Bái được bầu làm Cụm trưởng năm 2024 với 5/7 phiếu" in result
    assert "Sở Nội vụ tỉnh Tuyên Quang: 2 phiếu" in result and code in result
