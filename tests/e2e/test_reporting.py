"""The report conversation, end to end: officers talk to the bot through the emulator.

Every test drives the real application over HTTP, asserts the Vietnamese (or English) texts the
officer sees, and checks the database where it matters: a report is stored whole or not at all.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import func, select

from bot.domain.drafts import DraftState
from bot.emulator import EmuUser, SentMessage
from storage import clusters, rounds, submissions
from storage.models import Submission
from tests.conftest import CLUSTER, GROUP, Clock, Cluster

Q1 = "1/5. Số trường hợp tinh giản biên chế"
Q2 = "2/5. Số cơ quan, đơn vị được kiểm tra kỷ luật"
Q3 = "3/5. Số lớp đào tạo, bồi dưỡng"
Q4 = "4/5. Tỷ lệ hoàn thành nhập CSDL cán bộ, công chức, viên chức"
Q5 = "5/5. Kết quả nổi bật của đơn vị"
REVIEW = "Xem lại báo cáo"
STALE = "Nút này thuộc một bước đã qua. Gửi /report để tiếp tục báo cáo."
NOT_ALLOWED = "Bạn không có quyền dùng chức năng này."
CANCELLED = "Đã hủy. Số liệu đang nhập chưa được lưu"
NO_OPEN = "Hiện không có kỳ báo cáo nào đang mở cho đơn vị của bạn."
AMBIGUOUS = "Cách viết này có thể hiểu nhiều cách, nên tôi cần bạn xác nhận"
GOOD = ["165", "22", "52", "99,5", "Tốt"]
SLUGS = ["tinh-gian-bien-che", "kiem-tra-ky-luat", "lop-dao-tao", "csdl-can-bo", "ket-qua-noi-bat"]


# --- helpers ------------------------------------------------------------------------------


def paste(values: list[str]) -> str:
    return "\n".join(f"{n}: {v}" for n, v in enumerate(values, start=1))


def texts(replies: list[SentMessage]) -> list[str]:
    return [m.text for m in replies]


async def say(cluster: Cluster, slug: str, text: str) -> list[SentMessage]:
    user = cluster.officers[slug]
    return await cluster.h.say(user, user.id, text)


async def stored(
    cluster: Cluster, slug: str, period: str = "2023"
) -> list[tuple[Submission, dict[str, str | None]]]:
    """Every stored revision of a department, oldest first, values keyed by indicator id (slug)."""
    assert cluster.h.db is not None
    async with cluster.h.db.session() as s:
        row = await rounds.find_round_by_period(s, CLUSTER, period)
        department = await clusters.find_department_by_slug(s, CLUSTER, slug)
        indicators = await clusters.list_indicators(s, CLUSTER)
        assert row is not None and row.id is not None
        assert department is not None and department.id is not None
        revisions = await submissions.list_revisions(s, row.id, department.id)
    names = {i.id: i.slug for i in indicators}
    return [(r.submission, {names[k]: v for k, v in r.values.items()}) for r in revisions]


async def submission_count(cluster: Cluster) -> int:
    assert cluster.h.db is not None
    async with cluster.h.db.session() as s:
        return (await s.exec(select(func.count()).select_from(Submission))).one()


async def draft_of(cluster: Cluster, user: EmuUser) -> tuple[int, DraftState] | None:
    """(version, state) of the officer's report in progress, or None."""
    assert cluster.h.db is not None
    async with cluster.h.db.session() as s:
        draft = await submissions.get_draft(s, user.id)
        if draft is None:
            return None
        return draft.version, DraftState.from_json(draft.state)


async def state_of(cluster: Cluster, user: EmuUser) -> DraftState:
    """The officer's report in progress, which must exist."""
    draft = await draft_of(cluster, user)
    assert draft is not None, "no report in progress"
    return draft[1]


def progress_messages(cluster: Cluster) -> list[SentMessage]:
    return [m for m in cluster.emu.messages(GROUP) if "Đã nộp:" in m.text]


def api_errors(cluster: Cluster) -> list[Any]:
    return [(c.method, c.error) for c in cluster.emu.calls if c.error_code is not None]


# --- the walk-through ---------------------------------------------------------------------


