"""What a service answers: messages to render and buttons, with no Telegram types."""

from __future__ import annotations

from collections.abc import Sequence
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
class Media:
    """A photo or document Telegram already has (``file_id``): the screen's text is its
    caption (or follows it, when longer than a caption may be)."""

    kind: Literal["document", "photo"]
    file_id: str


@dataclass(frozen=True)
class Screen:
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    buttons: Sequence[Sequence[Button | UrlButton]] = field(default_factory=list)
    edit: bool = False  # replace the message whose button was pressed, instead of a new one
    media: Media | None = None
    buttons_only: bool = False  # with edit: replace only the pressed message's buttons


@dataclass(frozen=True)
class Direct:
    """A message sent after the commit from memory only, never written to any table: what
    must not sit on disk next to its recipient (a secret ballot's receipt, choice and key;
    see bot/services/elections.py). ``chat_id`` None: the chat of the update; ``edit``: it
    replaces the pressed message. Lost if the process stops before it goes."""

    screen: Screen
    chat_id: int | None = None
    lang: str | None = None


@dataclass(frozen=True)
class FanOut:
    """A fan-out through the delivery log (exactly once per key) to run after the commit:
    ``what`` names it (bot/publishing/fanout.py), ``ref`` its subject; ``report_message_id``
    the message whose text the fan-out's report replaces."""

    what: str
    ref: int = 0
    report_message_id: int | None = None


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
    live: list[tuple[str, int]] = field(default_factory=list)  # e.g. ("turnout", round_id)
    direct: list[Direct] = field(default_factory=list)  # never through a table
    fanouts: list[FanOut] = field(default_factory=list)  # delivery-log fan-outs to run

    def add(self, message: str, **params: Any) -> Outcome:
        self.screens.append(Screen(message, params))
        return self
