"""The soak: fifty officers report at once while Telegram fails one call in ten, in each way
(429 with retry_after, 500/502, timeouts, connection resets), and some officers have blocked the
bot (403). Every confirmed report is stored exactly once, every officer who can be reached is
told the truth exactly once, the group's progress ends at the right count in one message, no
traceback is logged, and the bot still answers afterwards (issue 8, "Tests and measures").

Timeouts and resets here never reach Telegram before failing (``timeout_executed`` and
``reset_executed`` are 0): after one that did, Telegram may hold the message although we never
heard so, and the worker, which prefers a rare duplicate answer to a lost one, sends it again.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import func, select

from bot.emulator import BotApiEmulator, EmuUser
from bot.emulator.faults import Faults
from bot.emulator.harness import Harness
from storage import clusters
from storage.models import Submission
from tests.conftest import EXAMPLE, GROUP, Clock

OFFICERS = 50
CLUSTER_ID = "cum-noi-vu-tdmnpb"
VALUES = ["165", "22", "52", "99,5", "Tốt"]
SAVED = "✅ Đã nộp báo cáo Năm 2023"


def cluster_file(tmp_path: Path) -> Path:
    """The example cluster with 43 more departments: 50 in all."""
    text = EXAMPLE.read_text(encoding="utf-8")
    extra = "".join(
        f'[[departments]]\nid = "don-vi-{n:02}"\nname = "Đơn vị thử {n:02}"\n'
        f'name_en = "Test unit {n:02}"\n\n'
        for n in range(OFFICERS - 7)
    )
    at = text.index("[[indicators]]")
    # The pact and the scoring table (the file's last sections) set targets for the seven
    # departments only; this test is about load, so its cluster has neither.
    text = text[: text.index("[pact]")]
    path = tmp_path / "cluster.toml"
    path.write_text(text[:at] + extra + text[at:], encoding="utf-8")
    return path


@pytest.fixture
async def soak(sqlite_url: str, clock: Clock, tmp_path: Path) -> AsyncIterator[Harness]:
    async with Harness(sqlite_url, clock=clock, request_timeout=1.0) as h:
        yield h


@dataclass
class Fifty:
    h: Harness
    officers: list[EmuUser]

    @property
    def head(self) -> EmuUser:
        return self.officers[0]  # Bắc Kạn holds the head's office in the example


async def fifty_officers(h: Harness, tmp_path: Path) -> Fifty:
    await h.init_cluster(cluster_file(tmp_path))
    admin = h.user(9000, "Quản trị")
    await h.say(admin, admin.id, f"/start {await h.invite(CLUSTER_ID, None, 'admin')}")
    assert h.db is not None
    async with h.db.session() as s:
        slugs = [d.slug for d in await clusters.list_departments(s, CLUSTER_ID)]
    assert len(slugs) == OFFICERS
    officers: list[EmuUser] = []
    for n, slug in enumerate(slugs):
        user = h.user(2000 + n, f"Cán bộ {slug}")
        await h.say(user, user.id, f"/start {await h.invite(CLUSTER_ID, slug)}")
        officers.append(user)
    await h.add_to_group(admin, GROUP, "Cụm thi đua")
    await h.say(admin, GROUP, "/link")
    return Fifty(h, officers)


def flaky(emu: BotApiEmulator, blocked: set[int], seed: int) -> Faults:
    """One call in ten fails, in each way; the blocked officers' chats refuse everything."""
    return emu.inject(
        0.1,
        seed=seed,
        retry_after=1,
        timeout_delay=1.5,
        timeout_executed=0.0,
        reset_executed=0.0,
        forbidden_chats=blocked,
    )


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]
    assert tracebacks == [], [r.getMessage() for r in tracebacks]


