"""`clusterbot demo`: a cluster's year, acted out against the local Bot API emulator.

Officers of the seven departments register with invite codes, the head opens round 2023, each
department reports (their totals are the report's: 1.203, 175 and 346), one makes a mistake and
corrects it, /status ends at 7/7, the summary, workbook and chart follow; the departments score
the year (one adjustment answered and decided), the ranking puts Bắc Kạn first, the conference
proposes Bắc Kạn for the Flag, 2 collectives and 7 individuals for the Certificate of Merit
(bot/demo_year.py) and elects Tuyên Quang head and Hòa Bình deputy for 2024; the review report,
the minutes and the proposal for awards are written to demo-output/. No token, no network; a
temporary SQLite database.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.demo_elections import elect_2024
from bot.demo_year import proposals, propose_awards_2023, score_2023
from bot.emulator import EmuUser, SentMessage
from bot.emulator.harness import Harness
from messages.render import render

EXAMPLE = (
    Path(__file__).resolve().parents[1] / "examples" / "cum-noi-vu-trung-du-mien-nui-phia-bac.toml"
)
CLUSTER = "cum-noi-vu-tdmnpb"
GROUP_ID = -1001700000001

# (department, officer name, staff cut, agencies inspected, training classes, database %, result)
FIGURES = [
    ("bac-kan", ("Hoàng", "Thị Mai"), 172, 25, 48, "100", "Hoàn thành đề án vị trí việc làm."),
    (
        "bac-giang",
        ("Nguyễn", "Văn Hùng"),
        165,
        22,
        52,
        "100",
        "Số hóa hồ sơ cán bộ <đạt 100%> & đúng hạn.",
    ),
    ("thai-nguyen", ("Trần", "Thu Hà"), 210, 31, 61, "100", "Tinh giản biên chế vượt kế hoạch."),
    ("hoa-binh", ("Bùi", "Văn Sơn"), 158, 24, 45, "100", "Triển khai phần mềm quản lý cán bộ."),
    ("yen-bai", ("Lê", "Thị Hương"), 149, 20, 39, "100", "Kiểm tra công vụ tại 20 cơ quan."),
    ("phu-tho", ("Đinh", "Công Minh"), 187, 28, 55, "100", "Bồi dưỡng 55 lớp cho công chức."),
    ("tuyen-quang", ("Phạm", "Ngọc Lan"), 162, 25, 46, "100", "Hoàn thành nhập CSDL quốc gia."),
]


class Clock:
    """The demo's 'now' (5 January 2024, 08:00 in Hà Nội), moving a few minutes per step."""

    def __init__(self) -> None:
        self.now = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)


