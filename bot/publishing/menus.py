"""The command menus (setMyCommands): a short one for strangers, and one per user by role."""

from __future__ import annotations

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import Application

from bot.clock import clock_of
from bot.domain.roles import allowed_commands
from bot.services.context import load_context
from bot.settings import Settings
from messages.render import LANGUAGES, render


async def set_user_menu(app: Application, user_id: int) -> None:
    """The command menu of this user's private chat lists what their role allows.

    Call it after the change (binding, language, handover) is committed: it reads the database.
    """
    settings: Settings = app.bot_data["settings"]
    now = clock_of(app.bot_data)()
    async with app.bot_data["db"].session() as session:
        ctx = await load_context(session, user_id, None, settings.language, settings.tz, now)
    commands = [
        BotCommand(action.value, render(ctx.lang, f"commands.{action.value}"))
        for action in allowed_commands(ctx.actor)
    ]
    try:
        await app.bot.set_my_commands(commands, scope=BotCommandScopeChat(user_id))
    except TelegramError:
        pass  # the menu is a convenience; /help always answers


async def set_default_menu(app: Application) -> None:
    """For people the bot does not know yet: only /start and /help."""
    for lang in LANGUAGES:
        commands = [BotCommand(c, render(lang, f"commands.{c}")) for c in ("start", "help")]
        await app.bot.set_my_commands(commands, language_code=None if lang == "vi" else lang)