async def test_walk_through_one_question_at_a_time(cluster: Cluster) -> None:
    await cluster.open_round()
    replies = await say(cluster, "bac-giang", "/report")
    intro, question = texts(replies)
    assert intro.startswith("Báo cáo Năm 2023 — Sở Nội vụ tỉnh Bắc Giang")
    assert "Hạn nộp: 15/01/2024. Có 5 chỉ tiêu" in intro
    assert "Gửi /cancel để hủy bất cứ lúc nào." in intro
    assert question.startswith(Q1)
    assert "Đơn vị tính: trường hợp" in question
    assert "Nhập một số nguyên, không nhỏ hơn 0." in question
    assert "Kỳ trước" not in question  # no earlier round
    assert "/skip" not in question  # required

    (q2,) = await say(cluster, "bac-giang", "1.203")  # Vietnamese thousands separator
    assert q2.text.startswith(Q2)
    assert "Đơn vị tính: cơ quan, đơn vị" in q2.text
    replies = await say(cluster, "bac-giang", "1203")  # plain
    assert replies[0].text.startswith(Q3)
    replies = await say(cluster, "bac-giang", "52")
    assert replies[0].text.startswith(Q4)
    assert "Nhập tỷ lệ phần trăm (ví dụ 12,5%), từ 0 đến 100." in replies[0].text
    replies = await say(cluster, "bac-giang", "12,5%")
    (q5,) = texts(replies)
    assert q5.startswith(Q5)
    assert "Nhập nội dung." in q5
    assert "Chỉ tiêu không bắt buộc: gửi /skip để bỏ qua." in q5
    replies = await say(cluster, "bac-giang", "Hoàn thành sắp xếp bộ máy")

    (card,) = replies
    assert card.text.startswith(REVIEW)
    assert "1. Số trường hợp tinh giản biên chế: 1.203 trường hợp" in card.text
    assert "văn hóa công sở: 1.203 cơ quan, đơn vị" in card.text
    assert "viên chức: 52 lớp" in card.text
    assert "(Đúng - Đủ - Sạch - Sống): 12,5%" in card.text
    assert "5. Kết quả nổi bật của đơn vị: Hoàn thành sắp xếp bộ máy" in card.text
    assert card.button_texts == ["✅ Xác nhận nộp", "✏️ Sửa một mục", "❌ Hủy"]
    assert await submission_count(cluster) == 0  # nothing stored before the confirmation

    (saved,) = texts(await cluster.h.press(cluster.officers["bac-giang"], card, "Xác nhận nộp"))
    assert saved.startswith("✅ Đã nộp báo cáo Năm 2023 lúc 05/01/2024 08:00.")
    assert "nộp muộn" not in saved
    ((submission, values),) = await stored(cluster, "bac-giang")
    assert submission.revision == 1 and not submission.late
    assert values == {
        "tinh-gian-bien-che": "1203",
        "kiem-tra-ky-luat": "1203",
        "lop-dao-tao": "52",
        "csdl-can-bo": "12.5",
        "ket-qua-noi-bat": "Hoàn thành sắp xếp bộ máy",
    }
    assert await draft_of(cluster, cluster.officers["bac-giang"]) is None


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [("12,5%", "12.5"), ("12.5", "12.5"), ("99,5", "99.5"), ("100 %", "100"), ("0", "0")],
)
async def test_percent_formats_accepted(cluster: Cluster, typed: str, canonical: str) -> None:
    await cluster.open_round()
    replies = await say(cluster, "bac-giang", paste(GOOD[:3]))
    assert replies[-1].text.startswith(Q4)
    replies = await say(cluster, "bac-giang", typed)
    assert replies[-1].text.startswith(Q5), texts(replies)
    state = await state_of(cluster, cluster.officers["bac-giang"])
    assert state.answers["csdl-can-bo"] == canonical


async def test_previous_period_value_shown(cluster: Cluster) -> None:
    await cluster.open_round("2022", "31/01/2024")
    await cluster.submit("bac-giang", ["1.203", "22", "52", "99,5", "Tốt"])
    replies = await cluster.h.say(cluster.head, cluster.head.id, "/round close 2022")
    assert "Đã đóng kỳ báo cáo Năm 2022." in replies[0].text
    await cluster.open_round("2023", "15/01/2024")

    replies = await say(cluster, "bac-giang", "/report")
    assert replies[0].text.startswith("Báo cáo Năm 2023")
    assert replies[-1].text.startswith(Q1)
    assert "Kỳ trước: 1.203" in replies[-1].text
    replies = await say(cluster, "bac-giang", paste(GOOD[:3]))
    assert replies[-1].text.startswith(Q4)
    assert "Kỳ trước: 99,5%" in replies[-1].text

    # Another department never reported 2022: no previous value.
    replies = await say(cluster, "thai-nguyen", "/report")
    assert replies[-1].text.startswith(Q1)
    assert "Kỳ trước" not in replies[-1].text


