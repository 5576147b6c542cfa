"""Queueing what a unit of work shows, inside its own transaction.

Everything here writes effect rows through the session it is given and sends nothing: the
rows commit (or roll back) with the change they report, and the worker sends them afterwards.
Texts are rendered and split now, in the reader's language; live messages are rendered when
they go out, from what is stored then. Effects are due and retried on the host's time
(`system_clock`), whatever business clock the bot is given: a demo or a test may set the
calendar to 2024, and a retry due in 2 s must still come in 2 s.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import system_clock
from bot.publishing.requests import File, Markup, Request
from bot.services import rounds as round_service
from bot.services.context import Context
from bot.services.screens import Attachment, Button, Outcome, Screen
from messages.render import render
from messages.splitting import split_html
from storage import effects, rounds

# An answer to a command in a group that could not go out within this time is useless (and
# a flood's answers must not pile up in front of the group's live messages).
GROUP_REPLY_TTL = timedelta(minutes=3)
# Beyond this many answers waiting for one group, new ones are dropped (Telegram lets a bot
# post 20 a minute in a group: a longer queue only grows).
GROUP_BACKLOG = 20


def markup_of(lang: str, rows: Sequence[Sequence[Any]]) -> Markup | None:
    if not rows:
        return None
    out: Markup = []
    for row in rows:
        line = []
        for b in row:
            label = render(lang, b.message, **b.params)
            if isinstance(b, Button):
                line.append({"text": label, "callback_data": b.data})
            else:
                line.append({"text": label, "url": b.url})
        out.append(line)
    return out


CAPTION_LIMIT = 1024  # Telegram's, for a photo's or a document's caption


def screen_requests(lang: str, screen: Screen, pressed_message_id: int | None) -> list[Request]:
    """A screen as requests: long texts in several messages, the buttons on the last one. A
    screen with media is the file with the text as its caption, or, when the text is longer
    than a caption may be, the file and then the text (one request each)."""
    markup = markup_of(lang, screen.buttons)
    if screen.buttons_only:
        if pressed_message_id is None or not screen.edit:
            return []
        return [Request("markup", markup=markup, message_id=pressed_message_id)]
    text = render(lang, screen.message, **screen.params)
    if screen.media is not None:
        method = screen.media.kind
        if len(text) <= CAPTION_LIMIT:
            return [Request(method, "", markup, files=[File(b"", "", text, screen.media.file_id)])]
        lead = Request(method, files=[File(b"", "", "", screen.media.file_id)])
        return [lead, *screen_requests(lang, replace(screen, media=None, edit=False), None)]
    if pressed_message_id is not None and screen.edit and len(text) <= 4096:
        return [Request("edit", text, markup, message_id=pressed_message_id)]
    chunks = split_html(text)
    return [
        Request("text", chunk, markup if n == len(chunks) - 1 else None)
        for n, chunk in enumerate(chunks)
    ]


def extra_requests(texts: Sequence[str], attachments: Sequence[Attachment]) -> list[Request]:
    """Ready-made texts, then photos (several as one media group, not a flood), then documents."""
    out = [Request("text", chunk) for text in texts for chunk in split_html(text)]
    photos = [a for a in attachments if a.kind == "photo"]
    if len(photos) == 1:
        out.append(Request("photo", files=[File(photos[0].data, caption=photos[0].caption)]))
    elif photos:
        for start in range(0, len(photos), 10):
            batch = photos[start : start + 10]
            out.append(Request("photos", files=[File(a.data, caption=a.caption) for a in batch]))
    for a in attachments:
        if a.kind == "document":
            out.append(Request("document", files=[File(a.data, a.filename, a.caption)]))
    return out


async def queue_requests(
    session: AsyncSession,
    chat_id: int,
    requests: Sequence[Request],
    *,
    now: datetime,
    notify_chat_id: int | None = None,
    is_group: bool = False,
) -> bool:
    """False when a group's backlog is full and the requests were dropped."""
    if not requests:
        return True
    expires = None
    if is_group:
        if await effects.pending_in_chat(session, chat_id) >= GROUP_BACKLOG:
            return False
        expires = now + GROUP_REPLY_TTL
    for request in requests:
        await effects.add(
            session,
            "send",
            chat_id,
            request.to_json(),
            now=now,
            notify_chat_id=notify_chat_id,
            expires_at=expires,
        )
    return True


async def queue_outcome(
    session: AsyncSession,
    chat_id: int,
    lang: str,
    outcome: Outcome,
    *,
    now: datetime,
    pressed_message_id: int | None = None,
    is_group: bool = False,
) -> bool:
    requests: list[Request] = []
    for screen in outcome.screens:
        requests.extend(screen_requests(lang, screen, pressed_message_id))
    requests.extend(extra_requests(outcome.texts, outcome.attachments))
    return await queue_requests(session, chat_id, requests, now=now, is_group=is_group)


