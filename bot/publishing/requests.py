"""One Bot API request as data: what an effect row holds, and how it is carried out."""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

# A request is data first: queueing one (a command-line `round close`) must not load
# python-telegram-bot, about 0,1 s of CPU; only sending it does, in the functions that send.
if TYPE_CHECKING:
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
    from telegram.error import RetryAfter


def retry_seconds(exc: RetryAfter) -> float:
    """How long a 429 says to wait. python-telegram-bot 22 keeps a timedelta; its public int
    attribute is deprecated."""
    wait = getattr(exc, "_retry_after", None) or exc.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


def backoff(attempts: int) -> float:
    """Seconds before trying a failed request again: 0,5 s doubling up to 60 s, with jitter so
    that requests failed together do not all come back together."""
    return min(60.0, 0.5 * 2**attempts) * random.uniform(0.8, 1.2)


# Rows of buttons: {"text": ..., "callback_data": ...} or {"text": ..., "url": ...}.
Markup = list[list[dict[str, str]]]


def to_markup(rows: Markup | None) -> InlineKeyboardMarkup | None:
    from telegram import InlineKeyboardMarkup

    if not rows:
        return None
    return InlineKeyboardMarkup([[_button(button) for button in row] for row in rows])


def _button(fields: dict[str, Any]) -> InlineKeyboardButton:
    from telegram import InlineKeyboardButton

    # The stored strings are the button's keyword arguments (text and callback_data or url).
    return InlineKeyboardButton(**fields)


@dataclass(frozen=True)
class File:
    data: bytes
    filename: str = ""
    caption: str = ""  # rendered Telegram HTML
    file_id: str = ""  # a file Telegram already has: sent by its id, ``data`` empty


@dataclass(frozen=True)
class Request:
    """``method`` is one of: text, edit (``message_id``; posts anew if the message is gone),
    edit-only (never posts), markup (``message_id``: its buttons only, never posts), photo,
    photos (a media group), document, pin (``message_id``, silently)."""

    method: str
    text: str = ""
    markup: Markup | None = None
    message_id: int | None = None
    files: list[File] = field(default_factory=list)

    def to_json(self) -> str:
        data: dict[str, Any] = {"m": self.method}
        if self.text:
            data["text"] = self.text
        if self.markup:
            data["markup"] = self.markup
        if self.message_id is not None:
            data["message_id"] = self.message_id
        if self.files:
            data["files"] = [
                {
                    "data": base64.b64encode(f.data).decode("ascii"),
                    "filename": f.filename,
                    "caption": f.caption,
                    **({"file_id": f.file_id} if f.file_id else {}),
                }
                for f in self.files
            ]
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Request:
        data = json.loads(raw)
        files = [
            File(
                base64.b64decode(f["data"]),
                f.get("filename", ""),
                f.get("caption", ""),
                f.get("file_id", ""),
            )
            for f in data.get("files", [])
        ]
        return cls(
            data["m"], data.get("text", ""), data.get("markup"), data.get("message_id"), files
        )

    async def perform(self, bot: Bot, chat_id: int) -> int | None:
        """Send it; the id of the message it posted, if one."""
        from telegram import InputFile, InputMediaPhoto
        from telegram.constants import ParseMode
        from telegram.error import BadRequest

        markup = to_markup(self.markup)
        if self.method in ("edit", "edit-only") and self.message_id is not None:
            try:
                await bot.edit_message_text(
                    self.text,
                    chat_id=chat_id,
                    message_id=self.message_id,
                    reply_markup=markup,
                    parse_mode=ParseMode.HTML,
                )
                return self.message_id
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return self.message_id
                if self.method == "edit-only":
                    return None  # a closed round's message that is gone stays gone
                # The message is gone or too old to edit: the screen is posted anew.
        if self.method in ("text", "edit"):
            message = await bot.send_message(
                chat_id, self.text, reply_markup=markup, parse_mode=ParseMode.HTML
            )
            return message.message_id
        if self.method == "markup" and self.message_id is not None:
            try:
                await bot.edit_message_reply_markup(
                    chat_id=chat_id, message_id=self.message_id, reply_markup=markup
                )
            except BadRequest as exc:
                if "not modified" not in str(exc).lower():
                    return None  # the message is gone: its buttons with it
            return self.message_id
        if self.method == "pin" and self.message_id is not None:
            await bot.pin_chat_message(chat_id, self.message_id, disable_notification=True)
            return self.message_id
        if self.method == "photo":
            f = self.files[0]
            message = await bot.send_photo(
                chat_id,
                f.file_id or f.data,
                caption=f.caption or None,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
            return message.message_id
        if self.method == "photos":
            media = [
                InputMediaPhoto(f.data, caption=f.caption or None, parse_mode=ParseMode.HTML)
                for f in self.files[:10]
            ]
            messages = await bot.send_media_group(chat_id, media)
            return messages[0].message_id if messages else None
        if self.method == "document":
            f = self.files[0]
            message = await bot.send_document(
                chat_id,
                f.file_id or InputFile(f.data, filename=f.filename),
                caption=f.caption or None,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
            return message.message_id
        raise ValueError(f"unknown request method {self.method!r}")
