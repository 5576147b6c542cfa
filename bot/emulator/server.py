"""An in-process emulator of the Telegram Bot API.

``BotApiEmulator`` is an aiohttp web server that speaks the Bot API over HTTP, so the real
bot (python-telegram-bot with its normal ``HTTPXRequest`` networking) can run against it
without any network access. Tests and the demo act as users: they send texts, press
buttons, upload documents and then read back what the bot sent.

Usage::

    emu = BotApiEmulator()
    await emu.start()
    app = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    ...
    lan = emu.user(1001, "Lan")
    update_id = await emu.send_text(lan, lan.id, "/start")
    await emu.wait_fetched(update_id)

The emulator validates requests like Telegram does (HTML markup, message length, callback
data size, "message is not modified", who the bot may write to, group privacy mode) and
answers with Telegram's error codes and descriptions, so bugs that would only show up in
production show up in tests.

A flaky Telegram on demand (:mod:`bot.emulator.faults`): ``emu.faults = Faults(...)`` (or
``emu.inject(...)``) makes a seeded, reproducible fraction of the requests fail with 429
(``retry_after``), 500/502, timeouts (held longer than the client waits, executed or not) and
connection resets (before or after executing), per method and per chat, plus 403 "bot was
blocked by the user" for a set of chats; getUpdates only when asked. ``emu.faults.injected``
counts what was injected, per kind::

    faults = emu.inject(0.1, methods={"sendMessage", "editMessageText"}, seed=1)
    ...
    assert faults.injected["timeout"] > 0

A group upgraded to a supergroup: ``new = await emu.migrate_to_supergroup(group)`` sends the
bot the ``migrate_to_chat_id``/``migrate_from_chat_id`` service messages and from then on any
call with the old chat id answers 400 with ``parameters.migrate_to_chat_id`` (PTB's
``ChatMigrated``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import mimetypes
import re
import struct
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from aiohttp import web

from bot.emulator.faults import FaultDecision, Faults
from bot.emulator.telegram_html import TelegramHtmlError, parse_html_entities, utf16_len

__all__ = [
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "EmuChat",
    "EmuDocument",
    "EmuUser",
    "Faults",
    "SentMessage",
    "StoredFile",
    "TranscriptEntry",
]

_LOGGER = logging.getLogger(__name__)

JSONDict = dict[str, Any]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200

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
_COMMAND_RE = re.compile(r"/([A-Za-z0-9_]{1,64})(@([A-Za-z0-9_]{1,32}))?(?![A-Za-z0-9_@])")
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")

_MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "left", "kicked"})
_PRESENT_STATUSES = frozenset({"creator", "administrator", "member"})

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
# The user Telegram shows as the sender of a supergroup's own service messages.
GROUP_ANONYMOUS_BOT_ID = 1087968824
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


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


def _bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _forbidden(description: str) -> ApiError:
    return ApiError(403, f"Forbidden: {description}")


# ---------------------------------------------------------------------------------------
# Public data classes
# ---------------------------------------------------------------------------------------


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
class _Upload:
    filename: str
    data: bytes
    content_type: str | None


@dataclass
class _CallbackQuery:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False


class _Params:
    """Decoded request parameters with Bot-API-style validation helpers."""

    def __init__(self, values: JSONDict, files: dict[str, _Upload]) -> None:
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
            raise _bad_request(f"{name} is empty")
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
        raise _bad_request(f"invalid {name} specified")

    def req_int(self, name: str) -> int:
        value = self.opt_int(name)
        if value is None:
            raise _bad_request(f"{name} is empty")
        return value

    def opt_float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _bad_request(f"invalid {name} specified") from None

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
                raise _bad_request(f"can't parse {name} JSON object") from None
        return value


def _decode_value(name: str, value: Any) -> Any:
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


def _strip_with_entities(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
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


def _image_size(data: bytes) -> tuple[int, int]:
    """Width/height of a PNG or JPEG image; a placeholder size otherwise."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
    return 512, 512


# ---------------------------------------------------------------------------------------
# The emulator
# ---------------------------------------------------------------------------------------

_Handler = Callable[[_Params], Coroutine[Any, Any, Any]]


