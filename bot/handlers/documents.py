"""/documents YEAR (thin: bot/services/documents.py decides; the files are made after the
commit, in the worker process, by bot/services/compositions.py)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from bot.handlers import Handler
from bot.handlers.replying import gated
from bot.services import documents as service
from bot.services.context import Context
from bot.services.screens import Outcome


@gated
async def documents_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await service.command(session, ctx, list(context.args or []))


def handlers() -> list[Handler]:
    return [CommandHandler("documents", documents_command)]


__all__ = ["handlers"]