async def test_previous_month_value_shown(cluster: Cluster) -> None:
    await cluster.open_round("2023-11", "31/01/2024")
    await cluster.submit("bac-giang", ["7", "22", "52", "40", "Tốt"])
    await cluster.h.say(cluster.head, cluster.head.id, "/round close 2023-11")
    await cluster.open_round("2023", "15/01/2024")  # a year: not the same kind of period
    await cluster.open_round("2023-12", "31/01/2024")

    replies = await say(cluster, "bac-giang", "/report")
    (choose,) = replies
    assert choose.text.startswith("Có nhiều kỳ báo cáo đang mở. Bạn muốn nộp cho kỳ nào?")
    replies = await cluster.h.press(cluster.officers["bac-giang"], choose, "Năm 2023")
    assert "Kỳ trước" not in replies[-1].text

    replies = await cluster.h.press(cluster.officers["bac-giang"], choose, "12")
    assert replies[0].text.startswith("Báo cáo Tháng 12/2023"), texts(replies)
    assert "Kỳ trước: 7" in replies[-1].text


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("abc", "«abc» không phải là số"),
        ("12,5", "«12,5» không phải số nguyên"),
        ("-5", "phải từ 0 trở lên"),
        ("   ", "chưa có giá trị"),
        ("<b>x</b>", "«<b>x</b>» không phải là số"),
    ],
)
async def test_bad_integer_gets_specific_message_and_same_question(
    cluster: Cluster, typed: str, reason: str
) -> None:
    await cluster.open_round()
    await say(cluster, "bac-giang", "/report")
    replies = await say(cluster, "bac-giang", typed)
    problem, again = texts(replies)
    assert problem == (
        f"Chưa nhận: chỉ tiêu «Số trường hợp tinh giản biên chế» — {reason}. Vui lòng nhập lại."
    )
    assert again.startswith(Q1)
    state = await state_of(cluster, cluster.officers["bac-giang"])
    assert state.answers == {} and state.pending == {}
    assert api_errors(cluster) == []


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("120%", "không được lớn hơn 100"),
        ("-1%", "phải từ 0 trở lên"),
        ("%", "«%» không phải là số"),
        ("một trăm", "«một trăm» không phải là số"),
    ],
)
async def test_bad_percent_gets_specific_message_and_same_question(
    cluster: Cluster, typed: str, reason: str
) -> None:
    await cluster.open_round()
    await say(cluster, "bac-giang", paste(GOOD[:3]))
    replies = await say(cluster, "bac-giang", typed)
    problem, again = texts(replies)
    assert problem.startswith("Chưa nhận: chỉ tiêu «Tỷ lệ hoàn thành nhập CSDL")
    assert problem.endswith(f"— {reason}. Vui lòng nhập lại.")
    assert again.startswith(Q4)
    assert "csdl-can-bo" not in (await state_of(cluster, cluster.officers["bac-giang"])).answers


async def test_empty_narrative_is_refused(cluster: Cluster) -> None:
    await cluster.open_round()
    await say(cluster, "bac-giang", paste(GOOD[:4]))
    problem, again = texts(await say(cluster, "bac-giang", "  \n  "))
    assert problem == (
        "Chưa nhận: chỉ tiêu «Kết quả nổi bật của đơn vị» — chưa có giá trị. Vui lòng nhập lại."
    )
    assert again.startswith(Q5)


async def test_ambiguous_percent_is_confirmed_never_guessed(cluster: Cluster) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    await say(cluster, "bac-giang", paste(GOOD[:3]))
    (card,) = await say(cluster, "bac-giang", "99.125")
    assert card.text.startswith(
        "Bạn nhập «99.125» cho chỉ tiêu Tỷ lệ hoàn thành nhập CSDL cán bộ, công chức, viên chức"
    )
    assert AMBIGUOUS in card.text
    assert card.button_texts == ["99,125%", "Nhập lại"]
    state = await state_of(cluster, officer)
    assert "csdl-can-bo" not in state.answers  # not guessed
    assert state.pending == {"csdl-can-bo": ["99.125"]}

    # Typing something else while a confirmation waits: the buttons are required.
    hint, again = texts(await say(cluster, "bac-giang", "50"))
    assert hint == "Vui lòng chọn một giá trị bằng nút bên dưới, hoặc bấm Nhập lại."
    assert again == card.text
    assert (await state_of(cluster, officer)).pending == {"csdl-can-bo": ["99.125"]}

    # "Nhập lại" asks the same question again.
    retype_card = cluster.emu.last(officer.id)
    (question,) = await cluster.h.press(officer, retype_card, "Nhập lại")
    assert question.text.startswith(Q4)
    assert (await state_of(cluster, officer)).pending == {}

    (card,) = await say(cluster, "bac-giang", "99.125")
    (q5,) = await cluster.h.press(officer, card, "99,125%")
    assert q5.text.startswith(Q5)
    assert (await state_of(cluster, officer)).answers["csdl-can-bo"] == "99.125"


async def test_english_thousands_in_an_integer_is_confirmed(cluster: Cluster) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    await say(cluster, "bac-giang", "/report")
    (card,) = await say(cluster, "bac-giang", "1,203")
    assert AMBIGUOUS in card.text
    assert "• 1.203 trường hợp" in card.text
    assert card.button_texts == ["1.203", "Nhập lại"]
    (q2,) = await cluster.h.press(officer, card, "1.203")
    assert q2.text.startswith(Q2)
    assert (await state_of(cluster, officer)).answers == {"tinh-gian-bien-che": "1203"}


async def test_ambiguous_percent_card_does_not_repeat_the_percent_sign(cluster: Cluster) -> None:
    """The candidate line of a percent shows its unit "%" twice: "• 99,125% %"."""
    await cluster.open_round()
    await say(cluster, "bac-giang", paste(GOOD[:3]))
    (card,) = await say(cluster, "bac-giang", "99.125")
    assert "• 99,125%" in card.text
    assert "% %" not in card.text


# --- /skip and /cancel --------------------------------------------------------------------