async def run_demo(verbose: bool = True, output: Path = Path("demo-output")) -> int:
    clock = Clock()
    with tempfile.TemporaryDirectory(prefix="clusterbot-demo-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'demo.db'}"
        # Telegram's 20 messages a minute per group would stretch the demo's few minutes of
        # chat (the live turnout of two ballots) past a minute; the emulator enforces no limits.
        async with Harness(url, clock=clock, rate_limit=False) as h:
            await h.init_cluster(EXAMPLE)
            admin = h.user(9000, "Quản trị", "Cụm")
            officers: dict[str, EmuUser] = {}
            for n, (dept, (last, first), *_rest) in enumerate(FIGURES):
                officers[dept] = h.user(1001 + n, f"{last} {first}")
            admin_code = await h.invite(CLUSTER, None, role="admin")
            await h.say(admin, admin.id, f"/start {admin_code}")
            for dept, user in officers.items():
                code = await h.invite(CLUSTER, dept)
                await h.say(user, user.id, f"/start {code}")

            head = officers["bac-kan"]
            await h.add_to_group(admin, GROUP_ID, "Cụm thi đua Sở Nội vụ TD&MNPB")
            await h.say(head, GROUP_ID, "/link")
            await h.say(head, head.id, "/round open 2023 15/01/2024")

            for dept, _name, cut, inspected, classes, synced, result in FIGURES:
                user = officers[dept]
                clock.advance(37)
                if dept == "bac-kan":
                    answers = [str(cut), str(inspected), str(classes), synced + "%", result]
                    await _walk_through(h, user, answers)
                elif dept == "yen-bai":
                    # Typos first; the bot names each problem and asks again.
                    answers = ["1.49O", str(cut), str(inspected), "3 9", str(classes), "có"]
                    await _walk_through(h, user, [*answers, synced, result])
                elif dept == "thai-nguyen":
                    # Submitted with a wrong figure (16 classes), corrected below.
                    await _paste(h, user, [str(cut), str(inspected), "16", synced, result])
                else:
                    grouped = f"{cut:,}".replace(",", ".")
                    await _paste(h, user, [grouped, str(inspected), str(classes), synced, result])
                if dept == "phu-tho":
                    await _correct_thai_nguyen(h, officers["thai-nguyen"])
            # The last department's submission brought the compiled report to the group.
            await h.say(head, GROUP_ID, "/status")
            workbook = await h.say(head, GROUP_ID, "/export")
            chart = await h.say(head, GROUP_ID, "/chart 1")
            files = _save_files(workbook + chart, output)
            # The end of the emulation year: scores, one adjustment answered and decided, the
            # ranking (Bắc Kạn first), then the conference's award votes (bot/demo_year.py).
            ranking = await score_2023(h, officers, head, GROUP_ID, clock.now)
            awarded = await propose_awards_2023(h, officers, head, GROUP_ID)
            # The conference elects next year's head and deputy, as the report says.
            election = await elect_2024(h, officers, head, CLUSTER, GROUP_ID, out=None)
            # The new head asks for the year's documents (Decree 30 layout): the review report
            # (with the ranking), the minutes of the conference (the award votes and the
            # election) and the proposal for awards (the nominee list).
            new_head = officers["tuyen-quang"]
            documents = await h.say(new_head, new_head.id, "/documents 2023")
            files += _save_files(documents, output)

        transcript = h.emu.format_transcript()
    if verbose:
        print(transcript)
        print()
        lang = os.environ.get("CLUSTERBOT_LANGUAGE", "vi")
        lang = lang if lang in ("vi", "en") else "vi"
        print(render(lang, "cli.demo_finished"))
        print(render(lang, "cli.demo_scoring"))
        print(next((line for line in ranking.splitlines() if line.startswith("1.")), ranking))
        for line in proposals(awarded):
            print(line)
        for text in election:
            for line in text.splitlines():
                if "được bầu làm" in line:
                    print(line)
        for path in files:
            print(render(lang, "cli.demo_written", path=str(path)))
    return 0


def _save_files(messages: list[SentMessage], output: Path) -> list[Path]:
    """The workbook and the chart the bot sent to the group, written next to the transcript."""
    output.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for message in messages:
        if message.document is not None:
            path = output / message.document.filename
            path.write_bytes(message.document.data)
            written.append(path)
        elif message.photo is not None:
            path = output / f"bieu-do-{message.message_id}.png"
            path.write_bytes(message.photo)
            written.append(path)
    return written


async def _correct_thai_nguyen(h: Harness, user: EmuUser) -> None:
    """A new revision: 16 training classes were 61. /history shows both."""
    card = (await h.say(user, user.id, "/report"))[-1]
    await h.press(user, card, "Sửa")
    await h.press(user, h.emu.last(user.id), "3.")
    replies = await h.say(user, user.id, "61")
    await h.press(user, replies[-1], "Xác nhận")
    await h.say(user, user.id, "/history")


async def _walk_through(h: Harness, user: EmuUser, answers: list[str]) -> None:
    await h.say(user, user.id, "/report")
    for answer in answers:
        await h.say(user, user.id, answer)
    card = h.emu.last(user.id)
    await h.press(user, card, "Xác nhận")


async def _paste(h: Harness, user: EmuUser, values: list[str]) -> None:
    text = "\n".join(f"{n}: {v}" for n, v in enumerate(values, start=1))
    replies = await h.say(user, user.id, text)
    await h.press(user, replies[-1], "Xác nhận")


def main() -> int:
    import asyncio

    return asyncio.run(run_demo())


if __name__ == "__main__":
    sys.exit(main())
