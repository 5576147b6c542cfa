"""Auto-close: a round whose last day has passed is closed, and with the close the group's live
progress, the final status and the compiled report are queued."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.clock import system_clock
from bot.publishing.outbox import queue_live, queue_summary_post
from messages.render import render
from storage import clusters as cluster_store
from storage import deliveries, rounds
from storage.database import Database
from storage.deliveries import Claim
from storage.models import Cluster, Round
from storage.submissions import get_first_submissions

log = logging.getLogger(__name__)


async def auto_close(
    db: Database, cluster: Cluster, row: Round, now: datetime, *, language: str
) -> bool:
    """True when this call closed the round (False: closed meanwhile elsewhere)."""
    async with db.session() as session:
        current = await session.get(Round, row.id)
        if current is None or not await rounds.close_round(session, current, now):
            return False  # closed meanwhile (chat, CLI or another replica)
        if cluster.group_chat_id is not None:
            assert current.id is not None
            # With the close: the live progress shows it, and the compiled report follows.
            group, lang, at = cluster.group_chat_id, language, system_clock()
            await queue_live(session, "progress", current.id, group, lang, now=at)
            await queue_summary_post(session, current.id, "closed", group, lang, now=at)
            departments = await cluster_store.list_departments(session, cluster.id)
            firsts = await get_first_submissions(session, current.id)
            on_time = [d for d in departments if d.id in firsts and not firsts[d.id].late]
            late = [d for d in departments if d.id in firsts and firsts[d.id].late]
            missing = [d for d in departments if d.id not in firsts]
            text = render(
                language,
                "reminders.auto_closed",
                period=current.period,
                deadline=current.deadline,
                on_time=on_time,
                late=late,
                missing=missing,
                total=len(departments),
            )
            await deliveries.enqueue(
                session,
                Claim(
                    key=deliveries.round_key(current.id, "close", cluster.group_chat_id),
                    kind="close",
                    chat_id=cluster.group_chat_id,
                    cluster_id=cluster.id,
                    round_id=current.id,
                ),
                text,
            )
        await session.flush()
    log.info("round %s of %s closed by the schedule", row.period, cluster.id)
    return True