async def test_skip_optional_item_but_not_required_one(cluster: Cluster) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    await say(cluster, "bac-giang", "/report")
    refused, again = texts(await say(cluster, "bac-giang", "/skip"))
    assert refused == (
        "Chỉ tiêu «Số trường hợp tinh giản biên chế» là bắt buộc, không bỏ qua được."
    )
    assert again.startswith(Q1)
    assert (await state_of(cluster, officer)).answers == {}

    await say(cluster, "bac-giang", paste(GOOD[:4]))
    (card,) = await say(cluster, "bac-giang", "/skip")
    assert card.text.startswith(REVIEW)
    assert "5. Kết quả nổi bật của đơn vị: (bỏ qua)" in card.text
    (nothing,) = texts(await say(cluster, "bac-giang", "/skip"))
    assert nothing == "Không có chỉ tiêu nào đang chờ để bỏ qua."

    await cluster.h.press(officer, card, "Xác nhận nộp")
    ((_, values),) = await stored(cluster, "bac-giang")
    assert values["ket-qua-noi-bat"] is None
    assert values["csdl-can-bo"] == "99.5"


async def test_skip_without_a_report(cluster: Cluster) -> None:
    await cluster.open_round()
    (nothing,) = texts(await say(cluster, "bac-giang", "/skip"))
    assert nothing == "Không có chỉ tiêu nào đang chờ để bỏ qua."


@pytest.mark.parametrize("where", ["question", "confirmation", "review"])
async def test_cancel_at_any_time_stores_nothing(cluster: Cluster, where: str) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    if where == "question":
        await say(cluster, "bac-giang", "/report")
        await say(cluster, "bac-giang", "165")
    elif where == "confirmation":
        await say(cluster, "bac-giang", paste(GOOD[:3]))
        await say(cluster, "bac-giang", "99.125")
    else:
        await say(cluster, "bac-giang", paste(GOOD))
    assert await draft_of(cluster, officer) is not None

    (cancelled,) = texts(await say(cluster, "bac-giang", "/cancel"))
    assert cancelled.startswith(CANCELLED)
    assert await draft_of(cluster, officer) is None
    assert await submission_count(cluster) == 0
    # The conversation is over: a number is no longer an answer.
    (reply,) = texts(await say(cluster, "bac-giang", "165"))
    assert reply.startswith("Tôi chưa hiểu tin nhắn này.")
    (again,) = texts(await say(cluster, "bac-giang", "/cancel"))
    assert again == "Không có báo cáo nào đang nhập dở."
    assert progress_messages(cluster)[0].edits == []  # the group saw no submission


async def test_cancel_button_on_review_card(cluster: Cluster) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    card = (await say(cluster, "bac-giang", paste(GOOD)))[-1]
    (cancelled,) = texts(await cluster.h.press(officer, card, "Hủy"))
    assert cancelled.startswith(CANCELLED)
    assert await draft_of(cluster, officer) is None
    assert await submission_count(cluster) == 0
    (stale,) = texts(await cluster.h.press(officer, card, "Xác nhận nộp"))
    assert stale == STALE
    assert await submission_count(cluster) == 0


async def test_cancel_while_revising_keeps_the_submitted_report(cluster: Cluster) -> None:
    await cluster.open_round()
    await cluster.submit("bac-giang", GOOD)
    replies = await say(cluster, "bac-giang", "/report")
    await cluster.h.press(cluster.officers["bac-giang"], replies[-1], "Sửa một mục")
    await say(cluster, "bac-giang", "/cancel")
    ((submission, values),) = await stored(cluster, "bac-giang")
    assert submission.revision == 1 and values["tinh-gian-bien-che"] == "165"


# --- the paste path -----------------------------------------------------------------------


async def test_paste_all_figures_goes_straight_to_review(cluster: Cluster) -> None:
    await cluster.open_round()
    received, card = texts(await say(cluster, "bac-giang", paste(["1.203", *GOOD[1:]])))
    assert received == "Đã nhận 5 dòng số liệu."
    assert card.startswith(REVIEW)
    assert "1.203 trường hợp" in card and "99,5%" in card and ": Tốt" in card
    assert await submission_count(cluster) == 0


async def test_paste_by_indicator_id(cluster: Cluster) -> None:
    await cluster.open_round()
    text = "\n".join(f"{slug}: {v}" for slug, v in zip(SLUGS, GOOD, strict=True))
    replies = await say(cluster, "bac-giang", text)
    assert replies[-1].text.startswith(REVIEW), texts(replies)


async def test_paste_with_bad_lines_lists_them_and_stores_nothing(cluster: Cluster) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    (errors,) = texts(await say(cluster, "bac-giang", paste(["165", "abc", "52", "120%", "Tốt"])))
    assert errors.startswith("Chưa nhận được số liệu vì có dòng chưa đúng (không có gì được lưu):")
    assert "• Dòng 2: Số cơ quan, đơn vị được kiểm tra kỷ luật" in errors
    assert "— «abc» không phải là số" in errors
    assert "• Dòng 4: Tỷ lệ hoàn thành nhập CSDL" in errors
    assert "— không được lớn hơn 100" in errors
    assert "Dòng 1" not in errors and "Dòng 3" not in errors and "Dòng 5" not in errors
    assert errors.endswith("Hãy sửa các dòng trên rồi gửi lại cả tin nhắn.")
    assert await submission_count(cluster) == 0
    draft = await draft_of(cluster, officer)
    assert draft is None or draft[1].answers == {}  # not even the good lines are kept


