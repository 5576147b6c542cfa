"""A report in progress: which answers we have, which wait for confirmation, what to ask next."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal


@dataclass
class DraftState:
    answers: dict[str, str | None] = field(
        default_factory=dict
    )  # slug -> canonical; None = skipped
    pending: dict[str, list[str]] = field(default_factory=dict)  # slug -> candidates to confirm
    raw: dict[str, str] = field(
        default_factory=dict
    )  # slug -> what the officer typed (for pending)
    base_revision: int = 0  # the revision this draft edits; 0 = first submission

    def to_json(self) -> str:
        return json.dumps(
            {
                "answers": self.answers,
                "pending": self.pending,
                "raw": self.raw,
                "base_revision": self.base_revision,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> DraftState:
        data = json.loads(text)
        return cls(
            answers=dict(data.get("answers", {})),
            pending={k: list(v) for k, v in data.get("pending", {}).items()},
            raw=dict(data.get("raw", {})),
            base_revision=int(data.get("base_revision", 0)),
        )

    def answer(self, slug: str, value: str | None) -> None:
        self.answers[slug] = value
        self.pending.pop(slug, None)
        self.raw.pop(slug, None)

    def await_confirmation(self, slug: str, raw: str, candidates: list[str]) -> None:
        self.answers.pop(slug, None)
        self.pending[slug] = candidates
        self.raw[slug] = raw

    def reopen(self, slug: str) -> None:
        """The officer wants to change this item from the review card."""
        self.answers.pop(slug, None)
        self.pending.pop(slug, None)
        self.raw.pop(slug, None)


@dataclass(frozen=True)
class Step:
    kind: Literal["confirm", "ask", "review"]
    slug: str | None = None


def next_step(state: DraftState, order: list[str]) -> Step:
    """In indicator order: a value waiting for confirmation first, then an unanswered item."""
    for slug in order:
        if slug in state.pending:
            return Step("confirm", slug)
        if slug not in state.answers:
            return Step("ask", slug)
    return Step("review")


@dataclass
class PasteEntry:
    slug: str | None  # None: the key names no indicator
    key: str
    value: str
    line_number: int


def parse_paste(text: str, order: list[str]) -> list[PasteEntry] | None:
    """All figures in one message: one `key: value` line per indicator, by number or id.

    None when the message is not a paste (its first line names no indicator). A line without a
    key continues the previous value, so a narrative answer may span several lines.
    """
    entries: list[PasteEntry] = []
    for number, line in enumerate(text.strip().splitlines(), start=1):
        key, value = _split_line(line)
        slug = resolve_key(key, order) if key is not None else None
        if slug is not None or (key is not None and _looks_numbered(key)):
            entries.append(PasteEntry(slug, key or "", value, number))
        elif entries:
            entries[-1].value = f"{entries[-1].value}\n{line.strip()}".strip()
        else:
            return None
    return entries or None


def _split_line(line: str) -> tuple[str | None, str]:
    for separator in (":", "="):
        key, sep, value = line.partition(separator)
        if sep and key.strip() and len(key.strip()) <= 64:
            return key.strip(), value.strip()
    return None, line.strip()


def _looks_numbered(key: str) -> bool:
    """A key made of digits of any script ("7", "²", "٣"): meant as an item number, so a line
    the officer meant as a figure is reported as an unknown item rather than read as text."""
    cleaned = key.strip().rstrip(".").strip()
    return bool(cleaned) and all(ch.isdigit() or ch.isdecimal() for ch in cleaned)


def resolve_key(key: str, order: list[str]) -> str | None:
    """`2`, `2.`, or the indicator id. Item numbers are ASCII digits; anything else names none."""
    cleaned = key.strip().rstrip(".").strip().lower()
    if cleaned.isascii() and cleaned.isdecimal():
        index = int(cleaned[:6]) if len(cleaned) <= 6 else 0
        return order[index - 1] if 1 <= index <= len(order) else None
    return cleaned if cleaned in order else None