async def queue_group_screens(
    session: AsyncSession,
    group_chat_id: int,
    lang: str,
    screens: Sequence[Screen],
    *,
    now: datetime,
    notify_chat_id: int | None = None,
) -> None:
    """Posts in the cluster's group that report a change (not answers): never dropped."""
    requests = [r for screen in screens for r in screen_requests(lang, screen, None)]
    await queue_requests(session, group_chat_id, requests, now=now, notify_chat_id=notify_chat_id)


async def queue_live(
    session: AsyncSession,
    live: str,
    ref: int,
    group_chat_id: int,
    lang: str,
    *,
    now: datetime,
    notify_chat_id: int | None = None,
) -> None:
    """The group's live message ``live`` (e.g. "progress" of round ``ref``) must show the newest
    state: one pending row, bumped by every change."""
    payload = json.dumps({"live": live, "ref": ref, "lang": lang})
    await effects.touch(
        session,
        f"live:{live}:{ref}",
        "live",
        group_chat_id,
        payload,
        now=now,
        notify_chat_id=notify_chat_id,
    )


async def queue_compose(
    session: AsyncSession,
    what: str,
    params: dict[str, Any],
    chat_id: int,
    lang: str,
    *,
    now: datetime,
    once: str | None = None,
) -> None:
    """An answer made later, off the event loop (bot/services/compositions.py). ``once``: a
    key that makes it happen once ever (the automatic summary of a round and occasion)."""
    payload = json.dumps({"compose": what, "params": params, "lang": lang, "once": once})
    if once is not None:
        await effects.touch(
            session, f"compose:{once}", "compose", chat_id, payload, now=now, bump=False
        )
    else:
        await effects.add(session, "compose", chat_id, payload, now=now)


async def queue_summary_post(
    session: AsyncSession, round_id: int, occasion: str, group: int, lang: str, *, now: datetime
) -> None:
    """The compiled report, posted to the group once per round and occasion."""
    await queue_compose(
        session,
        "summary-post",
        {"round_id": round_id},
        group,
        lang,
        now=now,
        once=f"summary:{round_id}:{occasion}",
    )


async def queue_menu(session: AsyncSession, user_id: int, *, now: datetime) -> None:
    payload = json.dumps({"menu": user_id})
    await effects.touch(session, f"menu:{user_id}", "menu", user_id, payload, now=now)


async def queue_for_update(
    session: AsyncSession,
    ctx: Context,
    chat_id: int,
    outcome: Outcome,
    *,
    private: bool,
    pressed_message_id: int | None,
    group_lang: str,
) -> None:
    """Everything an update's Outcome shows: the answer in its chat, posts and the live
    progress in the cluster's group, the compiled report when the round is done, the menu."""
    now = system_clock()
    lang = outcome.lang or ctx.lang
    await queue_outcome(
        session,
        chat_id,
        lang,
        outcome,
        now=now,
        pressed_message_id=pressed_message_id,
        is_group=not private,
    )
    notify = ctx.user_id if private else None
    group = ctx.cluster.group_chat_id if ctx.cluster is not None else None
    round_id = outcome.progress_round_id
    if round_id is not None:
        found = await rounds.get_round_with_group(session, round_id)
        group = found[1] if found else None
    if group is not None:
        await queue_group_screens(
            session, group, group_lang, outcome.group_screens, now=now, notify_chat_id=notify
        )
        if round_id is not None:
            await queue_live(
                session, "progress", round_id, group, group_lang, now=now, notify_chat_id=notify
            )
            await queue_summary_if_done(session, round_id, group, group_lang, now=now)
    if group is not None:
        for live, ref in outcome.live:
            await queue_live(session, live, ref, group, group_lang, now=now, notify_chat_id=notify)
    for composition in outcome.compositions:
        await queue_compose(session, composition.what, composition.params, chat_id, lang, now=now)
    if outcome.refresh_menu:
        await queue_menu(session, ctx.user_id, now=now)


async def queue_summary_if_done(
    session: AsyncSession, round_id: int, group: int, lang: str, *, now: datetime
) -> None:
    """The compiled report follows by itself when the round closes or its last department
    submits (each once)."""
    screen = await round_service.progress(session, round_id)
    if screen is None:
        return
    if screen.params["state"] != "open":
        occasion = "closed"
    elif screen.params["done"] == screen.params["total"]:
        occasion = "complete"
    else:
        return
    await queue_summary_post(session, round_id, occasion, group, lang, now=now)