async def test_paste_with_unknown_key(cluster: Cluster) -> None:
    await cluster.open_round()
    (errors,) = texts(await say(cluster, "bac-giang", paste(GOOD) + "\n9: 3"))
    assert "• Dòng 6: không có chỉ tiêu «9»" in errors
    assert "(không có gì được lưu)" in errors
    assert await submission_count(cluster) == 0


async def test_paste_with_duplicate_key(cluster: Cluster) -> None:
    await cluster.open_round()
    (errors,) = texts(await say(cluster, "bac-giang", "1: 165\n2: 22\n1: 170"))
    assert "• Dòng 3: chỉ tiêu «1» đã có ở dòng trên" in errors


# --- the review card: confirm, change, revisions ------------------------------------------


async def test_change_an_item_makes_revision_two_and_history_shows_it(cluster: Cluster) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    await cluster.submit("bac-giang", GOOD)

    note, card = texts(await say(cluster, "bac-giang", "/report"))
    assert note.startswith("Đơn vị đã nộp báo cáo kỳ này (lần 1, lúc 05/01/2024 08:00).")
    assert card.startswith(REVIEW) and "165 trường hợp" in card
    card_message = cluster.emu.last(officer.id)
    (choose,) = await cluster.h.press(officer, card_message, "Sửa một mục")
    assert choose.text == "Bạn muốn sửa chỉ tiêu nào?"
    assert choose.button_texts[0] == "1. Số trường hợp tinh giản biên chế"
    assert len(choose.button_texts) == 5
    (question,) = await cluster.h.press(officer, choose, "1. Số trường hợp")
    assert question.text.startswith(Q1)
    (card2,) = await say(cluster, "bac-giang", "200")
    assert "1. Số trường hợp tinh giản biên chế: 200 trường hợp" in card2.text
    assert "99,5%" in card2.text  # the other values are kept
    (saved,) = texts(await cluster.h.press(officer, card2, "Xác nhận nộp"))
    assert "(bản sửa đổi lần 2)" in saved

    revisions = await stored(cluster, "bac-giang")
    assert [s.revision for s, _ in revisions] == [1, 2]
    assert revisions[0][1]["tinh-gian-bien-che"] == "165"
    assert revisions[1][1] == {**revisions[0][1], "tinh-gian-bien-che": "200"}

    (history,) = texts(await say(cluster, "bac-giang", "/history"))
    assert history.startswith("Lịch sử báo cáo Năm 2023 — Sở Nội vụ tỉnh Bắc Giang")
    assert "Lần 1 — 05/01/2024 08:00, Cán bộ bac-giang" in history
    assert "Lần 2 — 05/01/2024 08:00" in history
    lines_after_2 = " ".join(history.split("Lần 2")[1].split())  # old and new may be on 2 lines
    assert "• Số trường hợp tinh giản biên chế: 165 → 200" in lines_after_2
    assert "Tỷ lệ" not in lines_after_2  # unchanged items are not listed again


async def test_identical_values_make_no_new_revision(cluster: Cluster) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    await cluster.submit("bac-giang", GOOD)
    progress = progress_messages(cluster)[0]
    edits = len(progress.edits)

    (unchanged,) = texts(
        await cluster.h.press(
            officer, (await say(cluster, "bac-giang", "/report"))[-1], "Xác nhận nộp"
        )
    )
    assert (
        unchanged == "Số liệu không thay đổi so với lần nộp trước, nên không tạo bản sửa đổi mới."
    )
    # Same figures pasted again: no new revision either.
    replies = await say(cluster, "bac-giang", paste(GOOD))
    (unchanged,) = texts(await cluster.h.press(officer, replies[-1], "Xác nhận nộp"))
    assert unchanged.startswith("Số liệu không thay đổi")
    assert [s.revision for s, _ in await stored(cluster, "bac-giang")] == [1]
    assert len(progress.edits) == edits


async def test_a_colleague_submitting_first_is_a_conflict(cluster: Cluster) -> None:
    colleague = cluster.h.user(1101, "Cán bộ thứ hai Bắc Giang")
    await cluster.h.say(
        colleague, colleague.id, f"/start {await cluster.h.invite(CLUSTER, 'bac-giang')}"
    )
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    mine = (await say(cluster, "bac-giang", paste(GOOD)))[-1]
    theirs = (await cluster.h.say(colleague, colleague.id, paste(["1", *GOOD[1:]])))[-1]
    await cluster.h.press(colleague, theirs, "Xác nhận nộp")
    (conflict,) = texts(await cluster.h.press(officer, mine, "Xác nhận nộp"))
    assert conflict.startswith("Một cán bộ khác của đơn vị vừa nộp báo cáo này.")
    ((submission, values),) = await stored(cluster, "bac-giang")
    assert submission.submitted_by == colleague.id and values["tinh-gian-bien-che"] == "1"


# --- stale and forged buttons -------------------------------------------------------------


