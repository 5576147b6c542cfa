"""/score and /ranking (thin: bot/services/scorechat.py decides)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from bot.handlers import Handler
from bot.handlers.replying import gated
from bot.services import scorechat as service
from bot.services.context import Context
from bot.services.screens import Outcome


@gated
async def ranking_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await service.ranking(session, ctx, list(context.args or []))


@gated
async def score_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    args = list(context.args or [])
    if args and args[0].lower() in ("open", "mo"):
        return await service.open_year(session, ctx, args[1:])
    return Outcome().add("score.open_usage")


def handlers() -> list[Handler]:
    return [
        CommandHandler("ranking", ranking_command),
        CommandHandler("score", score_command),
    ]
