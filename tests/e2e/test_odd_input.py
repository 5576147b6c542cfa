"""Odd input, end to end (issue 8, items 8 and 9): what a hostile or unlucky user sends.

Digits that `str.isdigit()` accepts but `int()` refuses, integers too large for the database,
lone surrogates, data with extra parts, damaged Excel files, presses that come without a message,
and edited messages. Each gets a polite, specific answer (never the generic error) and changes
nothing in the database.
"""

from __future__ import annotations

import io
import logging
import struct
import time
import zipfile
from typing import Any

import pytest
from sqlmodel import func, select

from bot.emulator import EmuUser, SentMessage
from storage import rounds
from storage.models import Draft, Invite, Membership, Submission
from storage.models_announcements import Announcement
from storage.models_elections import Election
from tests.conftest import CLUSTER, Cluster
from tests.e2e.test_reporting import GOOD, Q1, Q2, STALE, paste
from tests.summaries.test_e2e_template import GOOD as GOOD_CELLS
from tests.summaries.test_e2e_template import fill, get_template, nothing_stored

GENERIC = "đã có lỗi xảy ra"
INVALID_BUTTON = "Nút này đã cũ hoặc không hợp lệ. Vui lòng gõ lại lệnh."
EDIT_NOTE = "Bot không đọc lại tin nhắn đã sửa"
SURROGATE = "\ud800"


# --- what the database holds ---------------------------------------------------------------


async def snapshot(cluster: Cluster) -> dict[str, Any]:
    """Everything a press or a message could have changed."""
    assert cluster.h.db is not None
    async with cluster.h.db.session() as s:

        async def count(model: Any) -> int:
            return (await s.exec(select(func.count()).select_from(model))).one()

        drafts = sorted((d.person_id, d.version, d.state) for d in (await s.exec(select(Draft))))
        round_states = sorted((r.period, r.state) for r in await rounds.list_rounds(s, CLUSTER))
        return {
            "drafts": drafts,
            "rounds": round_states,
            "submissions": await count(Submission),
            "memberships": await count(Membership),
            "invites_used": (
                await s.exec(
                    select(func.count()).select_from(Invite).where(Invite.used_by.is_not(None))  # type: ignore[union-attr]  # a column attribute at class level
                )
            ).one(),
            "elections": await count(Election),
            "announcements": sorted(
                (a.id, a.state, a.text) for a in (await s.exec(select(Announcement)))
            ),
        }


def texts(replies: list[SentMessage]) -> list[str]:
    return [m.text for m in replies]


def no_generic_error(cluster: Cluster, caplog: pytest.LogCaptureFixture) -> None:
    everything = [m.text for chat in list(cluster.emu.chats) for m in cluster.emu.messages(chat)]
    assert not any(GENERIC in t for t in everything)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
    ]


# --- acting as a user in ways the harness has no verb for ------------------------------------


async def edit(cluster: Cluster, user: EmuUser, chat_id: int, text: str) -> list[SentMessage]:
    """The user edits their last message in the chat to `text` (an `edited_message` update)."""
    emu = cluster.emu
    message_id = max(mid for (chat, mid) in emu._user_messages if chat == chat_id)
    message = dict(emu._user_messages[(chat_id, message_id)])
    message["text"] = text
    message["edit_date"] = int(time.time())
    message.pop("entities", None)
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    before = len(emu.sent)
    update_id = emu._enqueue({"edited_message": message})
    return await cluster.h._settle(update_id, before)


async def press_without_message(
    cluster: Cluster, user: EmuUser, on: SentMessage, data: str
) -> list[SentMessage]:
    """A press that arrives with no message (an inline-mode message, or one Telegram dropped)."""
    emu = cluster.emu
    before = len(emu.sent)
    update_id = await emu.press(user, on.chat_id, on.message_id, data)
    update = emu._updates[-1]  # not polled yet: the bot only runs when this test awaits
    assert update["update_id"] == update_id
    query = update["callback_query"]
    del query["message"]
    query["inline_message_id"] = "AgAAAKo-AABtlkA"
    return await cluster.h._settle(update_id, before)


# --- item 9: digits int() refuses ------------------------------------------------------------


