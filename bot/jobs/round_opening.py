"""Auto-open: a round the cluster's `[schedule]` says should be open is opened, and the group
announcement is queued in the same transaction."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.domain.reminders import plan_round
from messages.render import render
from storage import deliveries, rounds
from storage import schedules as schedule_store
from storage.database import Database
from storage.deliveries import Claim
from storage.models import Cluster

log = logging.getLogger(__name__)


async def auto_open(
    db: Database,
    cluster: Cluster,
    period: str,
    period_start: date,
    deadline: date,
    now: datetime,
    *,
    tz: ZoneInfo,
    language: str,
) -> bool:
    """True when this call opened the round (False: it exists already)."""
    try:
        async with db.session() as session:
            row = await rounds.open_round(
                session, cluster.id, period, period_start, deadline, None, opened_at=now
            )
            assert row.id is not None
            if cluster.group_chat_id is not None:
                spec = await schedule_store.load_schedule(session, cluster.id)
                plan = plan_round(period, deadline, spec, spec.tz(tz), opened_at=now)
                text = render(
                    language,
                    "reminders.auto_opened",
                    period=period,
                    deadline=deadline,
                    last_day=plan.last_day,
                )
                await deliveries.enqueue(
                    session,
                    Claim(
                        key=deliveries.round_key(row.id, "open", cluster.group_chat_id),
                        kind="open",
                        chat_id=cluster.group_chat_id,
                        cluster_id=cluster.id,
                        round_id=row.id,
                    ),
                    text,
                )
    except rounds.RoundExists:
        return False
    log.info("round %s of %s opened by the schedule", period, cluster.id)
    return True
