"""What the bot writes, checked as Telegram checks it: parse modes, entities, reply markup.

Pure functions, no emulator state: :func:`format_text` turns a text or caption and its
``parse_mode`` into the plain text and entities Telegram stores (HTML through
:mod:`bot.emulator.telegram_html`), :func:`parse_markup` validates a ``reply_markup``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from bot.emulator.model import JSONDict, bad_request
from bot.emulator.telegram_html import TelegramHtmlError, parse_html_entities, utf16_len

__all__ = ["MAX_CALLBACK_DATA_BYTES", "check_inline_button", "format_text", "parse_markup"]

MAX_CALLBACK_DATA_BYTES = 64


def strip_with_entities(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Strip surrounding whitespace like Telegram does, shifting/clipping the entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result: list[JSONDict] = []
    for entity in entities:
        start = max(0, int(entity["offset"]) - lead)
        end = min(total, int(entity["offset"]) + int(entity["length"]) - lead)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def format_text(
    raw: str, parse_mode: Any, entities: Any, *, strict_html: bool
) -> tuple[str, list[JSONDict]]:
    """The plain text and entities of ``raw`` sent with ``parse_mode`` (or ``entities``)."""
    mode = str(parse_mode or "").strip()
    if mode.lower() == "html":
        try:
            text, parsed = parse_html_entities(raw, strict=strict_html)
        except TelegramHtmlError as exc:
            message = exc.description
            prefix = "Can't parse entities: "
            if message.startswith(prefix):
                message = message[len(prefix) :]
            raise bad_request(f"can't parse entities: {message}") from None
    elif mode == "":
        text = raw
        parsed = [dict(e) for e in entities] if isinstance(entities, list) else []
    elif mode.lower() in ("markdown", "markdownv2"):
        # Not validated by the emulator: kept verbatim, without entities.
        text, parsed = raw, []
    else:
        raise bad_request(f"unsupported parse_mode {mode!r}")
    return strip_with_entities(text, parsed)


def parse_markup(
    markup: Any, *, inline_only: bool = False
) -> tuple[str | None, list[list[JSONDict]] | None]:
    """``(markup type, rows of buttons)`` of a ``reply_markup``; ``(None, None)`` without one."""
    if markup is None:
        return None, None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse inline keyboard markup JSON object")
        normalized: list[list[JSONDict]] = []
        for row in rows:
            new_row: list[JSONDict] = []
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise bad_request("can't parse inline keyboard button")
                check_inline_button(button)
                new_row.append(dict(button))
            normalized.append(new_row)
        return "inline_keyboard", normalized
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse keyboard markup JSON object")
        keyboard = [[b if isinstance(b, dict) else {"text": str(b)} for b in row] for row in rows]
        return "keyboard", keyboard
    if markup.get("remove_keyboard"):
        return "remove_keyboard", None
    if markup.get("force_reply"):
        return "force_reply", None
    raise bad_request("can't parse reply keyboard markup JSON object")


def check_inline_button(button: JSONDict) -> None:
    if "callback_data" in button:
        data = button["callback_data"]
        size = len(str(data).encode("utf-8")) if data is not None else 0
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
        return
    if "url" in button:
        url = str(button["url"])
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.netloc)
        ok = ok or (parts.scheme == "tg" and bool(parts.netloc or parts.path))
        if not ok:
            raise bad_request(f"inline keyboard button URL '{url}' is invalid")
        return
    other_actions = (
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "callback_game",
        "pay",
        "web_app",
        "copy_text",
    )
    if not any(key in button for key in other_actions):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
