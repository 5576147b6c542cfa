"""Award votes closing by time: counted with the award's rules and posted to the group (the
election job's tick runs this; the group posts go through the same delivery log)."""

from __future__ import annotations

from datetime import datetime

from telegram.ext import Application

from bot.clock import system_clock
from bot.publishing.outbox import queue_live
from bot.services import awards as service
from storage import awards as award_store
from storage import clusters
from storage import elections as store
from storage.database import Database


async def close_due(app: Application, now: datetime) -> int:
    """Close and count every award round whose time has passed; returns how many."""
    db: Database = app.bot_data["db"]
    lang = str(app.bot_data["settings"].language)
    async with db.session() as session:
        due = await store.list_due_closings(session, now, kinds=award_store.AWARD_KINDS)
    closed = 0
    for round_id in due:
        async with db.session() as session:
            done = await service.close_award(session, round_id, now, None, lang)
            if done is None:
                continue  # someone closed it first
            cluster = await clusters.get_cluster(session, done[0].election.cluster_id)
            if cluster is not None and cluster.group_chat_id is not None:
                # The effect is due in the worker's time, as the election job's are.
                await queue_live(
                    session, "turnout", round_id, cluster.group_chat_id, lang, now=system_clock()
                )
        closed += 1
    return closed
