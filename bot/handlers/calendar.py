"""/calendar: the cluster's open and coming rounds, deadlines and reminder dates."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from bot.domain.reminders import upcoming_rounds
from bot.handlers import Handler
from bot.handlers.onboarding import group_gate
from bot.handlers.replying import adapter
from bot.services.context import Context
from bot.services.screens import Outcome
from storage import rounds, schedules

SPECIAL_DAYS_AHEAD = 60


async def calendar_screen(session: AsyncSession, ctx: Context) -> Outcome:
    assert ctx.cluster is not None
    spec = await schedules.load_schedule(session, ctx.cluster.id)
    tz = spec.tz(ctx.tz)
    open_now = await rounds.list_open_rounds(session, ctx.cluster.id)
    existing = {r.period for r in await rounds.list_rounds(session, ctx.cluster.id)}
    entries = upcoming_rounds(
        spec,
        ctx.now,
        tz,
        [
            (r.period, r.deadline, r.opened_at if r.opened_at <= ctx.now else None, False)
            for r in open_now
        ],
        existing=existing,
    )
    today = ctx.now.astimezone(tz).date()
    special = spec.calendar().non_working_days(
        today, today + timedelta(days=SPECIAL_DAYS_AHEAD), ctx.lang
    )
    return Outcome().add(
        "reminders.calendar",
        cluster=ctx.cluster,
        entries=entries,
        special_days=special,
        send_at=spec.send_at.strftime("%H:%M"),
    )


@adapter
async def calendar(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    if (gate := await group_gate(session, update, ctx)) is not None:
        return gate
    if ctx.cluster is None or ctx.actor is None:
        return Outcome().add("common.not_allowed")
    return await calendar_screen(session, ctx)


def handlers() -> list[Handler]:
    return [CommandHandler("calendar", calendar)]
