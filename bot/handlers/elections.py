"""/election, /vote, /minutes, the ballot buttons (thin: bot/services/elections.py decides).
The election job (openings and closings by time, the handover) is bot/jobs/elections.py."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot.domain.callback_data import BALLOT_PATTERN, ELECTION
from bot.handlers import Handler
from bot.handlers.replying import adapter, gated, is_private, settings_of
from bot.services import awards
from bot.services import elections as service
from bot.services.context import Context
from bot.services.screens import Outcome

# --------------------------------------------------------------------------------------------
# Commands and buttons


@gated
async def election_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await service.command(
        session, ctx, list(context.args or []), settings_of(context).language
    )


@adapter
async def manage_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    query = update.callback_query
    assert query is not None
    return await service.manage(
        session, ctx, query.data, settings_of(context).language, context.bot.username
    )


@gated
async def vote_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await awards.vote(session, ctx, is_private(update))  # an award vote, or the election


@adapter
async def ballot_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    query = update.callback_query
    assert query is not None
    return await service.press_ballot(session, ctx, query.data, is_private(update))


@gated
async def minutes_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await service.minutes(session, ctx)


def handlers() -> list[Handler]:
    return [
        CommandHandler("election", election_command),
        CommandHandler("vote", vote_command),
        CommandHandler("minutes", minutes_command),
        CallbackQueryHandler(ballot_button, pattern=BALLOT_PATTERN),
        CallbackQueryHandler(manage_button, pattern=ELECTION.pattern),
    ]
