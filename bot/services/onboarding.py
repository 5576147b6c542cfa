"""Binding a Telegram user with an invite code, and what a user may see of themselves."""

from __future__ import annotations

import re

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.roles import Action, allowed_commands, may
from bot.services.context import Context
from bot.services.screens import Outcome
from storage import clusters, people

INVITE_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
"""What a /start payload may be (Telegram allows these characters, up to 64)."""


async def redeem(
    session: AsyncSession, ctx: Context, code: str, full_name: str, username: str | None
) -> Outcome:
    out = Outcome()
    if not INVITE_SHAPE.fullmatch(code):
        # Telegram's deep-link alphabet; our codes are token_urlsafe. Anything else (lone
        # surrogates, other scripts, 5 000 characters) is no invite, and is not even hashed.
        return out.add("onboarding.code_unknown")
    result = await people.redeem_invite(
        session, code, ctx.user_id, full_name, username, now=ctx.now
    )
    if result.outcome in ("unknown", "used", "expired"):
        return out.add(f"onboarding.code_{result.outcome}")
    assert result.membership is not None
    cluster = await clusters.get_cluster(session, result.membership.cluster_id)
    department = await people.get_department(session, result.membership.department_id)
    if result.outcome == "already_member":
        return out.add("onboarding.already_member", cluster=cluster, department=department)
    out.refresh_menu = True  # a new member: their commands change
    return out.add(
        "onboarding.welcome",
        cluster=cluster,
        department=department,
        role=result.membership.role,
        name=full_name,
    )


async def whoami(session: AsyncSession, ctx: Context) -> Outcome:
    out = Outcome()
    if ctx.actor is None or ctx.cluster is None:
        return out.add("onboarding.stranger")
    memberships = await people.list_memberships(session, ctx.user_id)
    others = []
    for m in memberships:
        if m.cluster_id != ctx.cluster.id:
            others.append(await clusters.get_cluster(session, m.cluster_id))
    term = await clusters.find_current_term(session, ctx.cluster.id, ctx.today.year)
    return out.add(
        "onboarding.whoami",
        person=ctx.person,
        cluster=ctx.cluster,
        department=ctx.department,
        role=ctx.actor.role.value,
        offices=sorted(ctx.actor.offices),
        term=term,
        others=others,
        user_id=ctx.user_id,
    )


def help_screen(ctx: Context) -> Outcome:
    commands = [action.value for action in allowed_commands(ctx.actor)]
    return Outcome().add("onboarding.help", commands=commands, bound=ctx.actor is not None)


async def link(session: AsyncSession, ctx: Context, chat_id: int) -> Outcome:
    out = Outcome()
    if not may(ctx.actor, Action.LINK_GROUP) or ctx.cluster is None:
        return out.add("onboarding.link_not_allowed")
    await clusters.link_group(session, ctx.cluster, chat_id)
    return out.add("onboarding.linked", cluster=ctx.cluster)


async def set_language(session: AsyncSession, ctx: Context, choice: str | None) -> Outcome:
    if choice not in ("vi", "en"):
        return Outcome().add("onboarding.language_usage")
    await people.set_language(session, ctx.user_id, choice)
    return Outcome().add("onboarding.language_set", choice=choice)
