"""The demo's end of the emulation year 2023, after the reporting year: the scoring, the
ranking and the award proposals, as the news report tells them.

- Scoring: the head opens the year's scoring; the points of the automatic criteria follow from
  the departments' 2023 figures against the pact's targets and from their reports on time, each
  department scores itself on the others (and Bắc Kạn claims the bonus for an award received);
  the head adjusts one criterion of Thái Nguyên with a reason, Thái Nguyên answers once, the head
  keeps the adjustment and locks the totals. These steps go through the services the chat's
  /score and checking call (bot/services/emulation.py), not through the chat: this module is the
  demo, not a second copy of those conversations. The group then asks for /ranking: Bắc Kạn
  first.
- Awards, in the chat as the officers would do it: the head opens the vote on the Flag (the top
  of the ranking stands), every department approves Bắc Kạn; the vote on the Certificate of
  Merit for collectives proposes Thái Nguyên and Tuyên Quang; each department nominates one
  person (/nominate), and the cluster agrees to all seven.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.domain import callback_data as callbacks
from bot.domain.awards import mask_of
from bot.emulator import EmuUser, SentMessage
from bot.emulator.harness import Harness
from bot.services import emulation
from storage import clusters

YEAR = 2023
CLUSTER = "cum-noi-vu-tdmnpb"
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
SCORING_DEADLINE = date(2024, 1, 20)
BONUS_ITEM = "khen-thuong-cap-tren"

# department -> the self-scored criteria (10 points at most each) and a bonus, if any.
SELF_SCORES: dict[str, tuple[Sequence[str], Decimal | None]] = {
    "bac-kan": (("10", "10", "10", "10"), Decimal(3)),
    "bac-giang": (("9", "9", "9", "9"), None),
    "thai-nguyen": (("9.5", "10", "9.5", "9"), None),
    "hoa-binh": (("9", "9.5", "9", "9"), None),
    "yen-bai": (("9", "9", "8.5", "9"), None),
    "phu-tho": (("9", "9", "9", "9.5"), None),
    "tuyen-quang": (("9", "9", "9.5", "9"), None),
}
SELF_CRITERIA = ("ke-hoach-cong-tac", "hoat-dong-cum", "phong-trao-thi-dua", "cai-cach-hanh-chinh")
JUSTIFICATION = "Có văn bản, kế hoạch và báo cáo kết quả kèm theo."
BONUS = "Cờ thi đua của Chính phủ năm 2022"  # the award Bắc Kạn received (điểm thưởng)
ADJUSTED = ("thai-nguyen", "phong-trao-thi-dua", Decimal("8.5"))
REASON = "Chưa có minh chứng về phong trào thi đua theo chuyên đề."
ANSWER = "Đơn vị đã phát động phong trào chuyên đề theo Kế hoạch số 12/KH-SNV."

COLLECTIVE_VOTES: dict[str, tuple[str, ...]] = {
    "bac-kan": ("thai-nguyen", "tuyen-quang"),
    "bac-giang": ("thai-nguyen", "tuyen-quang"),
    "thai-nguyen": ("tuyen-quang", "hoa-binh"),
    "hoa-binh": ("thai-nguyen", "tuyen-quang"),
    "yen-bai": ("thai-nguyen", "phu-tho"),
    "phu-tho": ("thai-nguyen", "tuyen-quang"),
    "tuyen-quang": ("thai-nguyen", "hoa-binh"),
}

# One person per department: (name, position, achievements).
NOMINEES: dict[str, tuple[str, str, str]] = {
    "bac-kan": (
        "Nông Văn Thắng",
        "Phó Giám đốc Sở",
        "Chỉ đạo hoàn thành đề án vị trí việc làm của tỉnh.",
    ),
    "bac-giang": (
        "Ngô Thị Thu",
        "Trưởng phòng Công chức, viên chức",
        "Số hóa 100% hồ sơ cán bộ, công chức đúng hạn.",
    ),
    "thai-nguyen": (
        "Dương Văn Long",
        "Trưởng phòng Tổ chức, biên chế",
        "Tinh giản biên chế vượt kế hoạch năm 2023.",
    ),
    "hoa-binh": (
        "Quách Thị Nga",
        "Chánh Văn phòng Sở",
        "Triển khai phần mềm quản lý cán bộ toàn tỉnh.",
    ),
    "yen-bai": (
        "Hà Văn Quân",
        "Chánh Thanh tra Sở",
        "Kiểm tra công vụ tại 20 cơ quan, đơn vị.",
    ),
    "phu-tho": (
        "Vũ Thị Lan",
        "Trưởng phòng Cải cách hành chính",
        "Tổ chức 55 lớp bồi dưỡng cho công chức.",
    ),
    "tuyen-quang": (
        "Ma Văn Định",
        "Phó Trưởng phòng Công chức, viên chức",
        "Hoàn thành nhập cơ sở dữ liệu quốc gia về cán bộ.",
    ),
}
DISAGREE = ("yen-bai", "bac-giang")  # Yên Bái says no to Bắc Giang's nominee (6/7 agree)

NAMES = {
    "bac-kan": "Bắc Kạn",
    "bac-giang": "Bắc Giang",
    "thai-nguyen": "Thái Nguyên",
    "hoa-binh": "Hòa Bình",
    "yen-bai": "Yên Bái",
    "phu-tho": "Phú Thọ",
    "tuyen-quang": "Tuyên Quang",
}


async def score_2023(
    h: Harness, officers: dict[str, EmuUser], head: EmuUser, group_id: int, now: datetime
) -> str:
    """Self-scores, one adjustment answered and kept, the lock; then /ranking in the group.
    Returns the group's ranking text."""
    assert h.db is not None
    today = now.astimezone(HANOI).date()
    async with h.db.session() as s:
        ids = {d.slug: d.id for d in await clusters.list_departments(s, CLUSTER)}
        row = await emulation.open_scoring(
            s, CLUSTER, YEAR, SCORING_DEADLINE, by=head.id, now=now, today=today
        )
        for slug, (points, bonus) in SELF_SCORES.items():
            department = ids[slug]
            assert department is not None
            officer = officers[slug].id
            for criterion, value in zip(SELF_CRITERIA, points, strict=True):
                await emulation.score_criterion(
                    s,
                    row,
                    department,
                    criterion,
                    Decimal(value),
                    JUSTIFICATION,
                    by=officer,
                    now=now,
                )
            if bonus is not None:
                await emulation.score_extra(
                    s, row, department, "bonus", BONUS_ITEM, bonus, BONUS, by=officer, now=now
                )
        await emulation.start_checking(s, row, now=now)
        adjusted, criterion, lowered = ADJUSTED
        checked = ids[adjusted]
        assert checked is not None
        cut = await emulation.adjust(
            s, row, checked, "criterion", criterion, lowered, REASON, by=head.id, now=now
        )
        assert cut.id is not None
        answering = officers[adjusted].id
        await emulation.answer_adjustment(s, row, cut.id, checked, ANSWER, by=answering, now=now)
        await emulation.decide_adjustment(s, row, cut.id, upheld=True, by=head.id, now=now)
        await emulation.lock_scoring(s, row, by=head.id, now=now, today=today)
    replies = await h.say(head, group_id, f"/ranking {YEAR}")
    return next((m.text for m in replies if m.chat_id == group_id), "")


