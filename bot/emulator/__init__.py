"""An in-process emulator of the Telegram Bot API, for the demo, the tests and the benches.

:class:`BotApiEmulator` is an aiohttp web server that speaks the Bot API over HTTP, so the real
bot (python-telegram-bot with its normal ``HTTPXRequest`` networking) can run against it
without any network access. Tests and the demo act as users: they send texts, press
buttons, upload documents and then read back what the bot sent.

Usage::

    from bot.emulator import BotApiEmulator

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

The emulator's public face, all on a :class:`BotApiEmulator` ``emu``:

- Running it: ``BotApiEmulator(token, bot_username, bot_first_name, *, privacy_mode,
  strict_html, host, port, enforce_limits)``, ``await emu.start()`` / ``await emu.stop()``
  (or ``async with``), ``token``, ``bot_id``, ``bot_username``, ``base_url``,
  ``base_file_url``.
- The world: ``user(...)`` and ``group(...)`` create users (with their private chats) and
  groups; ``users``, ``chats``; ``set_member_status``, ``member_status``; ``block``,
  ``unblock``, ``is_blocked``; ``migrate_to_supergroup``, ``migrated_to``.
- Acting as users: ``send_text``, ``send_document``, ``press`` (an inline button's data),
  ``press_button`` (by label), ``add_bot_to_group``, ``remove_bot_from_group``; each returns
  the update id (None when privacy mode hides a message from the bot).
- Waiting for the bot: ``wait_fetched(update_id)``, ``wait_until(predicate)``;
  ``pending_updates``, ``last_update_id``, ``fetched_update_id``.
- Reading what the bot did: ``messages(chat)``, ``last(chat)`` and ``sent`` (each a
  :class:`SentMessage`), ``pinned_message_ids``, ``answered_callbacks``, ``files``,
  ``get_commands``, ``calls`` and ``calls_to(method)`` (each an :class:`ApiCall`),
  ``transcript`` (:class:`TranscriptEntry`) and ``format_transcript()``.
- Telegram's flood limits: ``enforce_limits``, ``limit_overall``,
  ``limit_per_chat_interval``, ``limit_group_per_minute``, ``limit_clock``, ``limit_429s``,
  and the hook ``_check_limits`` tests may override.
- Faults: ``inject(...)`` and ``faults`` (a :class:`Faults`).
- Webhook mode (:mod:`bot.emulator.webhook`): after the bot's ``setWebhook`` the updates are
  POSTed to its URL with the secret header; ``webhook_forward_to`` (the reverse proxy: an
  ``http://host:port`` origin for the URL's path), ``webhook_answers``, ``redeliver``,
  ``post_to_webhook``, ``webhook_secret``, ``webhook_allowed_updates``.

:class:`~bot.emulator.harness.Harness` (``from bot.emulator.harness import Harness``, not
imported here: it loads the whole bot) runs the real application against an emulator.

The package, bottom to top (a module imports only modules listed before it):
``model`` (data classes, :class:`ApiError`), ``params`` (request decoding),
``telegram_html`` (Telegram's HTML), ``markup`` (parse modes, entities, reply markup),
``faults`` (the fault plan); then the emulator's parts, each a class the next builds on: ``world`` (the
bot, users, chats, transcript), ``limits`` (flood limits), ``updates`` (update queue,
getUpdates, the webhook setting), ``webhook`` (updates posted to the bot's webhook), ``files`` (uploads, getFile, downloads), ``messages`` (the message
store), ``chats`` (members, permissions, migration, chat methods), ``message_methods``
(send, edit, delete, pin), ``bot_profile`` (getMe, commands, menu button, names),
``users`` (acting as users); and ``server`` on top (:class:`BotApiEmulator`: HTTP, method
table, faults on the wire).
"""

from bot.emulator.chats import GROUP_ANONYMOUS_BOT_ID
from bot.emulator.faults import FAULT_KINDS, Faults
from bot.emulator.model import (
    ApiCall,
    ApiError,
    EmuChat,
    EmuDocument,
    EmuUser,
    SentMessage,
    StoredFile,
    TranscriptEntry,
)
from bot.emulator.server import BotApiEmulator

__all__ = [
    "FAULT_KINDS",
    "GROUP_ANONYMOUS_BOT_ID",
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