async def test_fifty_officers_report_while_telegram_fails(
    soak: Harness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    h, emu = soak, soak.emu
    fifty = await fifty_officers(h, tmp_path)
    officers, head = fifty.officers, fifty.head
    opened = await h.say(head, head.id, "/round open 2023 15/01/2024")
    assert "Đã mở kỳ báo cáo" in opened[0].text

    blocked = {officers[5].id, officers[17].id}  # they blocked the bot: 403 for them
    faults = flaky(emu, blocked, seed=8)
    caplog.set_level(logging.WARNING)

    async def report(user: EmuUser) -> None:
        text = "\n".join(f"{n}: {v}" for n, v in enumerate(VALUES, start=1))
        await emu.send_text(user, user.id, text)
        if user.id in blocked:
            return  # the card never reaches them; nothing to confirm
        await emu.wait_until(lambda: any(m.buttons for m in emu.messages(user)), timeout=60)
        card = [m for m in emu.messages(user) if m.buttons][-1]
        data = next(d for label, d in card.buttons if "Xác nhận" in label)
        assert data is not None
        await emu.press(user, user.id, card.message_id, data)

    await asyncio.wait_for(asyncio.gather(*(report(u) for u in officers)), 120)
    reachable = [u for u in officers if u.id not in blocked]
    await emu.wait_until(
        lambda: all(any(SAVED in m.text for m in emu.messages(u)) for u in reachable), timeout=120
    )
    await emu.wait_until(
        lambda: any(f"Đã nộp: {len(reachable)}/{OFFICERS}" in m.text for m in emu.messages(GROUP)),
        timeout=120,
    )
    await h.settled(120)

    assert faults.total > 20 and set(faults.injected) >= {
        "retry_after",
        "server_error",
        "timeout",
        "reset",
        "forbidden",
    }
    assert h.db is not None
    async with h.db.session() as s:
        stored = (await s.exec(select(func.count()).select_from(Submission))).one()
        revisions = (await s.exec(select(func.max(Submission.revision)))).one()
    assert stored == len(reachable) and revisions == 1  # each confirmed report once
    for user in reachable:
        mine = [m.text for m in emu.messages(user)]
        calls = [
            (c.method, c.fault, c.error_code, c.error)
            for c in emu.calls
            if str(c.params.get("chat_id")) == str(user.id)
            and c.method in ("sendMessage", "editMessageText")
        ]
        assert sum(SAVED in t for t in mine) == 1, (user.id, mine, calls)  # told once
        assert not any("không bị thay đổi" in t for t in mine)  # never "nothing was changed"
    progress = [m for m in emu.messages(GROUP) if "Đã nộp:" in m.text]
    assert len(progress) == 1
    assert re.search(rf"Đã nộp: {len(reachable)}/{OFFICERS}\b", progress[0].text)
    no_tracebacks(caplog)

    emu.faults = None
    alive = await h.say(head, head.id, "/whoami")
    assert alive and "Bắc Kạn" in alive[-1].text


ANNOUNCEMENT = "Họp Cụm thi đua ngày 20/01/2024 tại Tuyên Quang"


async def test_fifty_officers_vote_and_acknowledge_while_telegram_fails(
    soak: Harness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.services.announcements import copy_key
    from storage import announcements as announcement_store
    from storage import deliveries
    from storage import elections as election_store

    h, emu = soak, soak.emu
    fifty = await fifty_officers(h, tmp_path)
    officers, head = fifty.officers, fifty.head
    draft = await h.say(head, head.id, "/election 2024")
    await h.press(head, draft[-1], "Mở bầu cử")
    preview = await h.say(head, head.id, f"/announce {ANNOUNCEMENT}")
    blocked = {officers[9].id}
    faults = flaky(emu, blocked, seed=11)
    caplog.set_level(logging.WARNING)
    await h.press(head, preview[-1], "Gửi")
    reachable = [u for u in officers if u.id not in blocked]

    async def vote(user: EmuUser) -> None:
        await emu.send_text(user, user.id, "/vote")
        await emu.wait_until(
            lambda: any(
                "Tuyên Quang" in label for m in emu.messages(user) for label, _ in m.buttons
            ),
            timeout=60,
        )
        ballot = [
            m for m in emu.messages(user) if m.buttons and "Phiếu trắng" in m.button_texts[-1]
        ][-1]
        data = next(d for label, d in ballot.buttons if "Tuyên Quang" in label)
        assert data is not None
        await emu.press(user, user.id, ballot.message_id, data)

    await asyncio.wait_for(asyncio.gather(*(vote(u) for u in reachable)), 180)
    # The announcement's fan-out is done when the author reads what was reached.
    await emu.wait_until(
        lambda: any("📨 Đã gửi thông báo" in m.text for m in emu.messages(head)), timeout=120
    )
    await h.settled(120)
    assert h.db is not None
    async with h.db.session() as s:
        announcement = await announcement_store.find_latest_sent(s, CLUSTER_ID)
        assert announcement is not None and announcement.id is not None
        keys = {u.id: copy_key(announcement.id, u.id) for u in reachable}
        states = await deliveries.states_of(s, keys.values())
    # A copy whose request timed out may or may not have reached Telegram: it is counted as
    # delivered and never sent twice (the delivery log's rule); the operator sees it as
    # 'uncertain', and the nudge reaches the officer later. Everyone else has theirs.
    received = [u for u in reachable if any(ANNOUNCEMENT in m.text for m in emu.messages(u))]
    for user in reachable:
        if user not in received:
            assert states[keys[user.id]] == "uncertain", (user.id, states.get(keys[user.id]))
    assert len(received) >= len(reachable) - 3

    async def acknowledge(user: EmuUser) -> None:
        copy = next(m for m in emu.messages(user) if ANNOUNCEMENT in m.text and m.buttons)
        ack = next(d for label, d in copy.buttons if "Đã nhận" in label)
        assert ack is not None
        await emu.press(user, user.id, copy.message_id, ack)

    await asyncio.wait_for(asyncio.gather(*(acknowledge(u) for u in received)), 120)
    await emu.wait_until(
        lambda: (
            all(any("Mã phiếu" in m.text for m in emu.messages(u)) for u in reachable)
            and all(any("Đã ghi nhận" in m.text for m in emu.messages(u)) for u in received)
        ),
        timeout=120,
    )
    await emu.wait_until(
        lambda: any(
            f"{len(reachable)}/{OFFICERS} đơn vị đã bỏ phiếu" in m.text for m in emu.messages(GROUP)
        ),
        timeout=120,
    )
    await h.settled(120)

    assert faults.total > 20
    assert h.db is not None
    async with h.db.session() as s:
        election = await election_store.find_latest_election(s, CLUSTER_ID)
        assert election is not None and election.id is not None
        round_ = await election_store.get_open_round(s, election.id)
        assert round_ is not None and round_.id is not None
        voted = await election_store.list_voted_departments(s, round_.id)
        missing = await announcement_store.list_unacknowledged_departments(s, announcement.id)
    assert len(voted) == len(set(voted)) == len(reachable)  # each ballot stored once
    assert len(missing) == OFFICERS - len(received)  # everyone who got it acknowledged
    for user in reachable:
        mine = [m.text for m in emu.messages(user)]
        assert sum("Mã phiếu" in t for t in mine) == 1, (user.id, mine)
        assert sum("Đã ghi nhận" in t for t in mine) == (user in received), (user.id, mine)
        if user is not head:  # the author also has the preview
            assert sum(ANNOUNCEMENT in t for t in mine) == (user in received)
        assert not any("không bị thay đổi" in t for t in mine)
    turnout = [m for m in emu.messages(GROUP) if "đơn vị đã bỏ phiếu" in m.text]
    assert len(turnout) == 1
    assert len([m for m in emu.messages(GROUP) if ANNOUNCEMENT in m.text]) == 1
    no_tracebacks(caplog)
