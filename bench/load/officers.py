"""The officers, acting through the emulator in waves: every officer sends the same step of the
report conversation at once (a burst like the minutes before a deadline), then waits for the
bot's answer; the next wave starts when every officer has it. A wave is one kind of update
(an answer, a pasted report, a press of "Xác nhận"), so what it costs is the cost of that kind.

A reply is the message the officer waits for (the next question, the review card, "Đã nộp");
its time runs from the update queued at the emulator to that message recorded there. A reply
that is not the one expected (an error, a refusal) leaves the officer waiting and the wave
fails after its timeout: a benchmark must not time answers that went wrong.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.emulator import BotApiEmulator, SentMessage

ANSWERS = ["165", "22", "52", "99,5", "Hoàn thành tốt nhiệm vụ"]  # the example's indicators
PASTE = "\n".join(f"{n}: {v}" for n, v in enumerate(["170", "23", "50", "98,5", "Tốt"], start=1))
CONFIRM = "Xác nhận"


@dataclass(frozen=True)
class Step:
    """One wave's update: a text, or (``text`` None) a press of "Xác nhận" on the review card;
    ``expect`` tells the reply the officer waits for."""

    name: str
    kind: str  # "report" | "answer" | "confirm" | "paste" | "echo"
    text: str | None
    expect: Callable[[SentMessage], bool]


def _starts(prefix: str) -> Callable[[SentMessage], bool]:
    return lambda m: m.text.startswith(prefix)


def _card(m: SentMessage) -> bool:
    return m.text.startswith("Xem lại báo cáo") and any(CONFIRM in b for b, _ in m.buttons)


def conversation() -> list[Step]:
    """/report, the five answers one at a time, the confirmation (the first submission)."""
    steps = [Step("/report", "report", "/report", _starts("1/5."))]
    for n, answer in enumerate(ANSWERS, start=1):
        expect = _card if n == len(ANSWERS) else _starts(f"{n + 1}/5.")
        steps.append(Step(f"answer {n}", "answer", answer, expect))
    steps.append(Step("confirm", "confirm", None, _starts("✅ Đã nộp")))
    return steps


def pasting(times: int) -> list[Step]:
    """The whole report pasted at once, then confirmed (a revision), ``times`` over."""
    steps = []
    for n in range(1, times + 1):
        steps.append(Step(f"paste {n}", "paste", PASTE, _card))
        steps.append(Step(f"confirm paste {n}", "confirm", None, _starts("✅ Đã nộp")))
    return steps


def echo_step(step: Step) -> Step:
    """The echo bot's wave for a step: the same text (a press becomes the word "ok")."""
    text = step.text or "ok"
    return Step(step.name, "echo", text, lambda m: m.text == text)


@dataclass
class Wave:
    step: Step
    posted: dict[int, float] = field(default_factory=dict)  # chat -> perf_counter
    replied: dict[int, float] = field(default_factory=dict)

    @property
    def latencies(self) -> list[float]:
        return [self.replied[c] - self.posted[c] for c in self.replied]

    @property
    def seconds(self) -> float:
        if not self.replied:
            return float("nan")
        return max(self.replied.values()) - min(self.posted.values())

    @property
    def per_second(self) -> float:
        return len(self.replied) / self.seconds if self.replied else 0.0


class Officers:
    """The officers of one emulator; hooks the emulator's record of sent messages."""

    def __init__(self, emu: BotApiEmulator, officers: list[int]) -> None:
        self.emu = emu
        self.officers = officers
        self.cards: dict[int, SentMessage] = {}  # chat -> the newest review card
        self.photos: dict[int, int] = {}  # chat -> photos received (the summaries' charts)
        self._wave: Wave | None = None
        self._all_in = asyncio.Event()
        record = emu._record_sent  # noqa: SLF001 - the one place every message is recorded

        def recording(msg: SentMessage) -> None:
            record(msg)
            now = time.perf_counter()
            if msg.media_type == "photo":
                self.photos[msg.chat_id] = self.photos.get(msg.chat_id, 0) + 1
            if _card(msg):
                self.cards[msg.chat_id] = msg
            wave = self._wave
            if wave is None or msg.chat_id not in wave.posted or msg.chat_id in wave.replied:
                return
            if wave.step.expect(msg):
                wave.replied[msg.chat_id] = now
                if len(wave.replied) == len(wave.posted):
                    self._all_in.set()

        emu._record_sent = recording  # type: ignore[method-assign]  # noqa: SLF001

    async def wave(self, step: Step, timeout: float = 180.0, only: list[int] | None = None) -> Wave:
        """Every officer (or those in ``only``) sends the step; until each has his reply."""
        wave = Wave(step)
        self._wave = wave
        self._all_in.clear()
        for chat in self.officers if only is None else only:
            user = self.emu.users[chat]
            wave.posted[chat] = time.perf_counter()
            if step.text is not None:
                await self.emu.send_text(user, chat, step.text)
            else:
                card = self.cards[chat]
                data = next(d for label, d in card.buttons if CONFIRM in label)
                assert data is not None
                await self.emu.press(user, chat, card.message_id, data)
        try:
            await asyncio.wait_for(self._all_in.wait(), timeout)
        except TimeoutError:
            missing = sorted(set(wave.posted) - set(wave.replied))
            last = [self.emu.messages(chat)[-1:] for chat in missing[:3]]
            raise RuntimeError(
                f"{step.name}: {len(missing)} of {len(wave.posted)} officers got no expected "
                f"reply in {timeout:.0f} s; the last messages of a few: "
                f"{[[m.text[:120] for m in ms] for ms in last]}"
            ) from None
        finally:
            self._wave = None
        return wave