class BotApiEmulator:
    """A local Telegram Bot API server for one bot, plus controls to act as users."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "clusterbot_demo_bot",
        bot_first_name: str = "Clusterbot",
        *,
        privacy_mode: bool = True,
        strict_html: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        enforce_limits: bool = False,
    ) -> None:
        from collections import deque

        # Telegram's flood limits, enforced the way Telegram does when ``enforce_limits``:
        # more than 30 messages in any second overall, a second message to one chat within a
        # second, or more than 20 in a minute to one group is answered 429 with retry_after.
        self.enforce_limits = enforce_limits
        self.limit_overall = 30
        self.limit_per_chat_interval = 1.0
        self.limit_group_per_minute = 20
        self.limit_429s = 0
        self.limit_clock: Callable[[], float] = time.monotonic
        self._limit_overall_times: deque[float] = deque()
        self._limit_chat_last: dict[int, float] = {}
        self._limit_group_times: dict[int, deque[float]] = {}
        bot_id_part = token.split(":", 1)[0]
        if not bot_id_part.isdigit():
            raise ValueError("token must look like '<bot id>:<secret>'")
        self.token = token
        self.bot_id = int(bot_id_part)
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.privacy_mode = privacy_mode
        self.strict_html = strict_html
        self.host = host
        self._port_wanted = port
        self.port: int | None = None

        self.users: dict[int, EmuUser] = {}
        self.chats: dict[int, EmuChat] = {}
        self.sent: list[SentMessage] = []
        self.calls: list[ApiCall] = []
        self.answered_callbacks: list[JSONDict] = []
        self.transcript: list[TranscriptEntry] = []
        self.files: dict[str, StoredFile] = {}
        self.bot_commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.menu_buttons: dict[int | None, JSONDict] = {}
        self.bot_profile: dict[tuple[str, str], str] = {}  # (field, language_code) -> value
        self.webhook_url: str = ""

        self._started_users: set[int] = set()
        self._blocked: set[int] = set()
        self._members: dict[tuple[int, int], str] = {}  # (chat_id, user_or_bot_id) -> status
        self._sent_index: dict[tuple[int, int], SentMessage] = {}
        self._user_messages: dict[tuple[int, int], JSONDict] = {}
        self._deleted_user_messages: set[tuple[int, int]] = set()
        self._pinned: dict[int, list[int]] = {}
        self._next_message_id: dict[int, int] = {}
        self._callback_queries: dict[str, _CallbackQuery] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_counter = 0
        self._media_group_counter = 0
        self._callback_counter = 0

        self._updates: list[JSONDict] = []
        self._next_update_id = 1
        self._highest_returned = 0
        self._fetched = 0
        self._poll_waiters: list[asyncio.Future[str]] = []
        self._fetch_waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._activity_waiters: list[asyncio.Future[None]] = []
        self._closing = False

        # Fault injection (None: Telegram never fails by itself) and migrated groups.
        self.faults: Faults | None = None
        self._migrated_to: dict[int, int] = {}  # old group id -> its supergroup id
        self._held_waiters: list[asyncio.Future[str]] = []  # requests held by "timeout" faults

        self._runner: web.AppRunner | None = None
        self._methods: dict[str, _Handler] = {
            name.lower(): handler for name, handler in self._method_table().items()
        }

    # -----------------------------------------------------------------------------------
    # Lifecycle
    # -----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving on ``host`` (default 127.0.0.1) and a free port."""
        if self._runner is not None:
            return
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        runner = web.AppRunner(
            app, handle_signals=False, shutdown_timeout=2.0, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port_wanted)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])

    async def stop(self) -> None:
        """Stop the server; pending long-poll ``getUpdates`` calls return at once.

        Requests held by a ``"timeout"`` fault end at once too (answered when they were
        executed, their connection dropped otherwise).
        """
        self._closing = True
        for waiter in [*self._poll_waiters, *self._held_waiters]:
            if not waiter.done():
                waiter.set_result("stopped")
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For PTB's ``base_url``: PTB appends the token and the method name."""
        return f"http://{self.host}:{self._require_port()}/bot"

    @property
    def base_file_url(self) -> str:
        """For PTB's ``base_file_url``: PTB appends the token and the file path."""
        return f"http://{self.host}:{self._require_port()}/file/bot"

    def _require_port(self) -> int:
        if self.port is None:
            raise RuntimeError("the emulator is not started; await emu.start() first")
        return self.port

    # -----------------------------------------------------------------------------------
    # Extension point
    # -----------------------------------------------------------------------------------

    def _check_limits(self, method: str, chat_id: int | None) -> None:
        """Hook called before every Bot API method is executed.

        With ``enforce_limits`` (off by default), messages sent to a chat (``send*`` but
        ``sendChatAction``, ``copyMessage*``, ``forwardMessage*``) obey Telegram's flood limits: at most
        ``limit_overall`` in any second, one per ``limit_per_chat_interval`` seconds in a chat,
        ``limit_group_per_minute`` in any minute in a group (negative chat id). Beyond them the
        answer is ``429 Too Many Requests: retry after N`` with ``retry_after`` N (whole seconds,
        at least 1) and the request is not executed; ``limit_429s`` counts those answers.
        ``chat_id`` is the request's integer ``chat_id`` when it has one, else None.
        """
        if not self.enforce_limits or chat_id is None:
            return
        name = method.lower()
        if not name.startswith(("send", "copymessage", "forwardmessage")):
            return
        if name == "sendchataction":
            return
        now = self.limit_clock()
        overall = self._limit_overall_times
        while overall and overall[0] <= now - 1.0:
            overall.popleft()
        wait = 0.0
        if len(overall) >= self.limit_overall:
            wait = max(wait, overall[0] + 1.0 - now)
        last = self._limit_chat_last.get(chat_id)
        if last is not None and now - last < self.limit_per_chat_interval:
            wait = max(wait, last + self.limit_per_chat_interval - now)
        group = None
        if chat_id < 0:
            group = self._limit_group_times.setdefault(chat_id, type(overall)())
            while group and group[0] <= now - 60.0:
                group.popleft()
            if len(group) >= self.limit_group_per_minute:
                wait = max(wait, group[0] + 60.0 - now)
        if wait > 0:
            self.limit_429s += 1
            seconds = max(1, int(wait + 0.999))
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
        overall.append(now)
        self._limit_chat_last[chat_id] = now
        if group is not None:
            group.append(now)

    def inject(self, rate: float = 0.0, **options: Any) -> Faults:
        """Make Telegram flaky: ``self.faults = Faults(rate, **options)``, returned.

        The options are :class:`~bot.emulator.faults.Faults`'s (``kinds``, ``methods``,
        ``chats``, ``seed``, ``get_updates``, ``retry_after``, ``timeout_delay``,
        ``timeout_executed``, ``reset_executed``, ``forbidden_chats``, ...). Assign
        ``emu.faults = None`` to make it reliable again.
        """
        self.faults = Faults(rate, **options)
        return self.faults

    # -----------------------------------------------------------------------------------
    # World setup
    # -----------------------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> EmuUser:
        """Create (or update) a user and their private chat with the bot."""
        if user_id <= 0:
            raise ValueError("user ids must be positive")
        if user_id == self.bot_id:
            raise ValueError("user id collides with the bot id")
        user = EmuUser(user_id, first_name, last_name, username, language_code)
        self.users[user_id] = user
        self.chats[user_id] = EmuChat(
            id=user_id,
            type="private",
            first_name=first_name,
            last_name=last_name,
            username=username,
        )
        return user

    def group(self, chat_id: int, title: str) -> EmuChat:
        """Create a group (supergroup if ``chat_id < -1000000000000``).

        The bot is not a member until :meth:`add_bot_to_group` is called.
        """
        if chat_id >= 0:
            raise ValueError("group chat ids must be negative")
        chat_type = "supergroup" if chat_id < -1_000_000_000_000 else "group"
        chat = self.chats.get(chat_id)
        if chat is None or chat.type == "private":
            chat = EmuChat(id=chat_id, type=chat_type, title=title)
            self.chats[chat_id] = chat
        else:
            chat.title = title
        return chat

    async def migrate_to_supergroup(
        self,
        chat: EmuChat | int,
        *,
        by: EmuUser | None = None,
        new_chat_id: int | None = None,
        bot_member_update: bool = True,
    ) -> EmuChat:
        """Upgrade a group to a supergroup as Telegram does; returns the new supergroup.

        The supergroup gets a new id (``-100...``; ``new_chat_id`` to choose it) with the
        group's title, username and members (statuses included, the bot's too). Its message
        ids start again at 1; the group's messages and pins stay with the old id, as in the
        Bot API. When the bot is in the group it receives, in this order: the service message
        ``migrate_to_chat_id`` in the old group (from ``by``, by default the group's creator or
        an administrator or member), ``migrate_from_chat_id`` as message 1 of the supergroup
        (from GroupAnonymousBot with ``sender_chat`` the supergroup), and, unless
        ``bot_member_update`` is False, a ``my_chat_member`` for the supergroup (left -> the
        bot's status; Telegram sends none for the old group). From then on every Bot API
        call with the old chat id answers ``400 Bad Request: group chat was upgraded to a
        supergroup chat`` with ``parameters.migrate_to_chat_id`` (PTB's ``ChatMigrated``), and
        users can no longer act in the old group.
        """
        old = self._group_chat(chat)
        if old.type != "group":
            raise ValueError(f"chat {old.id} is a {old.type}, only groups can be upgraded")
        if old.id in self._migrated_to:
            raise ValueError(f"group {old.id} was already upgraded to {self._migrated_to[old.id]}")
        new_id = -(1_000_000_000_000 + abs(old.id)) if new_chat_id is None else new_chat_id
        if new_id >= -1_000_000_000_000:
            raise ValueError("supergroup ids are below -1000000000000 (-100...)")
        if new_id in self.chats:
            raise ValueError(f"chat {new_id} already exists; pass another new_chat_id")
        actor = by if by is not None else self._group_owner(old.id)
        self._known_user(actor)
        new = EmuChat(id=new_id, type="supergroup", title=old.title, username=old.username)
        self.chats[new_id] = new
        for (chat_id, who), status in list(self._members.items()):
            if chat_id == old.id:
                self._members[(new_id, who)] = status
        self._migrated_to[old.id] = new_id
        old.username = None  # "@username" now names the supergroup
        self._add_transcript_user(actor, old.id, f"[upgraded the group to supergroup {new_id}]")
        bot_status = self._member_status(old.id, self.bot_id)
        if bot_status not in _PRESENT_STATUSES:
            return new
        now = int(time.time())
        to_message: JSONDict = {
            "message_id": self._new_message_id(old.id),
            "from": actor.to_dict(),
            "chat": old.to_dict(),
            "date": now,
            "migrate_to_chat_id": new_id,
        }
        self._user_messages[(old.id, to_message["message_id"])] = to_message
        self._enqueue({"message": to_message})
        from_message: JSONDict = {
            "message_id": self._new_message_id(new_id),
            "from": {
                "id": GROUP_ANONYMOUS_BOT_ID,
                "is_bot": True,
                "first_name": "Group",
                "username": "GroupAnonymousBot",
            },
            "sender_chat": new.to_dict(),
            "chat": new.to_dict(),
            "date": now,
            "migrate_from_chat_id": old.id,
        }
        self._user_messages[(new_id, from_message["message_id"])] = from_message
        self._enqueue({"message": from_message})
        if bot_member_update:
            self._enqueue(
                {
                    "my_chat_member": {
                        "chat": new.to_dict(),
                        "from": actor.to_dict(),
                        "date": now,
                        "old_chat_member": self._member_dict(new_id, self.bot_id, "left"),
                        "new_chat_member": self._member_dict(new_id, self.bot_id, bot_status),
                    }
                }
            )
        return new

    def migrated_to(self, chat: EmuChat | int) -> int | None:
        """The supergroup id a group was upgraded to, or None."""
        return self._migrated_to.get(self._chat_id_of(chat))

    def _group_owner(self, chat_id: int) -> EmuUser:
        """Who upgrades a group by default: its creator, else an administrator, else a member."""
        for wanted in ("creator", "administrator", "member"):
            for (cid, who), status in self._members.items():
                if cid == chat_id and status == wanted and who in self.users:
                    return self.users[who]
        raise ValueError(f"group {chat_id} has no user to upgrade it; pass by=")

    def set_member_status(self, chat: EmuChat | int, who: EmuUser | int, status: str) -> None:
        """Set a user's (or the bot's, by ``bot_id``) status in a group, silently.

        ``status`` is one of creator, administrator, member, left, kicked. A bot that is an
        administrator sees every group message even in privacy mode.
        """
        if status not in _MEMBER_STATUSES:
            raise ValueError(f"unsupported status {status!r}")
        chat_obj = self._group_chat(chat)
        who_id = who.id if isinstance(who, EmuUser) else int(who)
        self._members[(chat_obj.id, who_id)] = status

    def member_status(self, chat: EmuChat | int, who: EmuUser | int) -> str:
        chat_id = chat.id if isinstance(chat, EmuChat) else int(chat)
        who_id = who.id if isinstance(who, EmuUser) else int(who)
        return self._member_status(chat_id, who_id)

    def block(self, user: EmuUser) -> int | None:
        """The user blocks the bot: sends to their private chat answer 403 from now on.

        Like Telegram, the bot gets a ``my_chat_member`` update (member -> kicked) if the
        user had started it; returns that update id (or None).
        """
        if user.id in self._blocked:
            return None
        self._known_user(user)
        self._blocked.add(user.id)
        self._add_transcript_user(user, user.id, "[blocked the bot]")
        if user.id not in self._started_users:
            return None
        return self._enqueue(
            {"my_chat_member": self._private_member_update(user, "member", "kicked")}
        )

    def unblock(self, user: EmuUser) -> int | None:
        """The user unblocks the bot (a ``my_chat_member`` kicked -> member update)."""
        if user.id not in self._blocked:
            return None
        self._blocked.discard(user.id)
        self._add_transcript_user(user, user.id, "[unblocked the bot]")
        if user.id not in self._started_users:
            return None
        return self._enqueue(
            {"my_chat_member": self._private_member_update(user, "kicked", "member")}
        )

    def is_blocked(self, user: EmuUser | int) -> bool:
        return (user.id if isinstance(user, EmuUser) else user) in self._blocked

    # -----------------------------------------------------------------------------------
    # Acting as users
    # -----------------------------------------------------------------------------------

    async def send_text(
        self,
        user: EmuUser,
        chat_id: int | EmuChat | EmuUser,
        text: str,
        reply_to: int | SentMessage | None = None,
    ) -> int | None:
        """The user sends ``text`` in a chat; returns the update id.

        Returns None when group privacy mode hides the message from the bot (it is still
        recorded in the transcript).
        """
        if not text:
            raise ValueError("text must not be empty")
        chat = self._chat_for_user_action(user, chat_id)
        self._touch_user_in_chat(user, chat)
        reply_msg = self._resolve_reply(chat, reply_to)
        message = self._new_user_message(user, chat)
        message["text"] = text
        command = self._command_entity(text)
        if command is not None:
            message["entities"] = [command]
        if reply_msg is not None:
            message["reply_to_message"] = reply_msg
        self._add_transcript_user(user, chat.id, text, message_id=message["message_id"])
        if not self._visible_to_bot(chat, text, reply_msg):
            return None
        return self._enqueue({"message": message})

    async def send_document(
        self,
        user: EmuUser,
        chat_id: int | EmuChat | EmuUser,
        filename: str,
        data: bytes,
        mime_type: str | None = None,
        caption: str | None = None,
        reply_to: int | SentMessage | None = None,
    ) -> int | None:
        """The user uploads a document (optionally with a caption); returns the update id.

        In groups with privacy mode the bot only sees it when the caption is a command or
        it replies to the bot; otherwise None is returned.
        """
        chat = self._chat_for_user_action(user, chat_id)
        self._touch_user_in_chat(user, chat)
        reply_msg = self._resolve_reply(chat, reply_to)
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        stored = self._store_file(data, filename, mime, "documents")
        message = self._new_user_message(user, chat)
        message["document"] = self._document_dict(stored)
        if caption:
            message["caption"] = caption
            command = self._command_entity(caption)
            if command is not None:
                message["caption_entities"] = [command]
        if reply_msg is not None:
            message["reply_to_message"] = reply_msg
        label = f"[document {filename}]" + (f" {caption}" if caption else "")
        self._add_transcript_user(user, chat.id, label, message_id=message["message_id"])
        if not self._visible_to_bot(chat, caption or "", reply_msg):
            return None
        return self._enqueue({"message": message})

    async def press(
        self,
        user: EmuUser,
        chat_id: int | EmuChat | EmuUser,
        message_id: int,
        data: str,
    ) -> int:
        """The user presses an inline button with ``data`` (forged data allowed).

        The message must be one the bot sent (and not deleted). Returns the update id.
        """
        chat = self._chat_for_user_action(user, chat_id)
        msg = self._sent_index.get((chat.id, message_id))
        if msg is None or msg.deleted:
            raise ValueError(f"no message {message_id} from the bot in chat {chat.id}")
        self._touch_user_in_chat(user, chat, unblock=False)
        self._callback_counter += 1
        query_id = str(4_000_000_000_000_000_000 + self.bot_id * 1000 + self._callback_counter)
        self._callback_queries[query_id] = _CallbackQuery(
            id=query_id, user_id=user.id, chat_id=chat.id, message_id=message_id, data=data
        )
        label = next(
            (
                str(button.get("text", ""))
                for row in (msg.reply_markup or [])
                for button in row
                if button.get("callback_data") == data
            ),
            data,
        )
        self._add_transcript_user(user, chat.id, f"[button: {label}]", message_id=message_id)
        return self._enqueue(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.to_dict(),
                    "message": self._sent_dict(msg),
                    "chat_instance": self._chat_instance(chat.id),
                    "data": data,
                }
            }
        )

    async def press_button(self, user: EmuUser, msg: SentMessage, text: str) -> int | None:
        """Press the button whose label contains ``text`` on ``msg`` (its current markup).

        Inline callback buttons produce a callback query; reply-keyboard buttons make the
        user send the label as a text message. Raises ValueError if there is no such button.
        """
        candidates = [b for row in (msg.reply_markup or []) for b in row]
        button = next((b for b in candidates if b.get("text") == text), None)
        if button is None:
            button = next((b for b in candidates if text in str(b.get("text", ""))), None)
        if button is None:
            raise ValueError(
                f"no button containing {text!r} in message {msg.message_id} "
                f"(buttons: {msg.button_texts})"
            )
        if msg.reply_markup_type == "keyboard":
            return await self.send_text(user, msg.chat_id, str(button["text"]))
        data = button.get("callback_data")
        if data is None:
            raise ValueError(f"button {button.get('text')!r} has no callback_data: {button}")
        return await self.press(user, msg.chat_id, msg.message_id, str(data))

    async def add_bot_to_group(
        self, user: EmuUser, group: EmuChat | int, status: str = "member"
    ) -> int:
        """``user`` adds the bot to ``group`` (status "member" or "administrator").

        Produces a ``my_chat_member`` update (left -> status) and returns its id.
        """
        if status not in _PRESENT_STATUSES - {"creator"}:
            raise ValueError("status must be 'member' or 'administrator'")
        chat = self._ensure_group(group)
        self._known_user(user)
        self._touch_user_in_chat(user, chat)
        return self._bot_membership(user, chat, status, "[added the bot to the group]")

    async def remove_bot_from_group(
        self, user: EmuUser, group: EmuChat | int, status: str = "left"
    ) -> int:
        """``user`` removes the bot (status "left" or "kicked"); a ``my_chat_member`` update."""
        if status not in ("left", "kicked"):
            raise ValueError("status must be 'left' or 'kicked'")
        chat = self._group_chat(group)
        return self._bot_membership(user, chat, status, "[removed the bot from the group]")

    def _bot_membership(self, user: EmuUser, chat: EmuChat, status: str, note: str) -> int:
        """The bot's status in a group changes: a ``my_chat_member`` update, as Telegram sends."""
        old = self._member_status(chat.id, self.bot_id)
        self._members[(chat.id, self.bot_id)] = status
        self._add_transcript_user(user, chat.id, note)
        return self._enqueue(
            {
                "my_chat_member": {
                    "chat": chat.to_dict(),
                    "from": user.to_dict(),
                    "date": int(time.time()),
                    "old_chat_member": self._member_dict(chat.id, self.bot_id, old),
                    "new_chat_member": self._member_dict(chat.id, self.bot_id, status),
                }
            }
        )

    # -----------------------------------------------------------------------------------
    # Reading what the bot did
    # -----------------------------------------------------------------------------------

    def messages(self, chat_id: int | EmuChat | EmuUser) -> list[SentMessage]:
        """Messages the bot sent to a chat, in order (deleted ones included, flagged)."""
        cid = self._chat_id_of(chat_id)
        return [m for m in self.sent if m.chat_id == cid]

    def last(self, chat_id: int | EmuChat | EmuUser) -> SentMessage:
        """The last message the bot sent to a chat; IndexError if none."""
        msgs = self.messages(chat_id)
        if not msgs:
            raise IndexError(f"the bot sent nothing to chat {self._chat_id_of(chat_id)}")
        return msgs[-1]

    def calls_to(self, method: str) -> list[ApiCall]:
        """Calls of one Bot API method (case-insensitive name)."""
        lowered = method.lower()
        return [c for c in self.calls if c.method.lower() == lowered]

    def get_commands(
        self, scope: JSONDict | None = None, language_code: str = ""
    ) -> list[JSONDict]:
        """Commands set with setMyCommands for a scope (default scope if None)."""
        return list(self.bot_commands.get((self._scope_key(scope), language_code), []))

    def pinned_message_ids(self, chat_id: int | EmuChat | EmuUser) -> list[int]:
        return list(self._pinned.get(self._chat_id_of(chat_id), []))

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by the bot (read-only copy)."""
        return list(self._updates)

    @property
    def last_update_id(self) -> int:
        """The id of the newest update queued for the bot (0 before the first)."""
        return self._next_update_id - 1

    @property
    def fetched_update_id(self) -> int:
        """Highest update id the bot received and confirmed with a later getUpdates offset."""
        return self._fetched

    async def wait_fetched(self, update_id: int | None, timeout: float = 10) -> None:
        """Return once the bot has received update ``update_id`` via getUpdates.

        "Received" means confirmed: the bot asked for a later offset, which PTB does right
        after it put the update into its queue. Raises TimeoutError.
        """
        if update_id is None:
            raise ValueError("update_id is None: the bot never sees that message")
        if self._fetched >= update_id:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (update_id, future)
        self._fetch_waiters.append(entry)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"the bot did not fetch update {update_id} within {timeout}s "
                f"(fetched up to {self._fetched})"
            ) from None
        finally:
            with contextlib.suppress(ValueError):
                self._fetch_waiters.remove(entry)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10) -> None:
        """Wait until ``predicate()`` is true; re-checked on every Bot API call and every 50 ms.

        Example: ``await emu.wait_until(lambda: len(emu.messages(chat)) >= 2)``.
        Raises TimeoutError.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            future: asyncio.Future[None] = loop.create_future()
            self._activity_waiters.append(future)
            try:
                await asyncio.wait_for(future, min(remaining, 0.05))
            except TimeoutError:
                pass
            finally:
                with contextlib.suppress(ValueError):
                    self._activity_waiters.remove(future)

    def format_transcript(self, chat_id: int | EmuChat | EmuUser | None = None) -> str:
        """The transcript as readable lines (optionally of one chat), e.g. for the demo."""
        cid = None if chat_id is None else self._chat_id_of(chat_id)
        lines: list[str] = []
        for entry in self.transcript:
            if cid is not None and entry.chat_id != cid:
                continue
            chat = self.chats.get(entry.chat_id)
            where = chat.display_name if chat is not None else str(entry.chat_id)
            if entry.kind == "user":
                who = entry.user.full_name if entry.user else "?"
                lines.append(f"[{where}] {who}: {entry.text}")
                continue
            prefix = "bot (edited)" if entry.edited else "bot"
            body = entry.text
            if entry.message_kind != "message":
                label = " ".join(x for x in (entry.message_kind, entry.file_name) if x)
                body = f"[{label}] {body}".rstrip()
            line = f"[{where}] {prefix}: {body}"
            if entry.buttons:
                line += "  " + " ".join(f"[{b}]" for b in entry.buttons)
            lines.append(line)
        return "\n".join(lines)

    # -----------------------------------------------------------------------------------
    # HTTP layer
    # -----------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        try:
            values, files = await self._read_params(request)
        except Exception as exc:  # malformed body
            error = _bad_request(f"can't parse request: {exc}")
            self.calls.append(ApiCall(method, {}, error.error_code, error.description))
            return web.json_response(error.to_json(), status=error.error_code)

        recorded: JSONDict = dict(values)
        for name, upload in files.items():
            recorded[name] = {
                "file_name": upload.filename,
                "mime_type": upload.content_type,
                "size": len(upload.data),
            }
        call = ApiCall(method, recorded)
        self.calls.append(call)
        self._notify_activity()
        try:
            handler = self._methods.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            params = _Params(values, files)
            chat_id = values.get("chat_id")
            int_chat_id = chat_id if isinstance(chat_id, int) else None
            faults = self.faults
            fault = faults.decide(method, int_chat_id) if faults is not None else None
            if fault is not None:
                call.fault = fault.kind
                return await self._inject(request, call, fault, handler, params, int_chat_id)
            result = await self._execute(handler, params, method, int_chat_id)
        except ApiError as exc:
            return self._error_response(call, exc)
        except Exception as exc:
            return self._internal_error(call, exc)
        finally:
            self._notify_activity()
        return web.json_response({"ok": True, "result": result})

    async def _execute(
        self, handler: _Handler, params: _Params, method: str, chat_id: int | None
    ) -> Any:
        """Run one method as Telegram would: migrated chats, flood limits, then the method."""
        if chat_id is not None and chat_id in self._migrated_to:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                parameters={"migrate_to_chat_id": self._migrated_to[chat_id]},
            )
        self._check_limits(method, chat_id)
        return await handler(params)

    def _error_response(self, call: ApiCall, exc: ApiError) -> web.Response:
        call.error_code, call.error = exc.error_code, exc.description
        _LOGGER.debug("%s -> %s %s", call.method, exc.error_code, exc.description)
        return web.json_response(exc.to_json(), status=exc.error_code)

    def _internal_error(self, call: ApiCall, exc: Exception) -> web.Response:
        _LOGGER.exception("emulator failure in %s", call.method)
        call.error_code, call.error = 500, f"Internal Server Error: {exc!r}"
        return web.json_response(
            {"ok": False, "error_code": 500, "description": call.error}, status=500
        )

    async def _inject(
        self,
        request: web.Request,
        call: ApiCall,
        fault: FaultDecision,
        handler: _Handler,
        params: _Params,
        chat_id: int | None,
    ) -> web.Response:
        """Answer one request with the fault drawn for it (see :mod:`bot.emulator.faults`)."""
        response: web.Response | None = None
        if fault.executed:
            # Telegram did the work; what the client gets back is lost or replaced.
            try:
                result = await self._execute(handler, params, call.method, chat_id)
            except ApiError as exc:
                response = self._error_response(call, exc)
            except Exception as exc:
                response = self._internal_error(call, exc)
            else:
                response = web.json_response({"ok": True, "result": result})
            self._notify_activity()
        if fault.kind == "timeout":
            await self._hold(fault.delay)
            if response is not None:
                return response
            return self._reset(request)
        if fault.kind == "reset":
            return self._reset(request)
        assert fault.error_code is not None and fault.description is not None
        # Even when the work was done (a 5xx after executing), the client sees the error.
        call.error_code, call.error = fault.error_code, fault.description
        if fault.html:
            # Telegram's front end answers 502 with its own HTML page, not Bot API JSON.
            return web.Response(status=502, text=_BAD_GATEWAY_HTML, content_type="text/html")
        error = ApiError(fault.error_code, fault.description, retry_after=fault.retry_after)
        return web.json_response(error.to_json(), status=fault.error_code)

    async def _hold(self, delay: float) -> None:
        """Hold a request ``delay`` seconds; cut short by :meth:`stop`.

        When the client gives up first, aiohttp cancels the handler and with it this wait.
        """
        waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._held_waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter, delay)
        except TimeoutError:
            pass
        finally:
            with contextlib.suppress(ValueError):
                self._held_waiters.remove(waiter)

    @staticmethod
    def _reset(request: web.Request) -> web.Response:
        """Drop the TCP connection without an answer (the returned response is never sent)."""
        transport = request.transport
        if transport is not None:
            transport.abort()
        return web.Response(status=204)

    async def _read_params(self, request: web.Request) -> tuple[JSONDict, dict[str, _Upload]]:
        raw: JSONDict = dict(request.query)
        files: dict[str, _Upload] = {}
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
                        files[name] = _Upload(
                            filename=value.filename.replace("%22", '"'),
                            data=value.file.read(),
                            content_type=value.content_type,
                        )
                    elif isinstance(value, bytes | bytearray):
                        raw[name] = bytes(value).decode("utf-8")
                    else:
                        raw[name] = value
        return {name: _decode_value(name, value) for name, value in raw.items()}, files

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    def _notify_activity(self) -> None:
        waiters, self._activity_waiters = self._activity_waiters, []
        for future in waiters:
            if not future.done():
                future.set_result(None)

    def _method_table(self) -> Mapping[str, _Handler]:
        return {
            "getMe": self._api_get_me,
            "logOut": self._api_true,
            "close": self._api_true,
            "getUpdates": self._api_get_updates,
            "setWebhook": self._api_set_webhook,
            "deleteWebhook": self._api_delete_webhook,
            "getWebhookInfo": self._api_get_webhook_info,
            "setMyCommands": self._api_set_my_commands,
            "getMyCommands": self._api_get_my_commands,
            "deleteMyCommands": self._api_delete_my_commands,
            "setChatMenuButton": self._api_set_chat_menu_button,
            "getChatMenuButton": self._api_get_chat_menu_button,
            "setMyDescription": self._api_set_profile("description"),
            "getMyDescription": self._api_get_profile("description"),
            "setMyShortDescription": self._api_set_profile("short_description"),
            "getMyShortDescription": self._api_get_profile("short_description"),
            "setMyName": self._api_set_profile("name"),
            "getMyName": self._api_get_profile("name"),
            "sendMessage": self._api_send_message,
            "editMessageText": self._api_edit_message_text,
            "editMessageCaption": self._api_edit_message_caption,
            "editMessageReplyMarkup": self._api_edit_message_reply_markup,
            "deleteMessage": self._api_delete_message,
            "answerCallbackQuery": self._api_answer_callback_query,
            "sendDocument": self._api_send_document,
            "sendPhoto": self._api_send_photo,
            "sendMediaGroup": self._api_send_media_group,
            "pinChatMessage": self._api_pin_chat_message,
            "unpinChatMessage": self._api_unpin_chat_message,
            "unpinAllChatMessages": self._api_unpin_all_chat_messages,
            "getChat": self._api_get_chat,
            "getChatMember": self._api_get_chat_member,
            "getChatAdministrators": self._api_get_chat_administrators,
            "getChatMemberCount": self._api_get_chat_member_count,
            "getFile": self._api_get_file,
            "sendChatAction": self._api_send_chat_action,
        }

    # -----------------------------------------------------------------------------------
    # Bot API methods: bot, updates, webhook, commands
    # -----------------------------------------------------------------------------------

    async def _api_true(self, p: _Params) -> bool:
        return True

    async def _api_get_me(self, p: _Params) -> JSONDict:
        return {
            **self._bot_user_dict(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _api_get_updates(self, p: _Params) -> list[JSONDict]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = p.opt_int("offset")
        limit = min(max(p.opt_int("limit") or 100, 1), 100)
        timeout = max(p.opt_float("timeout") or 0.0, 0.0)
        self._confirm_offset(offset)

        # A new getUpdates request terminates a pending one, as on Telegram.
        for pending in self._poll_waiters:
            if not pending.done():
                pending.set_result("superseded")

        if not self._updates and timeout > 0 and not self._closing:
            waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._poll_waiters.append(waiter)
            try:
                reason = await asyncio.wait_for(waiter, timeout)
            except TimeoutError:
                reason = "timeout"
            finally:
                with contextlib.suppress(ValueError):
                    self._poll_waiters.remove(waiter)
            if reason == "superseded":
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
            if reason == "stopped":
                return []
        batch = self._updates[:limit]
        if batch:
            self._highest_returned = max(self._highest_returned, batch[-1]["update_id"])
        return batch

    def _confirm_offset(self, offset: int | None) -> None:
        if not offset:
            return
        if offset < 0:
            self._updates = self._updates[offset:]
            return
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        confirmed = min(offset - 1, self._highest_returned)
        if confirmed > self._fetched:
            self._fetched = confirmed
            for update_id, future in list(self._fetch_waiters):
                if update_id <= confirmed and not future.done():
                    future.set_result(None)

    def _enqueue(self, body: JSONDict) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, **body})
        for waiter in self._poll_waiters:
            if not waiter.done():
                waiter.set_result("update")
        return update_id

    async def _api_set_webhook(self, p: _Params) -> bool:
        url = p.req_str("url")
        if not url.startswith("https://"):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        if p.opt_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _api_delete_webhook(self, p: _Params) -> bool:
        self.webhook_url = ""
        if p.opt_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _api_get_webhook_info(self, p: _Params) -> JSONDict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    @staticmethod
    def _scope_key(scope: Any) -> str:
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    async def _api_set_my_commands(self, p: _Params) -> bool:
        commands = p.opt_json("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad_request("too many commands")
        normalized: list[JSONDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not _BOT_COMMAND_NAME_RE.fullmatch(name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad_request("command description must be non-empty")
            normalized.append({"command": name, "description": description})
        key = (self._scope_key(p.opt_json("scope")), p.opt_str("language_code") or "")
        self.bot_commands[key] = normalized
        return True

    async def _api_get_my_commands(self, p: _Params) -> list[JSONDict]:
        key = (self._scope_key(p.opt_json("scope")), p.opt_str("language_code") or "")
        return list(self.bot_commands.get(key, []))

    async def _api_delete_my_commands(self, p: _Params) -> bool:
        key = (self._scope_key(p.opt_json("scope")), p.opt_str("language_code") or "")
        self.bot_commands.pop(key, None)
        return True

    async def _api_set_chat_menu_button(self, p: _Params) -> bool:
        chat_id = p.opt_int("chat_id")
        if chat_id is not None and chat_id not in self.chats:
            raise _bad_request("chat not found")
        button = p.opt_json("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or "type" not in button:
            raise _bad_request("can't parse menu button JSON object")
        self.menu_buttons[chat_id] = button
        return True

    async def _api_get_chat_menu_button(self, p: _Params) -> JSONDict:
        chat_id = p.opt_int("chat_id")
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "default"}

    def _api_set_profile(self, field_name: str) -> _Handler:
        async def handler(p: _Params) -> bool:
            value = p.opt_str(field_name) or ""
            language = p.opt_str("language_code") or ""
            if value:
                self.bot_profile[(field_name, language)] = value
            else:
                self.bot_profile.pop((field_name, language), None)
            return True

        return handler

    def _api_get_profile(self, field_name: str) -> _Handler:
        async def handler(p: _Params) -> JSONDict:
            language = p.opt_str("language_code") or ""
            value = self.bot_profile.get((field_name, language))
            if value is None:
                value = self.bot_profile.get((field_name, ""), "")
            if field_name == "name" and not value:
                value = self.bot_first_name
            return {field_name: value}

        return handler

    # -----------------------------------------------------------------------------------
    # Bot API methods: messages
    # -----------------------------------------------------------------------------------

    async def _api_send_message(self, p: _Params) -> JSONDict:
        chat = self._target_chat(p)
        raw = p.opt_str("text") or ""
        parse_mode = p.opt_str("parse_mode")
        text, entities = self._format(raw, parse_mode, p.opt_json("entities"))
        if not text:
            raise _bad_request("message text is empty")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        markup_type, rows = self._parse_markup(p.opt_json("reply_markup"))
        reply_to = self._reply_target(chat, p)
        msg = SentMessage(
            chat_id=chat.id,
            message_id=self._new_message_id(chat.id),
            kind="message",
            text=text,
            html=raw,
            parse_mode=parse_mode,
            reply_markup=rows,
            date=int(time.time()),
            entities=entities,
            reply_markup_type=markup_type,
            reply_to_message_id=reply_to,
        )
        self._record_sent(msg)
        return self._sent_dict(msg)

    async def _api_send_document(self, p: _Params) -> JSONDict:
        return await self._send_media(p, "document")

    async def _api_send_photo(self, p: _Params) -> JSONDict:
        return await self._send_media(p, "photo")

    async def _send_media(self, p: _Params, media_type: str) -> JSONDict:
        chat = self._target_chat(p)
        stored = self._input_file(p, media_type, p.values.get(media_type))
        raw = p.opt_str("caption") or ""
        parse_mode = p.opt_str("parse_mode")
        caption, entities = self._format(raw, parse_mode, p.opt_json("caption_entities"))
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        markup_type, rows = self._parse_markup(p.opt_json("reply_markup"))
        reply_to = self._reply_target(chat, p)
        msg = SentMessage(
            chat_id=chat.id,
            message_id=self._new_message_id(chat.id),
            kind=media_type,
            text=caption,
            html=raw if raw else None,
            parse_mode=parse_mode,
            reply_markup=rows,
            date=int(time.time()),
            entities=entities,
            reply_markup_type=markup_type,
            reply_to_message_id=reply_to,
            media_type=media_type,
            file_id=stored.file_id,
        )
        self._attach_media(msg, stored)
        self._record_sent(msg)
        return self._sent_dict(msg)

    async def _api_send_media_group(self, p: _Params) -> list[JSONDict]:
        chat = self._target_chat(p)
        media = p.opt_json("media")
        if not isinstance(media, list) or not all(isinstance(m, dict) for m in media):
            raise _bad_request("can't parse media JSON object")
        if not 2 <= len(media) <= 10:
            raise _bad_request("wrong number of media: must include 2-10 items")
        types = {str(m.get("type")) for m in media}
        if not types <= {"photo", "video", "document", "audio"}:
            raise _bad_request(f"unsupported media type in {sorted(types)}")
        if len(types) > 1 and types & {"document", "audio"}:
            mixed = sorted(types & {"document", "audio"})[0]
            raise _bad_request(f"{mixed} can't be mixed with other media types")
        reply_to = self._reply_target(chat, p)
        prepared: list[tuple[JSONDict, StoredFile, str, str, list[JSONDict]]] = []
        for item in media:
            stored = self._input_file(p, "media", item.get("media"), kind=str(item["type"]))
            raw = str(item.get("caption") or "")
            caption, entities = self._format(
                raw, item.get("parse_mode"), item.get("caption_entities")
            )
            if utf16_len(caption) > MAX_CAPTION_LENGTH:
                raise _bad_request("message caption is too long")
            prepared.append((item, stored, raw, caption, entities))
        self._media_group_counter += 1
        group_id = str(13_000_000_000_000_000 + self._media_group_counter)
        result: list[JSONDict] = []
        for item, stored, raw, caption, entities in prepared:
            msg = SentMessage(
                chat_id=chat.id,
                message_id=self._new_message_id(chat.id),
                kind="media_group_item",
                text=caption,
                html=raw if raw else None,
                parse_mode=item.get("parse_mode"),
                reply_markup=None,
                date=int(time.time()),
                entities=entities,
                reply_to_message_id=reply_to,
                media_group_id=group_id,
                media_type=str(item["type"]),
                file_id=stored.file_id,
            )
            self._attach_media(msg, stored)
            self._record_sent(msg)
            result.append(self._sent_dict(msg))
        return result

    async def _api_edit_message_text(self, p: _Params) -> JSONDict:
        chat, msg = self._message_to_edit(p)
        if msg.kind != "message":
            raise _bad_request("there is no text in the message to edit")
        raw = p.opt_str("text") or ""
        parse_mode = p.opt_str("parse_mode")
        text, entities = self._format(raw, parse_mode, p.opt_json("entities"))
        if not text:
            raise _bad_request("message text is empty")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        markup_type, rows = self._parse_markup(p.opt_json("reply_markup"), inline_only=True)
        self._apply_edit(msg, text, raw, parse_mode, entities, markup_type, rows)
        return self._sent_dict(msg)

    async def _api_edit_message_caption(self, p: _Params) -> JSONDict:
        chat, msg = self._message_to_edit(p)
        if msg.kind == "message":
            raise _bad_request("there is no caption in the message to edit")
        raw = p.opt_str("caption") or ""
        parse_mode = p.opt_str("parse_mode")
        caption, entities = self._format(raw, parse_mode, p.opt_json("caption_entities"))
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        markup_type, rows = self._parse_markup(p.opt_json("reply_markup"), inline_only=True)
        self._apply_edit(msg, caption, raw or None, parse_mode, entities, markup_type, rows)
        return self._sent_dict(msg)

    async def _api_edit_message_reply_markup(self, p: _Params) -> JSONDict:
        chat, msg = self._message_to_edit(p)
        markup_type, rows = self._parse_markup(p.opt_json("reply_markup"), inline_only=True)
        self._apply_edit(msg, msg.text, msg.html, msg.parse_mode, msg.entities, markup_type, rows)
        return self._sent_dict(msg)

    def _message_to_edit(self, p: _Params) -> tuple[EmuChat, SentMessage]:
        if p.has("inline_message_id"):
            raise _bad_request("MESSAGE_ID_INVALID (inline messages are not emulated)")
        chat = self._target_chat(p)
        message_id = p.req_int("message_id")
        msg = self._sent_index.get((chat.id, message_id))
        if msg is None or msg.deleted:
            if (chat.id, message_id) in self._user_messages and (
                (chat.id, message_id) not in self._deleted_user_messages
            ):
                raise _bad_request("message can't be edited")
            raise _bad_request("message to edit not found")
        return chat, msg

    def _apply_edit(
        self,
        msg: SentMessage,
        text: str,
        raw: str | None,
        parse_mode: str | None,
        entities: list[JSONDict],
        markup_type: str | None,
        rows: list[list[JSONDict]] | None,
    ) -> None:
        current_rows = msg.reply_markup if msg.is_inline_keyboard else None
        if text == msg.text and entities == msg.entities and rows == current_rows:
            raise _bad_request(_NOT_MODIFIED.removeprefix("Bad Request: "))
        msg.edits.append(msg.text)
        msg.text = text
        msg.html = raw
        msg.parse_mode = parse_mode
        msg.entities = entities
        if msg.is_inline_keyboard or rows is not None or markup_type is not None:
            msg.reply_markup = rows
            msg.reply_markup_type = markup_type
        msg.edit_date = int(time.time())
        self.transcript.append(
            TranscriptEntry(
                kind="bot",
                chat_id=msg.chat_id,
                text=msg.text,
                buttons=msg.button_texts,
                edited=True,
                message_kind=msg.media_type or "message",
                message_id=msg.message_id,
                file_name=msg.document.filename if msg.document else None,
            )
        )

    async def _api_delete_message(self, p: _Params) -> bool:
        chat = self._existing_chat(p)
        message_id = p.req_int("message_id")
        key = (chat.id, message_id)
        msg = self._sent_index.get(key)
        if msg is not None and not msg.deleted:
            msg.deleted = True
            msg.pinned = False
            self._unpin(chat.id, message_id)
            return True
        if key in self._user_messages and key not in self._deleted_user_messages:
            self._deleted_user_messages.add(key)
            self._unpin(chat.id, message_id)
            return True
        raise _bad_request("message to delete not found")

    async def _api_answer_callback_query(self, p: _Params) -> bool:
        query_id = p.req_str("callback_query_id")
        query = self._callback_queries.get(query_id)
        if query is None or query.answered:
            raise _bad_request(_QUERY_INVALID.removeprefix("Bad Request: "))
        text = p.opt_str("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        self.answered_callbacks.append(
            {
                "callback_query_id": query_id,
                "text": text,
                "show_alert": p.opt_bool("show_alert"),
                "url": p.opt_str("url"),
                "cache_time": p.opt_int("cache_time"),
                "data": query.data,
                "user_id": query.user_id,
                "chat_id": query.chat_id,
                "message_id": query.message_id,
            }
        )
        return True

    async def _api_pin_chat_message(self, p: _Params) -> bool:
        chat = self._target_chat(p)
        message_id = p.req_int("message_id")
        key = (chat.id, message_id)
        msg = self._sent_index.get(key)
        exists = (msg is not None and not msg.deleted) or (
            key in self._user_messages and key not in self._deleted_user_messages
        )
        if not exists:
            raise _bad_request("message to pin not found")
        if msg is not None:
            msg.pinned = True
        pinned = self._pinned.setdefault(chat.id, [])
        if message_id in pinned:
            pinned.remove(message_id)
        pinned.append(message_id)
        return True

    async def _api_unpin_chat_message(self, p: _Params) -> bool:
        chat = self._target_chat(p)
        message_id = p.opt_int("message_id")
        pinned = self._pinned.get(chat.id, [])
        if message_id is None:
            if not pinned:
                return True
            message_id = pinned[-1]
        self._unpin(chat.id, message_id)
        return True

    async def _api_unpin_all_chat_messages(self, p: _Params) -> bool:
        chat = self._target_chat(p)
        for message_id in list(self._pinned.get(chat.id, [])):
            self._unpin(chat.id, message_id)
        return True

    def _unpin(self, chat_id: int, message_id: int) -> None:
        pinned = self._pinned.get(chat_id, [])
        if message_id in pinned:
            pinned.remove(message_id)
        msg = self._sent_index.get((chat_id, message_id))
        if msg is not None:
            msg.pinned = False

    async def _api_send_chat_action(self, p: _Params) -> bool:
        self._target_chat(p)
        p.req_str("action")
        return True

    # -----------------------------------------------------------------------------------
    # Bot API methods: chats, members, files
    # -----------------------------------------------------------------------------------

    async def _api_get_chat(self, p: _Params) -> JSONDict:
        chat = self._existing_chat(p)
        info: JSONDict = {
            **chat.to_dict(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        pinned = self._pinned.get(chat.id)
        if pinned:
            pinned_dict = self._any_message_dict(chat.id, pinned[-1])
            if pinned_dict is not None:
                info["pinned_message"] = pinned_dict
        return info

    async def _api_get_chat_member(self, p: _Params) -> JSONDict:
        chat = self._existing_chat(p)
        user_id = p.req_int("user_id")
        if user_id != self.bot_id and user_id not in self.users:
            raise _bad_request("user not found")
        return self._member_dict(chat.id, user_id, self._member_status(chat.id, user_id))

    async def _api_get_chat_administrators(self, p: _Params) -> list[JSONDict]:
        chat = self._existing_chat(p)
        if chat.type == "private":
            raise _bad_request("there are no administrators in the private chat")
        admins = [self._member_dict(chat.id, self.bot_id, "administrator")]
        for (chat_id, who), status in self._members.items():
            if chat_id == chat.id and who != self.bot_id and status in ("creator", "administrator"):
                admins.append(self._member_dict(chat.id, who, status))
        return admins

    async def _api_get_chat_member_count(self, p: _Params) -> int:
        chat = self._existing_chat(p)
        if chat.type == "private":
            return 2
        return sum(
            1
            for (chat_id, _), status in self._members.items()
            if chat_id == chat.id and status in _PRESENT_STATUSES
        )

    async def _api_get_file(self, p: _Params) -> JSONDict:
        file_id = p.req_str("file_id")
        stored = self.files.get(file_id)
        if stored is None:
            raise _bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    # -----------------------------------------------------------------------------------
    # Helpers: chats and members
    # -----------------------------------------------------------------------------------

    def _chat_id_of(self, chat: int | EmuChat | EmuUser) -> int:
        return chat.id if isinstance(chat, EmuChat | EmuUser) else int(chat)

    def _parse_chat_id(self, p: _Params) -> int:
        value = p.values.get("chat_id")
        if value is None or value == "":
            raise _bad_request("chat_id is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.startswith("@"):
            wanted = value[1:].lower()
            for chat in self.chats.values():
                if chat.type != "private" and (chat.username or "").lower() == wanted:
                    return chat.id
            raise _bad_request("chat not found")
        raise _bad_request("chat not found")

    def _existing_chat(self, p: _Params) -> EmuChat:
        """A chat the bot can see (no sending permission checks)."""
        chat = self.chats.get(self._parse_chat_id(p))
        if chat is None:
            raise _bad_request("chat not found")
        if chat.type == "private" and chat.id not in self._started_users:
            raise _bad_request("chat not found")
        if chat.type != "private" and self._member_status(chat.id, self.bot_id) not in (
            _PRESENT_STATUSES
        ):
            raise _bad_request("chat not found")
        return chat

    def _target_chat(self, p: _Params) -> EmuChat:
        """The chat the bot wants to write to, with Telegram's permission checks."""
        chat = self.chats.get(self._parse_chat_id(p))
        if chat is None:
            raise _bad_request("chat not found")
        if chat.type == "private":
            if chat.id in self._blocked:
                raise _forbidden("bot was blocked by the user")
            if chat.id not in self._started_users:
                raise _forbidden("bot can't initiate conversation with a user")
        else:
            status = self._member_status(chat.id, self.bot_id)
            if status == "kicked":
                raise _forbidden(f"bot was kicked from the {chat.type} chat")
            if status not in _PRESENT_STATUSES:
                raise _forbidden(f"bot is not a member of the {chat.type} chat")
        return chat

    def _group_chat(self, chat: EmuChat | int) -> EmuChat:
        chat_id = chat.id if isinstance(chat, EmuChat) else int(chat)
        found = self.chats.get(chat_id)
        if found is None or found.type == "private":
            raise ValueError(f"unknown group {chat_id}; create it with emu.group()")
        return found

    def _ensure_group(self, chat: EmuChat | int) -> EmuChat:
        if isinstance(chat, EmuChat) and chat.id not in self.chats:
            return self.group(chat.id, chat.title or str(chat.id))
        return self._group_chat(chat)

    def _member_status(self, chat_id: int, who: int) -> str:
        status = self._members.get((chat_id, who))
        if status is not None:
            return status
        chat = self.chats.get(chat_id)
        if chat is not None and chat.type == "private":
            if who == chat_id:
                return "member"
            if who == self.bot_id:
                return "kicked" if chat_id in self._blocked else "member"
        return "left"

    def _member_dict(self, chat_id: int, who: int, status: str) -> JSONDict:
        user = self._bot_user_dict() if who == self.bot_id else self.users[who].to_dict()
        if status == "creator":
            return {"status": "creator", "user": user, "is_anonymous": False}
        if status == "administrator":
            is_bot = who == self.bot_id
            return {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": not is_bot,
                "can_restrict_members": True,
                "can_promote_members": not is_bot,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_pin_messages": True,
            }
        if status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        return {"status": status, "user": user}

    def _private_member_update(self, user: EmuUser, old: str, new: str) -> JSONDict:
        bot = self._bot_user_dict()
        old_member: JSONDict = {"status": old, "user": bot}
        new_member: JSONDict = {"status": new, "user": bot}
        for member in (old_member, new_member):
            if member["status"] == "kicked":
                member["until_date"] = 0
        return {
            "chat": self.chats[user.id].to_dict(),
            "from": user.to_dict(),
            "date": int(time.time()),
            "old_chat_member": old_member,
            "new_chat_member": new_member,
        }

    def _known_user(self, user: EmuUser) -> None:
        if user.id not in self.users:
            self.user(
                user.id,
                user.first_name,
                last_name=user.last_name,
                username=user.username,
                language_code=user.language_code,
            )
        else:
            self.users[user.id] = user

    def _chat_for_user_action(self, user: EmuUser, chat_id: int | EmuChat | EmuUser) -> EmuChat:
        self._known_user(user)
        cid = self._chat_id_of(chat_id)
        chat = self.chats.get(cid)
        if chat is None:
            raise ValueError(f"unknown chat {cid}; create groups with emu.group()")
        if cid in self._migrated_to:
            raise ValueError(
                f"group {cid} was upgraded to supergroup {self._migrated_to[cid]}; act there"
            )
        if chat.type == "private" and chat.id != user.id:
            raise ValueError(
                f"user {user.id} can't write in the private chat of user {chat.id} with the bot"
            )
        return chat

    def _touch_user_in_chat(self, user: EmuUser, chat: EmuChat, unblock: bool = True) -> None:
        if chat.type == "private":
            if unblock and user.id in self._blocked:
                # Writing to a blocked bot means restarting it first.
                self.unblock(user)
            self._started_users.add(user.id)
        elif self._members.get((chat.id, user.id)) not in _PRESENT_STATUSES:
            self._members[(chat.id, user.id)] = "member"

    def _visible_to_bot(self, chat: EmuChat, text: str, reply_msg: JSONDict | None) -> bool:
        if chat.type == "private":
            return True
        bot_status = self._member_status(chat.id, self.bot_id)
        if bot_status not in _PRESENT_STATUSES:
            return False
        if not self.privacy_mode or bot_status in ("administrator", "creator"):
            return True  # the bot sees every message
        match = _COMMAND_RE.match(text)
        if match is not None:
            # /cmd@somebot only reaches the addressed bot; a bare /cmd reaches every bot.
            addressee = match.group(3)
            return addressee is None or addressee.lower() == self.bot_username.lower()
        if reply_msg is not None and reply_msg.get("from", {}).get("id") == self.bot_id:
            return True
        return False

    def _chat_instance(self, chat_id: int) -> str:
        return str((abs(chat_id) * 1_000_003 + self.bot_id) % (2**63))

    # -----------------------------------------------------------------------------------
    # Helpers: messages
    # -----------------------------------------------------------------------------------

    def _bot_user_dict(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _new_user_message(self, user: EmuUser, chat: EmuChat) -> JSONDict:
        message: JSONDict = {
            "message_id": self._new_message_id(chat.id),
            "date": int(time.time()),
            "chat": chat.to_dict(),
            "from": user.to_dict(),
        }
        self._user_messages[(chat.id, message["message_id"])] = message
        return message

    @staticmethod
    def _command_entity(text: str) -> JSONDict | None:
        match = _COMMAND_RE.match(text)
        if match is None:
            return None
        return {"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}

    def _resolve_reply(self, chat: EmuChat, reply_to: int | SentMessage | None) -> JSONDict | None:
        if reply_to is None:
            return None
        message_id = reply_to.message_id if isinstance(reply_to, SentMessage) else reply_to
        found = self._any_message_dict(chat.id, message_id)
        if found is None:
            raise ValueError(f"no message {message_id} in chat {chat.id} to reply to")
        return found

    def _any_message_dict(self, chat_id: int, message_id: int) -> JSONDict | None:
        msg = self._sent_index.get((chat_id, message_id))
        if msg is not None:
            return None if msg.deleted else self._sent_dict(msg, with_reply=False)
        key = (chat_id, message_id)
        if key in self._user_messages and key not in self._deleted_user_messages:
            message = dict(self._user_messages[key])
            message.pop("reply_to_message", None)
            return message
        return None

    def _reply_target(self, chat: EmuChat, p: _Params) -> int | None:
        parameters = p.opt_json("reply_parameters")
        allow_missing = p.opt_bool("allow_sending_without_reply")
        message_id: int | None
        if isinstance(parameters, dict) and parameters.get("message_id") is not None:
            message_id = int(parameters["message_id"])
            allow_missing = bool(parameters.get("allow_sending_without_reply", allow_missing))
            if parameters.get("chat_id") not in (None, chat.id):
                raise _bad_request("replying to messages in other chats is not emulated")
        else:
            message_id = p.opt_int("reply_to_message_id")
        if message_id is None:
            return None
        if self._any_message_dict(chat.id, message_id) is None:
            if allow_missing:
                return None
            raise _bad_request("message to be replied not found")
        return message_id

    def _format(self, raw: str, parse_mode: Any, entities: Any) -> tuple[str, list[JSONDict]]:
        mode = str(parse_mode or "").strip()
        if mode.lower() == "html":
            try:
                text, parsed = parse_html_entities(raw, strict=self.strict_html)
            except TelegramHtmlError as exc:
                message = exc.description
                prefix = "Can't parse entities: "
                if message.startswith(prefix):
                    message = message[len(prefix) :]
                raise _bad_request(f"can't parse entities: {message}") from None
        elif mode == "":
            text = raw
            parsed = [dict(e) for e in entities] if isinstance(entities, list) else []
        elif mode.lower() in ("markdown", "markdownv2"):
            # Not validated by the emulator: kept verbatim, without entities.
            text, parsed = raw, []
        else:
            raise _bad_request(f"unsupported parse_mode {mode!r}")
        return _strip_with_entities(text, parsed)

    def _parse_markup(
        self, markup: Any, *, inline_only: bool = False
    ) -> tuple[str | None, list[list[JSONDict]] | None]:
        if markup is None:
            return None, None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request("can't parse inline keyboard markup JSON object")
            normalized: list[list[JSONDict]] = []
            for row in rows:
                new_row: list[JSONDict] = []
                for button in row:
                    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                        raise _bad_request("can't parse inline keyboard button")
                    self._check_inline_button(button)
                    new_row.append(dict(button))
                normalized.append(new_row)
            return "inline_keyboard", normalized
        if inline_only:
            raise _bad_request("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request("can't parse keyboard markup JSON object")
            keyboard = [
                [b if isinstance(b, dict) else {"text": str(b)} for b in row] for row in rows
            ]
            return "keyboard", keyboard
        if markup.get("remove_keyboard"):
            return "remove_keyboard", None
        if markup.get("force_reply"):
            return "force_reply", None
        raise _bad_request("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _check_inline_button(button: JSONDict) -> None:
        if "callback_data" in button:
            data = button["callback_data"]
            size = len(str(data).encode("utf-8")) if data is not None else 0
            if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")
            return
        if "url" in button:
            url = str(button["url"])
            parts = urlsplit(url)
            ok = parts.scheme in ("http", "https") and bool(parts.netloc)
            ok = ok or (parts.scheme == "tg" and bool(parts.netloc or parts.path))
            if not ok:
                raise _bad_request(f"inline keyboard button URL '{url}' is invalid")
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
            raise _bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the "
                "inline keyboard"
            )

    def _record_sent(self, msg: SentMessage) -> None:
        self.sent.append(msg)
        self._sent_index[(msg.chat_id, msg.message_id)] = msg
        self.transcript.append(
            TranscriptEntry(
                kind="bot",
                chat_id=msg.chat_id,
                text=msg.text,
                buttons=msg.button_texts,
                message_kind=msg.media_type or "message",
                message_id=msg.message_id,
                file_name=msg.document.filename if msg.document else None,
            )
        )

    def _add_transcript_user(
        self, user: EmuUser, chat_id: int, text: str, message_id: int | None = None
    ) -> None:
        self.transcript.append(
            TranscriptEntry(
                kind="user", chat_id=chat_id, text=text, user=user, message_id=message_id
            )
        )

    def _sent_dict(self, msg: SentMessage, *, with_reply: bool = True) -> JSONDict:
        data: JSONDict = {
            "message_id": msg.message_id,
            "date": msg.date,
            "chat": self.chats[msg.chat_id].to_dict(),
            "from": self._bot_user_dict(),
        }
        if msg.edit_date is not None:
            data["edit_date"] = msg.edit_date
        if msg.kind == "message":
            data["text"] = msg.text
            if msg.entities:
                data["entities"] = msg.entities
        else:
            stored = self.files.get(msg.file_id or "")
            if stored is not None:
                if msg.media_type == "photo":
                    data["photo"] = self._photo_sizes(stored)
                elif msg.media_type == "video":
                    width, height = _image_size(stored.data)
                    data["video"] = {
                        **self._document_dict(stored),
                        "width": width,
                        "height": height,
                        "duration": 0,
                    }
                elif msg.media_type == "audio":
                    data["audio"] = {**self._document_dict(stored), "duration": 0}
                else:
                    data["document"] = self._document_dict(stored)
            if msg.text:
                data["caption"] = msg.text
                if msg.entities:
                    data["caption_entities"] = msg.entities
        if msg.media_group_id:
            data["media_group_id"] = msg.media_group_id
        if with_reply and msg.reply_to_message_id is not None:
            reply = self._any_message_dict(msg.chat_id, msg.reply_to_message_id)
            if reply is not None:
                data["reply_to_message"] = reply
        if msg.is_inline_keyboard and msg.reply_markup:
            data["reply_markup"] = {"inline_keyboard": msg.reply_markup}
        return data

    # -----------------------------------------------------------------------------------
    # Helpers: files
    # -----------------------------------------------------------------------------------

    def _store_file(
        self, data: bytes, file_name: str | None, mime_type: str | None, kind: str
    ) -> StoredFile:
        self._file_counter += 1
        n = self._file_counter
        prefix = {"photos": "AgAC", "documents": "BQAC", "videos": "BAAC", "music": "CQAC"}
        suffix = PurePosixPath(file_name or "").suffix
        if not suffix and mime_type:
            suffix = mimetypes.guess_extension(mime_type) or ""
        if kind == "photos":
            suffix = ".jpg" if data[:2] == b"\xff\xd8" else (suffix or ".jpg")
        stored = StoredFile(
            file_id=f"{prefix.get(kind, 'BQAC')}{self.bot_id}-{n:06d}",
            file_unique_id=f"AQAD{n:06d}",
            file_path=f"{kind}/file_{n}{suffix}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _input_file(self, p: _Params, name: str, value: Any, kind: str | None = None) -> StoredFile:
        """Resolve an InputFile parameter: an upload, ``attach://x``, a file_id or a URL."""
        kind = kind or name
        folder = {"photo": "photos", "video": "videos", "audio": "music"}.get(kind, "documents")
        upload = p.files.get(name) if name != "media" else None
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = p.files.get(value[len("attach://") :])
            if upload is None:
                raise _bad_request(f"can't find attached file {value[len('attach://') :]!r}")
        if upload is not None:
            mime = upload.content_type or mimetypes.guess_type(upload.filename)[0]
            return self._store_file(upload.data, upload.filename, mime, folder)
        if isinstance(value, str) and value:
            known = self.files.get(value)
            if known is not None:
                return known
            if value.startswith(("http://", "https://")):
                file_name = PurePosixPath(urlsplit(value).path).name or None
                mime = mimetypes.guess_type(file_name or "")[0]
                return self._store_file(b"", file_name, mime, folder)
            raise _bad_request("wrong file identifier/HTTP URL specified")
        raise _bad_request(f"there is no {kind} in the request")

    def _attach_media(self, msg: SentMessage, stored: StoredFile) -> None:
        if msg.media_type == "photo":
            msg.photo = stored.data
        else:
            msg.document = EmuDocument(
                filename=stored.file_name or PurePosixPath(stored.file_path).name,
                data=stored.data,
                mime_type=stored.mime_type or "application/octet-stream",
            )

    @staticmethod
    def _document_dict(stored: StoredFile) -> JSONDict:
        data: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            data["file_name"] = stored.file_name
        if stored.mime_type:
            data["mime_type"] = stored.mime_type
        return data

    @staticmethod
    def _photo_sizes(stored: StoredFile) -> list[JSONDict]:
        width, height = _image_size(stored.data)
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": width,
                "height": height,
                "file_size": len(stored.data),
            }
        ]
