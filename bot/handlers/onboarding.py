"""/start with an invite code, /help, /whoami, /language, /link; strangers and foreign groups."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.handlers import Handler
from bot.handlers.replying import (
    adapter,
    gated,
    group_gate,
    is_private,
    now_of,
    settings_of,
)
from bot.services import onboarding, reporting
from bot.services.context import Context, load_context
from bot.services.screens import Outcome
from messages.render import LANGUAGES
from storage import clusters


@adapter
async def start(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    if not is_private(update):
        return await group_gate(session, update, ctx) or onboarding.help_screen(ctx)
    payload = (context.args or [""])[0]
    if payload == "report" and ctx.actor is not None:
        return await reporting.start(session, ctx)
    if payload and payload != "report":
        user = update.effective_user
        assert user is not None
        return await onboarding.redeem(session, ctx, payload, user.full_name, user.username)
    if ctx.actor is None:
        return Outcome().add("onboarding.stranger")
    return onboarding.help_screen(ctx)


@gated
async def help_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    outcome = onboarding.help_screen(ctx)
    outcome.refresh_menu = is_private(update)
    return outcome


@gated
async def whoami(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    return await onboarding.whoami(session, ctx)


@gated
async def language(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    choice = context.args[0] if context.args else None
    outcome = await onboarding.set_language(session, ctx, choice.lower() if choice else None)
    if choice and choice.lower() in LANGUAGES:
        outcome.lang = choice.lower()  # the confirmation speaks the language just chosen
        outcome.refresh_menu = True
    return outcome


@adapter
async def link(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    if is_private(update):
        return Outcome().add("onboarding.link_in_group")
    chat = update.effective_chat
    assert chat is not None
    # A group with no cluster yet: act for the user's own (newest) membership.
    if ctx.cluster is None:
        settings = settings_of(context)
        ctx = await load_context(
            session, ctx.user_id, None, settings.language, settings.tz, now_of(context)
        )
    return await onboarding.link(session, ctx, chat.id)


@adapter
async def fallback_private(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    """Anything a bound user sends that no flow expects: a hint. A stranger: how to get an invite."""
    if ctx.actor is None:
        return Outcome().add("onboarding.stranger")
    return Outcome().add("onboarding.not_understood")


@adapter
async def added_to_group(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    member = update.my_chat_member
    if member is None or member.new_chat_member.status not in (
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
    ):
        return None
    if await clusters.find_cluster_for_group(session, member.chat.id) is not None:
        return None
    if await clusters.mark_chat_noticed(session, member.chat.id):
        return Outcome().add("onboarding.added_to_group")
    return None


def handlers() -> list[Handler]:
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("whoami", whoami),
        CommandHandler("language", language),
        CommandHandler("link", link),
        ChatMemberHandler(added_to_group, ChatMemberHandler.MY_CHAT_MEMBER),
    ]


@adapter
async def unknown_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession, ctx: Context
) -> Outcome | None:
    """Button data no flow recognises (old or forged): answered, and nothing happens."""
    return Outcome().add("common.stale_button") if ctx.actor is not None else None


def fallbacks() -> list[Handler]:
    """Registered last in the commands' group, so every flow had its chance first."""
    return [
        MessageHandler(filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE, fallback_private),
        CallbackQueryHandler(unknown_button),
    ]
