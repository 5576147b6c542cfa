"""The reminders of an open round: privately to the officers of each department that has not
submitted (with a button to report), one digest in the group, and the escalation to the head
and deputy with the list of late departments."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.delivery import Button, Markup, Outgoing
from bot.domain.reminders import PlanItem, RoundPlan, days_left
from messages.render import render
from storage import clusters as cluster_store
from storage import deliveries
from storage.database import Database
from storage.models import Cluster, Round


def report_button(lang: str, bot_username: str | None) -> Markup | None:
    if not bot_username:
        return None
    url = f"https://t.me/{bot_username}?start=report"
    return ((Button(render(lang, "reminders.btn_report"), url=url),),)


async def reminders(
    db: Database,
    cluster: Cluster,
    row: Round,
    plan: RoundPlan,
    item: PlanItem,
    now: datetime,
    *,
    language: str,
    bot_username: str | None,
) -> list[Outgoing]:
    assert row.id is not None
    async with db.session() as session:
        pending = await deliveries.list_pending_departments(session, row)
        if not pending:
            return []
        total = len(await cluster_store.list_departments(session, cluster.id))
        officers = await deliveries.list_officers(session, [d.id for d in pending if d.id])
    by_id = {d.id: d for d in pending}
    left = days_left(plan, now)
    common: dict[str, Any] = {
        "period": row.period,
        "deadline": row.deadline,
        "days_left": left,
        "last_day": plan.last_day,
    }
    found: list[Outgoing] = []
    for officer in officers:
        lang = officer.language or language
        found.append(
            Outgoing(
                key=deliveries.round_key(row.id, item.kind, officer.person_id),
                chat_id=officer.person_id,
                text=render(
                    lang,
                    "reminders.private",
                    department=by_id[officer.department_id],
                    cluster=cluster,
                    **common,
                ),
                markup=report_button(lang, bot_username),
                kind=f"reminder:{item.kind}",
                cluster_id=cluster.id,
                round_id=row.id,
                department_id=officer.department_id,
            )
        )
    if cluster.group_chat_id is not None:
        found.append(
            Outgoing(
                key=deliveries.round_key(row.id, item.kind, "group", cluster.group_chat_id),
                chat_id=cluster.group_chat_id,
                text=render(
                    language,
                    "reminders.digest",
                    pending=pending,
                    done=total - len(pending),
                    total=total,
                    **common,
                ),
                kind=f"digest:{item.kind}",
                cluster_id=cluster.id,
                round_id=row.id,
            )
        )
    return found


async def leads(
    db: Database, cluster_id: str, now: datetime, tz: ZoneInfo
) -> list[deliveries.Recipient]:
    """The officers of the head's and the deputy's departments this year, head first."""
    async with db.session() as session:
        year = now.astimezone(tz).year
        holders = await cluster_store.get_current_offices(session, cluster_id, year)
        if not holders:
            return []
        order = [holders[r] for r in ("head", "deputy") if r in holders]
        found = await deliveries.list_officers(session, order)
    found.sort(key=lambda r: order.index(r.department_id))
    return found


async def escalation(
    db: Database,
    cluster: Cluster,
    row: Round,
    plan: RoundPlan,
    now: datetime,
    *,
    tz: ZoneInfo,
    language: str,
) -> list[Outgoing]:
    assert row.id is not None
    async with db.session() as session:
        late = await deliveries.list_pending_departments(session, row)
        total = len(await cluster_store.list_departments(session, cluster.id))
    if not late:
        return []
    found: list[Outgoing] = []
    for lead in await leads(db, cluster.id, now, tz):
        lang = lead.language or language
        found.append(
            Outgoing(
                key=deliveries.round_key(row.id, "escalate", lead.person_id),
                chat_id=lead.person_id,
                text=render(
                    lang,
                    "reminders.escalation",
                    period=row.period,
                    deadline=row.deadline,
                    last_day=plan.last_day,
                    late=late,
                    done=total - len(late),
                    total=total,
                ),
                kind="escalate",
                cluster_id=cluster.id,
                round_id=row.id,
            )
        )
    return found
