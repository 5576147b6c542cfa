"""A Bot API request's parameters: decoded from the query, JSON or form body, and validated.

:func:`read_params` reads them from the HTTP request. PTB sends every value as a string (JSON
for objects); :func:`decode_value` turns them back into what PTB serialized, and
:class:`Params` reads them with Telegram's error answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.emulator.model import JSONDict, bad_request

__all__ = ["Handler", "Params", "Upload", "decode_value", "read_params"]

# Parameters whose values are JSON-serialized objects or lists.
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "media",
        "reply_parameters",
        "link_preview_options",
        "allowed_updates",
        "menu_button",
        "permissions",
        "reaction",
        "results",
        "options",
    }
)
# Parameters that are always plain strings, even when they look like numbers or JSON.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "language_code",
        "file_id",
        "description",
        "short_description",
        "name",
        "title",
        "action",
        "inline_message_id",
        "secret_token",
        "emoji",
        "custom_title",
        "business_connection_id",
        "message_effect_id",
        "document",
        "photo",
        "video",
        "audio",
        "thumbnail",
    }
)

_INT_RE = re.compile(r"-?\d+")


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str
    data: bytes
    content_type: str | None


class Params:
    """Decoded request parameters with Bot-API-style validation helpers."""

    def __init__(self, values: JSONDict, files: dict[str, Upload]) -> None:
        self.values = values
        self.files = files

    def has(self, name: str) -> bool:
        return self.values.get(name) is not None

    def opt_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict | list):
            return json.dumps(value)
        return str(value)

    def req_str(self, name: str) -> str:
        value = self.opt_str(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        return value

    def opt_int(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
            return int(value)
        raise bad_request(f"invalid {name} specified")

    def req_int(self, name: str) -> int:
        value = self.opt_int(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def opt_float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def opt_bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1")

    def opt_json(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value


# A Bot API method's implementation: its answer's ``result`` from the request's parameters.
Handler = Callable[[Params], Coroutine[Any, Any, Any]]


def decode_value(name: str, value: Any) -> Any:
    """Turn a form value (always a string) back into the object PTB serialized."""
    if not isinstance(value, str):
        return value
    if name in _STRING_PARAMS:
        return value
    if name in _JSON_PARAMS or value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if _INT_RE.fullmatch(value):
        return int(value)
    if value in ("true", "false"):
        return value == "true"
    return value


async def read_params(request: web.Request) -> tuple[JSONDict, dict[str, Upload]]:
    """The parameters of a request (query string, then a JSON or form body) and its uploads."""
    raw: JSONDict = dict(request.query)
    files: dict[str, Upload] = {}
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("the JSON body must be an object")
            raw.update(body)
        else:
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    files[name] = Upload(
                        filename=value.filename.replace("%22", '"'),
                        data=value.file.read(),
                        content_type=value.content_type,
                    )
                elif isinstance(value, bytes | bytearray):
                    raw[name] = bytes(value).decode("utf-8")
                else:
                    raw[name] = value
    return {name: decode_value(name, value) for name, value in raw.items()}, files
