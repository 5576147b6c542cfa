"""The demo's election: the cluster elects Tuyên Quang as head and Hòa Bình as deputy for 2024,
as the news report says, with every step a user's message or button press in the emulator.

Call `elect_2024(h, officers, head)` after the officers are registered and the group is linked.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.emulator import EmuUser, SentMessage
from bot.emulator.harness import Harness
from bot.jobs import elections as jobs
from storage.clusters import list_departments

# Who votes for whom (None: a blank ballot). Head: Tuyên Quang 5/7. Deputy: Hòa Bình 6/7.
HEAD_VOTES: dict[str, str | None] = {
    "bac-kan": "tuyen-quang",
    "bac-giang": "tuyen-quang",
    "thai-nguyen": "tuyen-quang",
    "hoa-binh": "tuyen-quang",
    "yen-bai": "tuyen-quang",
    "phu-tho": "hoa-binh",
    "tuyen-quang": None,
}
DEPUTY_VOTES: dict[str, str | None] = {
    "bac-kan": "hoa-binh",
    "bac-giang": "hoa-binh",
    "thai-nguyen": "hoa-binh",
    "hoa-binh": "yen-bai",
    "yen-bai": "hoa-binh",
    "phu-tho": "hoa-binh",
    "tuyen-quang": "hoa-binh",
}


async def elect_2024(
    h: Harness,
    officers: dict[str, EmuUser],
    head: EmuUser,
    cluster_id: str = "cum-noi-vu-tdmnpb",
    group_id: int | None = None,
    out: Callable[[str], None] | None = print,
) -> list[str]:
    """Run the election; returns the texts the group received (opening, results, handover)."""
    assert h.db is not None and h.app is not None
    async with h.db.session() as session:
        names = {d.slug: d.name for d in await list_departments(session, cluster_id)}
    seen = len(h.emu.messages(group_id)) if group_id is not None else 0

    draft = await h.say(head, head.id, "/election 2024")
    await _press(h, head, draft[-1], "Mở bầu cử")
    for votes in (HEAD_VOTES, DEPUTY_VOTES):
        for slug, choice in votes.items():
            user = officers[slug]
            ballot = await h.say(user, user.id, "/vote")
            await _press(h, user, ballot[-1], "Phiếu trắng" if choice is None else names[choice])
        confirm = await h.say(head, head.id, "/election close")
        await _press(h, head, confirm[-1], "Kết thúc")
    await jobs.tick(h.app)  # the 2024 term has begun: the handover is announced
    texts = [m.text for m in h.emu.messages(group_id)[seen:]] if group_id is not None else []
    if out is not None:
        for text in texts:
            if "Kết quả" in text or "Nhiệm kỳ" in text or "hoàn tất" in text:
                out(text + "\n")
    return texts


async def _press(h: Harness, user: EmuUser, message: SentMessage, label: str) -> None:
    await h.press(user, message, label)