async def test_old_card_button_after_the_draft_moved_on_is_stale(cluster: Cluster) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    card = (await say(cluster, "bac-giang", paste(GOOD)))[-1]
    (choose,) = await cluster.h.press(officer, card, "Sửa một mục")
    (question,) = await cluster.h.press(officer, choose, "2. ")
    assert question.text.startswith(Q2)
    before = await draft_of(cluster, officer)

    for message, label in [(card, "Xác nhận nộp"), (card, "Hủy"), (choose, "3. ")]:
        (stale,) = texts(await cluster.h.press(officer, message, label))
        assert stale == STALE
    assert await draft_of(cluster, officer) == before  # nothing changed, not even cancelled
    assert await submission_count(cluster) == 0

    card2 = (await say(cluster, "bac-giang", "30"))[-1]
    await cluster.h.press(officer, card2, "Xác nhận nộp")
    ((_, values),) = await stored(cluster, "bac-giang")
    assert values["kiem-tra-ky-luat"] == "30"


async def test_old_card_of_a_cancelled_report_is_stale(cluster: Cluster) -> None:
    """The draft's version restarts from 0 whenever a new draft row is created, so a card from an
    earlier (cancelled or submitted) report can carry the same version as the current one."""
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    old_card = (await say(cluster, "bac-giang", paste(GOOD)))[-1]
    await say(cluster, "bac-giang", "/cancel")
    new_card = (await say(cluster, "bac-giang", paste(["999", *GOOD[1:]])))[-1]
    assert "999 trường hợp" in new_card.text

    # The old card showed 165; pressing it must not submit the 999 of the new card.
    (stale,) = texts(await cluster.h.press(officer, old_card, "Xác nhận nộp"))
    assert stale == STALE
    assert await submission_count(cluster) == 0


@pytest.mark.parametrize(
    "forged",
    [
        "rp:ok:999",
        "rp:c:0:99",
        "rp:c:{v}:99",
        "rp:ok:{v}",
        "rp:ei:{v}:0",
        "rp:a:{v}:1",
        "rp:ok",
        "rp:zz:{v}",
        "rp:r:999",
    ],
)
async def test_forged_button_data_is_refused(cluster: Cluster, forged: str) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    await say(cluster, "bac-giang", "/report")
    card = (await say(cluster, "bac-giang", "1,203"))[-1]  # waiting for a confirmation
    before = await draft_of(cluster, officer)
    assert before is not None
    data = forged.format(v=before[0])

    replies = await cluster.h.press_data(officer, card, data)
    expected = "Kỳ báo cáo này không còn nhận báo cáo." if data.startswith("rp:r:") else STALE
    assert texts(replies) == [expected]
    assert await draft_of(cluster, officer) == before
    assert await submission_count(cluster) == 0
    # The real button still works.
    (q2,) = await cluster.h.press(officer, card, "1.203")
    assert q2.text.startswith(Q2)


async def test_garbage_button_data_does_nothing(cluster: Cluster) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    card = (await say(cluster, "bac-giang", paste(GOOD)))[-1]
    before = await draft_of(cluster, officer)
    (answer,) = texts(await cluster.h.press_data(officer, card, "garbage"))
    assert answer == "Nút này đã cũ hoặc không hợp lệ. Vui lòng gõ lại lệnh."
    assert await draft_of(cluster, officer) == before
    assert await submission_count(cluster) == 0


async def test_another_officers_button_data_acts_on_nothing(cluster: Cluster) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    other = cluster.officers["thai-nguyen"]
    card = (await say(cluster, "bac-giang", paste(GOOD)))[-1]
    before = await draft_of(cluster, officer)
    confirm_data = dict(card.buttons)["✅ Xác nhận nộp"]
    assert confirm_data is not None

    # Thái Nguyên's officer replays Bắc Giang's data on a message in their own chat.
    (stale,) = texts(await cluster.h.press_data(other, cluster.emu.last(other.id), confirm_data))
    assert stale == STALE
    assert await draft_of(cluster, officer) == before
    assert await submission_count(cluster) == 0


async def test_stranger_pressing_report_buttons_is_not_allowed(cluster: Cluster) -> None:
    await cluster.open_round()
    stranger = cluster.h.user(6000, "Người lạ")
    (welcome,) = await cluster.h.say(stranger, stranger.id, "/start")
    (refused,) = texts(await cluster.h.press_data(stranger, welcome, "rp:ok:1"))
    assert refused == NOT_ALLOWED
    (refused,) = texts(await cluster.h.press_data(stranger, welcome, "rp:r:1"))
    assert refused == NOT_ALLOWED
    assert await submission_count(cluster) == 0


async def test_report_buttons_pressed_in_the_group_are_not_allowed(cluster: Cluster) -> None:
    await cluster.open_round()
    stranger = cluster.h.user(6000, "Người lạ")
    progress = progress_messages(cluster)[0]
    for user in (stranger, cluster.officers["bac-giang"]):
        replies = await cluster.h.press_data(user, progress, "rp:r:1")
        assert texts(replies) == [NOT_ALLOWED]
    assert await submission_count(cluster) == 0


# --- closed and reopened rounds -----------------------------------------------------------


