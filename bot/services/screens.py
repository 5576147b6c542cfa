"""What a service answers: messages to render and buttons, with no Telegram types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Button:
    message: str  # the message name of the label, e.g. "reporting.btn_confirm"
    data: str  # callback data, <= 64 bytes, re-validated on every press
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UrlButton:
    message: str
    url: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Screen:
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    buttons: list[list[Button | UrlButton]] = field(default_factory=list)
    edit: bool = False  # replace the message whose button was pressed, instead of a new one


@dataclass(frozen=True)
class Attachment:
    kind: Literal["document", "photo"]
    data: bytes
    caption: str = ""  # rendered Telegram HTML
    filename: str = ""


@dataclass(frozen=True)
class Composition:
    """An answer that costs CPU (a chart, a workbook): made after the commit, off the event
    loop, by :mod:`bot.services.compositions` (``what`` names it there)."""

    what: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    """Screens for the person who acted, plus what changed for others to see."""

    screens: list[Screen] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # already rendered (e.g. a split summary)
    attachments: list[Attachment] = field(default_factory=list)  # photos go as one media group
    lang: str | None = None  # render in this language rather than the reader's stored one
    refresh_menu: bool = False  # the user's command menu changes (after the commit)
    progress_round_id: int | None = None  # the group's progress message must be refreshed
    group_screens: list[Screen] = field(default_factory=list)  # to post in the cluster's group
    compositions: list[Composition] = field(default_factory=list)  # made after the commit

    def add(self, message: str, **params: Any) -> Outcome:
        self.screens.append(Screen(message, params))
        return self