async def propose_awards_2023(
    h: Harness, officers: dict[str, EmuUser], head: EmuUser, group_id: int
) -> list[str]:
    """The three award votes in the chat; returns the group's count texts."""
    results: list[str] = []
    # The Flag: the top three of the ranking stand; every department approves Bắc Kạn.
    await h.say(head, group_id, f"/award flag {YEAR}")
    for user in officers.values():
        await _approve(h, user, [NAMES["bac-kan"]])
    results.append(await _close(h, head, group_id))
    # The Certificate of Merit for collectives: at most 2 units on each ballot.
    await h.say(head, group_id, f"/award collective {YEAR}")
    for slug, chosen in COLLECTIVE_VOTES.items():
        await _approve(h, officers[slug], [NAMES[c] for c in chosen])
    results.append(await _close(h, head, group_id))
    # The Certificate of Merit for individuals: each department nominates one person.
    for slug, (name, position, achievements) in NOMINEES.items():
        user = officers[slug]
        for text in (f"/nominate {YEAR}", name, position, achievements):
            await h.say(user, user.id, text)
    await h.say(head, group_id, f"/award individual {YEAR}")
    for n, (slug, user) in enumerate(officers.items()):
        ballot = await _ballot(h, user)
        if n == 0:  # the first officer ticks each nominee, as anyone would
            for name, _position, _achievements in NOMINEES.values():
                await h.press(user, ballot, name)  # ⬜ -> ✅ agree
            await h.press(user, ballot, "Xác nhận phiếu")
            continue
        # The others confirm what the same ticks would have put in the «Confirm» button (the
        # ticks only ride in the buttons): one update per ballot instead of eight, so that the
        # demo stays quick in CI.
        no = {i for i, nominee in enumerate(NOMINEES) if (slug, nominee) == DISAGREE}
        yes = set(range(len(NOMINEES))) - no
        await h.press_data(user, ballot, _cast_data(ballot, yes, no))
    results.append(await _close(h, head, group_id))
    return results


async def _ballot(h: Harness, user: EmuUser) -> SentMessage:
    sent = [m for m in await h.say(user, user.id, "/vote") if m.chat_id == user.id]
    return sent[-1]


def _cast_data(ballot: SentMessage, yes: set[int], no: set[int]) -> str:
    """The «Confirm» data of this ballot with these slots agreed and disagreed."""
    pressed = next(
        b["callback_data"]
        for row in ballot.reply_markup or []
        for b in row
        if str(b.get("callback_data", "")).startswith("aw:ok:")
    )
    parsed = callbacks.AWARD.decode(str(pressed))
    assert isinstance(parsed, callbacks.AwardCast)
    return callbacks.AwardCast(parsed.round_id, mask_of(yes), mask_of(no)).encode()


async def _approve(h: Harness, user: EmuUser, labels: list[str]) -> None:
    ballot = await _ballot(h, user)
    for label in labels:
        await h.press(user, ballot, label)
    await h.press(user, ballot, "Xác nhận phiếu")


async def _close(h: Harness, head: EmuUser, group_id: int) -> str:
    seen = len(h.emu.messages(group_id))
    await h.say(head, group_id, "/award close")
    counted = [m.text for m in h.emu.messages(group_id)[seen:] if "Kết quả kiểm phiếu" in m.text]
    return counted[-1] if counted else ""


def proposals(results: list[str]) -> list[str]:
    """The lines of the counts that say who is proposed (for the demo's closing lines)."""
    return [line for text in results for line in text.splitlines() if "Đề nghị tặng" in line]