@pytest.mark.parametrize("arg", ["²", "²⁰²⁴", "٢٠٢٤", "99999"])
async def test_election_with_a_term_in_odd_digits_shows_the_usage(
    cluster: Cluster, caplog: pytest.LogCaptureFixture, arg: str
) -> None:
    before = await snapshot(cluster)
    with caplog.at_level(logging.ERROR):
        replies = await cluster.h.say(cluster.head, cluster.head.id, f"/election {arg}")
    assert len(replies) == 1 and replies[0].text.startswith("Cách dùng:")
    assert await snapshot(cluster) == before
    no_generic_error(cluster, caplog)


async def test_chart_with_a_superscript_number_names_the_unknown_indicator(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    await cluster.open_round()
    await cluster.submit("phu-tho", ["187", "28", "55", "100", "Tốt"])
    officer = cluster.officers["phu-tho"]
    with caplog.at_level(logging.ERROR):
        for arg in ("²", "١", "99999999999999999999999"):
            (reply,) = await cluster.h.say(officer, officer.id, f"/chart {arg}")
            assert f"Không có chỉ tiêu «{arg}» có thể vẽ biểu đồ." in reply.text
        # The real numbers still work.
        (chart,) = await cluster.h.say(officer, officer.id, "/chart 1")
        assert chart.kind == "photo"
    no_generic_error(cluster, caplog)


@pytest.mark.parametrize("in_progress", [False, True])
async def test_a_pasted_line_with_a_superscript_key_is_an_unknown_item(
    cluster: Cluster, caplog: pytest.LogCaptureFixture, in_progress: bool
) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    if in_progress:
        await cluster.h.say(officer, officer.id, "/report")
    before = await snapshot(cluster)
    with caplog.at_level(logging.ERROR):
        replies = await cluster.h.say(officer, officer.id, "²: 5\n1: 165")
    (reply,) = replies
    assert "Chưa nhận được số liệu vì có dòng chưa đúng" in reply.text
    assert "Dòng 1: không có chỉ tiêu «²»" in reply.text
    assert await snapshot(cluster) == before
    no_generic_error(cluster, caplog)


# --- item 9: forged button data ----------------------------------------------------------------


@pytest.mark.parametrize(
    "forged",
    [
        "rp:ok:²",
        "rp:ok:{v}:x",  # extra parts: the old splitting accepted it and submitted the report
        "rp:ok:0{v}",
        "rp:ok:99999999999999999999",
        f"rp:ok:{SURROGATE}",
        f"rp:{SURROGATE}:{{v}}",
        "rp:ei:{v}:²",
        "rp:ok:{v}\n",
    ],
)
async def test_forged_report_data_is_stale_and_submits_nothing(
    cluster: Cluster, caplog: pytest.LogCaptureFixture, forged: str
) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    review = (await cluster.h.say(officer, officer.id, paste(GOOD)))[-1]
    assert "Xem lại báo cáo" in review.text
    before = await snapshot(cluster)
    version = before["drafts"][0][1]
    with caplog.at_level(logging.ERROR):
        replies = await cluster.h.press_data(officer, review, forged.format(v=version))
    assert texts(replies) == [STALE]
    assert await snapshot(cluster) == before
    no_generic_error(cluster, caplog)
    # The real button still works.
    (saved,) = await cluster.h.press(officer, review, "Xác nhận nộp")
    assert "Đã nộp" in saved.text


@pytest.mark.parametrize(
    "forged", ["ro:c:²", "ro:c:99999999999999999999", f"ro:c:{SURROGATE}", "ro:c:{id}:x"]
)
async def test_forged_round_data_is_refused_and_closes_nothing(
    cluster: Cluster, caplog: pytest.LogCaptureFixture, forged: str
) -> None:
    await cluster.open_round()
    h, head = cluster.h, cluster.head
    (menu,) = await h.say(head, head.id, "/round")
    assert h.db is not None
    async with h.db.session() as s:
        (row,) = await rounds.list_open_rounds(s, CLUSTER)
    before = await snapshot(cluster)
    with caplog.at_level(logging.ERROR):
        replies = await h.press_data(head, menu, forged.format(id=row.id))
    assert texts(replies) == [INVALID_BUTTON]
    assert await snapshot(cluster) == before
    assert before["rounds"] == [("2023", "open")]
    no_generic_error(cluster, caplog)


@pytest.mark.parametrize(
    "forged",
    [
        f"ev:{SURROGATE}:1",
        "ev:²:1",
        "ev:1:99999999999999999999",
        f"an:ack:{SURROGATE}",
        "an:ack:²",
        "an:send:1:x",
        f"el:open:{SURROGATE}",
        "el:dec:1:²",
        "el:open:1:2",
        f"{SURROGATE}",
    ],
)
async def test_forged_election_and_announcement_data_is_refused(
    cluster: Cluster, caplog: pytest.LogCaptureFixture, forged: str
) -> None:
    h, head = cluster.h, cluster.head
    (menu,) = await h.say(head, head.id, "/help")
    before = await snapshot(cluster)
    with caplog.at_level(logging.ERROR):
        replies = await h.press_data(head, menu, forged)
    (reply,) = replies
    if forged.startswith("ev:"):
        assert reply.text == "⛔ Phiếu không được ghi nhận: dữ liệu không hợp lệ."
    else:
        assert reply.text == INVALID_BUTTON
    assert await snapshot(cluster) == before
    no_generic_error(cluster, caplog)


# --- item 9: lone surrogates in commands ---------------------------------------------------------


async def test_start_with_lone_surrogates_is_an_unknown_code(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    stranger = cluster.h.user(6100, "Người lạ")
    before = await snapshot(cluster)
    with caplog.at_level(logging.ERROR):
        for payload in (SURROGATE, f"abc{SURROGATE}def", "\udfff\ud800", "mã-mời", "x" * 65):
            (reply,) = await cluster.h.say(stranger, stranger.id, f"/start {payload}")
            assert reply.text.startswith("Mã mời không đúng."), payload
    assert await snapshot(cluster) == before
    no_generic_error(cluster, caplog)


# --- item 9: a damaged Excel file ----------------------------------------------------------------


def _entry(data: bytes, name: str) -> tuple[zipfile.ZipInfo, int, int]:
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    names, extra = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + names + extra
    return info, start, start + info.compress_size


def damaged_deflate(data: bytes) -> bytes:
    """The sheet's compressed bytes broken past the first 4 KiB it inflates: zlib.error, raised
    only once openpyxl reads the rows."""
    _, start, end = _entry(data, "xl/worksheets/sheet1.xml")
    broken = bytearray(data)
    for k in range(start + (end - start) * 2 // 3, end - 8):
        broken[k] ^= 0x5A
    return bytes(broken)


def unknown_method(data: bytes) -> bytes:
    """The sheet stored with a compression method zipfile does not implement."""
    info, _, _ = _entry(data, "xl/worksheets/sheet1.xml")
    broken = bytearray(data)
    broken[info.header_offset + 8 : info.header_offset + 10] = struct.pack("<H", 14)  # LZMA?
    at = broken.find(b"PK\x01\x02")
    while at != -1:
        size = struct.unpack("<H", broken[at + 28 : at + 30])[0]
        if bytes(broken[at + 46 : at + 46 + size]) == b"xl/worksheets/sheet1.xml":
            broken[at + 10 : at + 12] = struct.pack("<H", 99)
        at = broken.find(b"PK\x01\x02", at + 4)
    return bytes(broken)


def unknown_version(data: bytes) -> bytes:
    """A central directory entry claiming a zip version zipfile refuses (NotImplementedError)."""
    broken = bytearray(data)
    at = broken.find(b"PK\x01\x02")
    broken[at + 6 : at + 8] = struct.pack("<H", 240)  # "version needed to extract" 24.0
    return bytes(broken)


@pytest.mark.parametrize("damage", [damaged_deflate, unknown_method, unknown_version])
async def test_a_damaged_template_is_refused_as_damaged(
    cluster: Cluster, caplog: pytest.LogCaptureFixture, damage: Any
) -> None:
    await cluster.open_round()
    good = fill(await get_template(cluster, "bac-kan"), GOOD_CELLS)
    officer = cluster.officers["bac-kan"]
    with caplog.at_level(logging.ERROR):
        (reply,) = await cluster.h.upload(officer, officer.id, "bao-cao.xlsx", damage(good))
    assert "tệp bị hỏng hoặc không mở được" in reply.text
    assert "Không có gì được lưu." in reply.text
    assert await nothing_stored(cluster, "bac-kan")
    no_generic_error(cluster, caplog)


# --- item 9: presses without a message -----------------------------------------------------------


@pytest.mark.parametrize("data", ["rp:ok:{v}", "ro:new", "ev:1:1", "an:ack:1", "el:open:1", "zz"])
async def test_a_press_without_a_message_is_answered_and_changes_nothing(
    cluster: Cluster, caplog: pytest.LogCaptureFixture, data: str
) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    review = (await cluster.h.say(officer, officer.id, paste(GOOD)))[-1]
    before = await snapshot(cluster)
    answered = len(cluster.emu.answered_callbacks)
    with caplog.at_level(logging.ERROR):
        replies = await press_without_message(
            cluster, officer, review, data.format(v=before["drafts"][0][1])
        )
    assert replies == []  # there is no chat to answer in
    (toast,) = cluster.emu.answered_callbacks[answered:]
    assert toast["text"] == (
        "Nút này không dùng được ở đây. Vui lòng mở cuộc trò chuyện riêng với bot và gõ lại lệnh."
    )
    assert await snapshot(cluster) == before
    no_generic_error(cluster, caplog)


# --- item 8: an edited message is not a new answer -------------------------------------------------


async def test_editing_an_answer_does_not_answer_the_next_question(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    (_, question) = await cluster.h.say(officer, officer.id, "/report")
    assert question.text.startswith(Q1)
    (q2,) = await cluster.h.say(officer, officer.id, "165")
    assert q2.text.startswith(Q2)
    before = await snapshot(cluster)
    with caplog.at_level(logging.ERROR):
        replies = await edit(cluster, officer, officer.id, "170")
    assert len(replies) == 1 and replies[0].text.startswith(EDIT_NOTE)
    assert await snapshot(cluster) == before  # Q1 is still 165, Q2 still unanswered
    # The next message is the answer to question 2, as before.
    (q3,) = await cluster.h.say(officer, officer.id, "22")
    assert q3.text.startswith("3/5.")
    assert h_state(await snapshot(cluster)) == {
        "tinh-gian-bien-che": "165",
        "kiem-tra-ky-luat": "22",
    }
    no_generic_error(cluster, caplog)


def h_state(snap: dict[str, Any]) -> dict[str, str | None]:
    from bot.domain.drafts import DraftState

    ((_, _, state),) = snap["drafts"]
    return DraftState.from_json(state).answers


async def test_editing_a_paste_or_a_command_does_nothing_again(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    await cluster.h.say(officer, officer.id, paste(GOOD))
    before = await snapshot(cluster)
    with caplog.at_level(logging.ERROR):
        (note,) = await edit(cluster, officer, officer.id, paste(["1", "2", "3", "4", "5"]))
        assert note.text.startswith(EDIT_NOTE)
        (note,) = await edit(cluster, officer, officer.id, "/cancel")
        assert note.text.startswith(EDIT_NOTE)
    assert await snapshot(cluster) == before
    # The head's "/round close", edited, does not close the round.
    head = cluster.head
    await cluster.h.say(head, head.id, "/help")
    with caplog.at_level(logging.ERROR):
        (note,) = await edit(cluster, head, head.id, "/round close")
    assert note.text.startswith(EDIT_NOTE)
    assert (await snapshot(cluster))["rounds"] == [("2023", "open")]
    no_generic_error(cluster, caplog)


async def test_editing_a_message_while_composing_an_announcement_is_not_the_announcement(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    head = cluster.head
    await cluster.h.say(head, head.id, "Xin chào")
    await cluster.h.say(head, head.id, "/announce")
    before = await snapshot(cluster)
    assert [state for _, state, _ in before["announcements"]] == ["composing"]
    with caplog.at_level(logging.ERROR):
        (note,) = await edit(cluster, head, head.id, "/announce Họp cụm ngày mai")
    assert note.text.startswith(EDIT_NOTE)
    assert await snapshot(cluster) == before
    # The next message is the announcement, as before.
    replies = await cluster.h.say(head, head.id, "Họp cụm lúc 8 giờ")
    assert any("Họp cụm lúc 8 giờ" in t for t in texts(replies))
    no_generic_error(cluster, caplog)


async def test_an_edit_in_the_group_is_silent(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.conftest import GROUP

    await cluster.open_round()
    head = cluster.head
    await cluster.h.say(head, GROUP, "/status")
    before = await snapshot(cluster)
    with caplog.at_level(logging.ERROR):
        replies = await edit(cluster, head, GROUP, "/round close")
    assert replies == []
    assert await snapshot(cluster) == before
    no_generic_error(cluster, caplog)
