"""The Telegram side of :mod:`bot.delivery`: its ``send`` on python-telegram-bot.

The delivery log claims, paces and records; this module only makes the one request and says
what came of it. Used by the jobs (reminders, announcements, election posts)."""

from __future__ import annotations

from typing import Any

import httpx
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.delivery import Markup, Outcome, SendFn, SendResult
from bot.publishing.requests import retry_seconds

__all__ = ["file_sender", "outcome_of", "telegram_sender"]


def _keyboard(markup: Markup | None) -> InlineKeyboardMarkup | None:
    if not markup:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.text, url=b.url, callback_data=b.callback_data) for b in row]
            for row in markup
        ]
    )


def outcome_of(exc: TelegramError) -> SendResult:
    """What a Bot API error says of the request that met it: the one reading of Telegram's
    errors, for the delivery log and for the metrics of every path that sends."""
    if isinstance(exc, RetryAfter):
        return SendResult(Outcome.RETRY_AFTER, retry_after=retry_seconds(exc), error=str(exc))
    if isinstance(exc, Forbidden):
        return SendResult(Outcome.PERMANENT, error=f"blocked: {exc.message}")
    if isinstance(exc, ChatMigrated):
        return SendResult(Outcome.PERMANENT, error=f"chat migrated: {exc.new_chat_id}")
    if isinstance(exc, BadRequest):
        return SendResult(Outcome.PERMANENT, error=exc.message)
    if isinstance(exc, TimedOut):
        # Waiting for a pooled connection, or for the connection itself: the request never
        # left, so it may go again. A read or write timeout may have delivered it.
        cause = exc.__cause__
        if isinstance(cause, httpx.ConnectTimeout) or "Pool timeout" in exc.message:
            return SendResult(Outcome.TRANSIENT, error=f"not sent: {exc.message}")
        return SendResult(Outcome.UNCERTAIN, error=f"timed out: {exc.message}")
    if isinstance(exc, NetworkError):
        # A refused connection or a 5xx (Telegram answered; PTB's message is then the
        # answer's description, e.g. "Internal Server Error", or "Bad Gateway (502)"): the
        # message was not taken. A transport error after connecting (PTB says
        # "httpx.ReadError: ..."; a connection dropped mid-response) may have delivered it.
        text = exc.message
        dropped = text.startswith(("httpx.", "Unknown error in HTTP implementation"))
        if "ConnectError" in text or not dropped:
            return SendResult(Outcome.TRANSIENT, error=text)
        return SendResult(Outcome.UNCERTAIN, error=text)
    return SendResult(Outcome.PERMANENT, error=exc.message)


def telegram_sender(bot: Any) -> SendFn:
    """``send`` for :mod:`bot.delivery` on python-telegram-bot: Telegram's errors become
    outcomes; 429s arrive as RETRY_AFTER and bot/delivery.py waits them out itself."""

    async def send(chat_id: int, text: str, markup: Markup | None) -> SendResult:
        try:
            message = await bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=_keyboard(markup),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except TelegramError as exc:
            return outcome_of(exc)
        return SendResult(Outcome.SENT, message_id=message.message_id)

    return send


class _MediaBot:
    """Lets `telegram_sender` send a photo or document instead of a text: one request per
    call (the item's text is the caption; an empty text sends the file alone)."""

    def __init__(self, bot: Any, kind: str, file_id: str) -> None:
        self.bot = bot
        self.kind = kind
        self.file_id = file_id

    async def send_message(
        self, chat_id: int, text: str, parse_mode: Any = None, reply_markup: Any = None, **_: Any
    ) -> Message:
        send = self.bot.send_photo if self.kind == "photo" else self.bot.send_document
        return await send(
            chat_id,
            self.file_id,
            caption=text or None,
            parse_mode=parse_mode,
            reply_markup=reply_markup,
        )


def file_sender(bot: Any, kind: str, file_id: str) -> SendFn:
    """``send`` that posts the file ``file_id`` (``kind`` "photo" or "document") with the
    item's text as its caption, with the same reading of Telegram's errors."""
    return telegram_sender(_MediaBot(bot, kind, file_id))
