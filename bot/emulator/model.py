"""The emulator's data: users, chats, the messages and files it keeps, and Bot API errors.

The bottom of the package: plain data classes and :class:`ApiError`, no emulator state, no
HTTP. The emulator's parts build on these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = [
    "ApiCall",
    "ApiError",
    "CallbackQuery",
    "EmuChat",
    "EmuDocument",
    "EmuUser",
    "JSONDict",
    "SentMessage",
    "StoredFile",
    "TranscriptEntry",
    "bad_request",
    "forbidden",
]

JSONDict = dict[str, Any]


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": ..., "description": ...}``.

    Raise it from a method implementation (or from :meth:`BotApiEmulator._check_limits`);
    ``retry_after`` adds ``"parameters": {"retry_after": N}`` as for 429 answers.
    """

    def __init__(
        self,
        error_code: int,
        description: str,
        *,
        retry_after: int | None = None,
        parameters: JSONDict | None = None,
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters: JSONDict = dict(parameters or {})
        if retry_after is not None:
            self.parameters["retry_after"] = retry_after

    def to_json(self) -> JSONDict:
        body: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def forbidden(description: str) -> ApiError:
    return ApiError(403, f"Forbidden: {description}")


@dataclass
class EmuUser:
    """A (human) Telegram user the test acts as. Their private chat id equals ``id``."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_dict(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class EmuChat:
    """A chat: "private" (id == user id), "group" or "supergroup"."""

    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None

    def to_dict(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.first_name or ""
            if self.last_name:
                data["last_name"] = self.last_name
            if self.username:
                data["username"] = self.username
        else:
            data["title"] = self.title or ""
        return data

    @property
    def display_name(self) -> str:
        if self.type == "private":
            return " ".join(x for x in (self.first_name, self.last_name) if x) or str(self.id)
        return self.title or str(self.id)


class EmuDocument(NamedTuple):
    """A document the bot sent: unpacks as ``filename, data, mime_type``."""

    filename: str
    data: bytes
    mime_type: str


@dataclass
class StoredFile:
    """A file known to the emulator (uploaded by the bot or by a user)."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None
    mime_type: str | None


@dataclass
class SentMessage:
    """A message the bot sent. Edits mutate it in place (old plain texts go to ``edits``)."""

    chat_id: int
    message_id: int
    kind: str  # "message" | "photo" | "document" | "media_group_item"
    text: str  # plain text (caption for media) after parsing
    html: str | None  # the raw text/caption as sent
    parse_mode: str | None
    reply_markup: list[list[JSONDict]] | None  # rows of button dicts as sent
    edits: list[str] = field(default_factory=list)
    pinned: bool = False
    deleted: bool = False
    document: EmuDocument | None = None
    photo: bytes | None = None
    date: int = 0
    entities: list[JSONDict] = field(default_factory=list)
    reply_markup_type: str | None = None  # "inline_keyboard" | "keyboard" | ...
    reply_to_message_id: int | None = None
    media_group_id: str | None = None
    media_type: str | None = None  # "photo" | "document" | "video" | "audio" for media
    file_id: str | None = None
    edit_date: int | None = None

    @property
    def is_inline_keyboard(self) -> bool:
        return self.reply_markup_type == "inline_keyboard"

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """Flat list of ``(text, callback_data or url)`` of the current keyboard."""
        result: list[tuple[str, str | None]] = []
        for row in self.reply_markup or []:
            for button in row:
                value = button.get("callback_data")
                if value is None:
                    value = button.get("url")
                result.append((str(button.get("text", "")), value))
        return result

    @property
    def button_texts(self) -> list[str]:
        return [text for text, _ in self.buttons]


@dataclass
class ApiCall:
    """One Bot API request the emulator received (params decoded)."""

    method: str
    params: JSONDict
    error_code: int | None = None  # set when the emulator answered with an error
    error: str | None = None
    fault: str | None = None  # the injected fault kind (see bot.emulator.faults), if any


@dataclass
class TranscriptEntry:
    """One line of the conversation, in order, as a person would have seen it."""

    kind: str  # "user" | "bot"
    chat_id: int
    text: str
    user: EmuUser | None = None  # the acting user for kind "user"
    buttons: list[str] = field(default_factory=list)
    edited: bool = False
    message_kind: str = "message"  # "message" | "photo" | "document" | "video" | ...
    message_id: int | None = None
    file_name: str | None = None  # for documents the bot sent


@dataclass
class CallbackQuery:
    """A button press waiting for the bot's answerCallbackQuery."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False
