"""The group's live messages, rendered from what is stored at the moment they go out.

Each live message is posted once and then edited where it stands; the worker renders it just
before the request, so a burst of changes ends in one edit showing the newest state, and a
request held back by a rate limit can never overwrite a newer one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import elections as election_service
from bot.services import pact as pact_service
from bot.services import rounds as round_service
from messages.render import render
from storage import clusters, pact_messages, rounds
from storage import elections as election_store


@dataclass(frozen=True)
class LiveView:
    chat_id: int  # the cluster's group, now
    text: str
    message_id: int | None  # the message to edit, if it was posted in this chat
    post_if_gone: bool = True  # post anew when there is none (or it was deleted)


async def view(session: AsyncSession, live: str, ref: int, lang: str) -> LiveView | None:
    if live == "progress":
        return await _progress(session, ref, lang)
    if live == "turnout":
        return await _turnout(session, ref, lang)
    if live == pact_service.LIVE:
        return await _pact(session, ref, lang)
    raise ValueError(f"unknown live message {live!r}")


async def remember(
    session: AsyncSession, live: str, ref: int, chat_id: int, message_id: int
) -> None:
    """The live message was posted: later changes edit this one."""
    if live == "progress":
        row = await rounds.get_round(session, ref)
        if row is not None:
            await rounds.set_progress_message(session, row, chat_id, message_id)
    elif live == "turnout":
        await election_store.set_turnout_message(session, ref, message_id)
    elif live == pact_service.LIVE:
        pact = await pact_messages.get_pact_by_id(session, ref)
        if pact is not None:
            await pact_messages.set_live_message(session, ref, pact.cluster_id, chat_id, message_id)


async def _progress(session: AsyncSession, round_id: int, lang: str) -> LiveView | None:
    found = await rounds.get_round_with_group(session, round_id)
    screen = await round_service.progress(session, round_id) if found else None
    if found is None or screen is None:
        return None
    row, group = found
    current = row.progress_message_id if row.progress_chat_id == group else None
    return LiveView(group, render(lang, screen.message, **screen.params), current)


async def _turnout(session: AsyncSession, round_id: int, lang: str) -> LiveView | None:
    round_ = await election_store.get_round(session, round_id)
    election = await election_store.get_election(session, round_.election_id) if round_ else None
    cluster = await clusters.get_cluster(session, election.cluster_id) if election else None
    screen = await election_service.turnout(session, round_id)
    if round_ is None or cluster is None or cluster.group_chat_id is None or screen is None:
        return None
    return LiveView(
        cluster.group_chat_id,
        render(lang, screen.message, **screen.params),
        round_.turnout_message_id,
        post_if_gone=round_.state == "open",
    )


async def _pact(session: AsyncSession, pact_id: int, lang: str) -> LiveView | None:
    found = await pact_service.progress(session, pact_id)
    if found is None:
        return None
    pact, screen = found
    cluster = await clusters.get_cluster(session, pact.cluster_id)
    if cluster is None or cluster.group_chat_id is None:
        return None
    current = await pact_messages.get_live_message(session, pact_id, cluster.group_chat_id)
    return LiveView(cluster.group_chat_id, render(lang, screen.message, **screen.params), current)
