"""The baseline: a bare python-telegram-bot echo bot, ``python -m bench.load.echo_bot``.

The same library, networking (``HTTPXRequest``, long polling with the bot's 10 s timeout) and
concurrency as the real bot, and nothing else: no database, no templates. Eight updates at
once, as the bot's effects worker sends eight messages at once: with python-telegram-bot's
default (256) a burst of 200 would open 200 connections, and httpx closes idle ones after 5 s,
so each wave would pay 200 TCP connections that the bot never pays. TELEGRAM_BOT_TOKEN and
TELEGRAM_API_BASE_URL from the environment.
"""

from __future__ import annotations

import logging
import os

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text is not None:
        await message.reply_text(message.text)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    app = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .concurrent_updates(8)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(poll_interval=0, timeout=10)


if __name__ == "__main__":
    main()