async def test_closed_round_refuses_reports(cluster: Cluster) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    card = (await say(cluster, "bac-giang", paste(GOOD)))[-1]
    await cluster.h.say(cluster.head, cluster.head.id, "/round close 2023")

    (refused,) = texts(await cluster.h.press(officer, card, "Xác nhận nộp"))
    assert refused == (
        "Kỳ Năm 2023 đã đóng, không nhận báo cáo nữa. "
        "Nếu cần nộp bổ sung, hãy đề nghị Cụm trưởng mở lại cho đơn vị."
    )
    assert await submission_count(cluster) == 0
    assert await draft_of(cluster, officer) is None
    assert texts(await say(cluster, "bac-giang", "/report")) == [NO_OPEN]
    assert texts(await say(cluster, "bac-giang", paste(GOOD))) == [NO_OPEN]
    assert await submission_count(cluster) == 0


async def test_reopen_lets_one_department_submit_once_late(cluster: Cluster) -> None:
    await cluster.open_round()
    await cluster.h.say(cluster.head, cluster.head.id, "/round close 2023")
    replies = await cluster.h.say(cluster.head, cluster.head.id, "/round reopen 2023 yen-bai")
    (reopened,) = [m.text for m in replies if m.chat_id == cluster.head.id]
    assert reopened == (
        "Đã mở lại kỳ Năm 2023 cho Sở Nội vụ tỉnh Yên Bái: đơn vị được nộp một lần nữa."
    )

    assert texts(await say(cluster, "bac-giang", "/report")) == [NO_OPEN]
    intro, question = texts(await say(cluster, "yen-bai", "/report"))
    assert intro.startswith("Báo cáo Năm 2023 — Sở Nội vụ tỉnh Yên Bái")
    assert question.startswith(Q1)
    card = (await say(cluster, "yen-bai", paste(GOOD)))[-1]
    (saved,) = texts(await cluster.h.press(cluster.officers["yen-bai"], card, "Xác nhận nộp"))
    assert "Báo cáo được ghi nhận là nộp muộn." in saved
    ((submission, _),) = await stored(cluster, "yen-bai")
    assert submission.late

    # Once only; the others are still refused.
    assert texts(await say(cluster, "yen-bai", "/report")) == [NO_OPEN]
    assert texts(await say(cluster, "thai-nguyen", "/report")) == [NO_OPEN]
    assert await submission_count(cluster) == 1
    (progress,) = progress_messages(cluster)
    assert "(đã đóng)" in progress.text and "Đã nộp: 1/7 đơn vị." in progress.text


async def test_reopening_is_announced_in_the_group(cluster: Cluster) -> None:
    await cluster.open_round()
    await cluster.h.say(cluster.head, cluster.head.id, "/round close 2023")
    await cluster.h.say(cluster.head, cluster.head.id, "/round reopen 2023 yen-bai")
    assert "Cụm trưởng đã mở lại kỳ Năm 2023 cho Sở Nội vụ tỉnh Yên Bái." in texts(
        cluster.emu.messages(GROUP)
    )


# --- what the group sees ------------------------------------------------------------------


async def test_group_progress_is_one_message_edited_in_place(cluster: Cluster) -> None:
    await cluster.open_round()
    (progress,) = progress_messages(cluster)
    assert "Đã nộp: 0/7 đơn vị." in progress.text
    await cluster.submit("bac-giang", GOOD)
    assert "Đã nộp: 1/7 đơn vị." in progress.text
    assert "Sở Nội vụ tỉnh Bắc Giang" not in progress.text.split("Còn thiếu:")[1]
    await cluster.submit("thai-nguyen", GOOD)
    assert "Đã nộp: 2/7 đơn vị." in progress.text
    assert len(progress.edits) == 2
    assert "Đã nộp: 1/7 đơn vị." in progress.edits[-1]
    assert progress_messages(cluster) == [progress]  # still one message


async def test_status_lists_submitted_missing_and_late(cluster: Cluster, clock: Clock) -> None:
    await cluster.open_round()
    await cluster.submit("bac-giang", GOOD)
    clock.advance(days=20)  # 25/01/2024, past the 15/01/2024 deadline
    replies = await say(cluster, "hoa-binh", paste(GOOD))
    (saved,) = texts(await cluster.h.press(cluster.officers["hoa-binh"], replies[-1], "Xác nhận"))
    assert "Báo cáo được ghi nhận là nộp muộn." in saved

    (status,) = texts(await cluster.h.say(cluster.head, GROUP, "/status"))
    lines = status.splitlines()
    assert lines[0] == "Tình hình nộp báo cáo Năm 2023"

    def line(name: str) -> str:
        return next(x for x in lines if name in x)

    assert line("Bắc Giang") == "✅ Sở Nội vụ tỉnh Bắc Giang: đã nộp 05/01/2024 08:00"
    assert line("Hòa Bình") == "✅ Sở Nội vụ tỉnh Hòa Bình: đã nộp 25/01/2024 08:00 — nộp muộn"
    assert line("Yên Bái") == "⏳ Sở Nội vụ tỉnh Yên Bái: chưa nộp"
    assert sum("chưa nộp" in x for x in lines) == 5
    assert lines[-1] == "Đã nộp: 2/7 đơn vị."


# --- escaping, links, language, roles -----------------------------------------------------


async def test_user_text_is_escaped_in_the_review_card(cluster: Cluster) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    narrative = "<b>đậm</b> & <script>"
    card = (await say(cluster, "bac-giang", paste([*GOOD[:4], narrative])))[-1]
    assert f"5. Kết quả nổi bật của đơn vị: {narrative}" in card.text
    assert card.html is not None
    assert "&lt;b&gt;đậm&lt;/b&gt; &amp; &lt;script&gt;" in card.html
    assert api_errors(cluster) == []  # Telegram's HTML parser accepted every message

    await cluster.h.press(officer, card, "Xác nhận nộp")
    ((_, values),) = await stored(cluster, "bac-giang")
    assert values["ket-qua-noi-bat"] == narrative  # stored as typed, not escaped
    (history,) = texts(await say(cluster, "bac-giang", "/history"))
    assert narrative in history
    assert api_errors(cluster) == []


async def test_report_in_the_group_links_to_the_private_chat(cluster: Cluster) -> None:
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    (answer,) = await cluster.h.say(officer, GROUP, "/report")
    assert answer.chat_id == GROUP
    assert answer.text == "Để nộp báo cáo, hãy nhắn riêng cho bot."
    ((label, url),) = answer.buttons
    assert label == "Mở chat riêng với bot"
    assert url == "https://t.me/clusterbot_demo_bot?start=report"

    intro, question = texts(await cluster.h.say(officer, officer.id, "/start report"))
    assert intro.startswith("Báo cáo Năm 2023 — Sở Nội vụ tỉnh Bắc Giang")
    assert question.startswith(Q1)


async def test_questions_in_english(cluster: Cluster) -> None:
    await cluster.open_round()
    (switched,) = texts(await say(cluster, "bac-giang", "/language en"))
    assert switched == "Switched to English."
    intro, question = texts(await say(cluster, "bac-giang", "/report"))
    assert intro.startswith("Report for Year 2023 — Bac Giang Department of Home Affairs")
    assert question == (
        "1/5. Staff positions cut under the 2022-2026 downsizing plan\n"
        "Unit: cases\n"
        "Enter a whole number, at least 0."
    )
    problem, again = texts(await say(cluster, "bac-giang", "abc"))
    assert problem.startswith("Not accepted")
    assert again == question
    (q2,) = texts(await say(cluster, "bac-giang", "1203"))
    assert q2.startswith("2/5. Agencies inspected for discipline, ethics and office culture")
    card = (await say(cluster, "bac-giang", paste(["1203", *GOOD[1:]])))[-1]
    assert card.text.startswith("Review your report")
    assert "1,203 cases" in card.text and "99.5%" in card.text
    assert card.button_texts == ["✅ Confirm and submit", "✏️ Change an item", "❌ Cancel"]


@pytest.mark.parametrize("role", ["observer", "admin"])
async def test_observer_and_admin_cannot_report(cluster: Cluster, role: str) -> None:
    await cluster.open_round()
    if role == "observer":
        user = cluster.h.user(5000, "Quan sát viên")
        await cluster.h.say(
            user, user.id, f"/start {await cluster.h.invite(CLUSTER, None, 'observer')}"
        )
    else:
        assert cluster.admin is not None
        user = cluster.admin
    assert texts(await cluster.h.say(user, user.id, "/report")) == [NOT_ALLOWED]
    assert texts(await cluster.h.say(user, user.id, "/start report")) == [NOT_ALLOWED]
    assert texts(await cluster.h.say(user, user.id, paste(GOOD)))[0].startswith(
        "Tôi chưa hiểu tin nhắn này."
    )
    assert await draft_of(cluster, user) is None
    assert await submission_count(cluster) == 0


# --- a report in progress survives ---------------------------------------------------------


async def test_report_in_progress_survives_a_restart(cluster: Cluster) -> None:
    await cluster.open_round()
    await say(cluster, "bac-giang", "/report")
    await say(cluster, "bac-giang", "165")
    await cluster.h.stop_bot()
    await cluster.h.start_bot()
    (q3,) = texts(await say(cluster, "bac-giang", "22"))
    assert q3.startswith(Q3)


async def test_report_command_continues_the_report_in_progress(cluster: Cluster) -> None:
    """The stale-button message says "Gửi /report để tiếp tục báo cáo" (send /report to
    continue); /report must then pick up where the officer was, not start again from 1/5."""
    await cluster.open_round()
    officer = cluster.officers["bac-giang"]
    await say(cluster, "bac-giang", "/report")
    card = (await say(cluster, "bac-giang", "1,203"))[-1]
    await cluster.h.press(officer, card, "1.203")
    await say(cluster, "bac-giang", "22")
    (stale,) = texts(await cluster.h.press(officer, card, "1.203"))
    assert stale == STALE

    replies = await say(cluster, "bac-giang", "/report")
    assert replies[-1].text.startswith(Q3), texts(replies)
    state = await state_of(cluster, officer)
    assert state.answers == {"tinh-gian-bien-che": "1203", "kiem-tra-ky-luat": "22"}
