"""Once per round and unreachable officer: the head and the deputy are told that a reminder was
refused for good (blocked bot, chat not found), so someone can reach that officer otherwise."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.delivery import Outgoing
from bot.jobs.reminders import leads
from messages.render import render
from storage import deliveries
from storage.clusters import get_departments
from storage.database import Database
from storage.models import Round
from storage.people import get_people


async def failure_notices(
    db: Database, open_rounds: list[Round], now: datetime, *, tz: ZoneInfo, language: str
) -> list[Outgoing]:
    """One notice per round and unreachable officer, to the head and the deputy."""
    ids = [r.id for r in open_rounds if r.id is not None]
    if not ids:
        return []
    by_id = {r.id: r for r in open_rounds}
    async with db.session() as session:
        failed = await deliveries.list_refused_reminders(session, ids)
        if not failed:
            return []
        people = await get_people(session, {f.chat_id for f in failed})
        departments = await get_departments(session, {f.department_id for f in failed})
    found: list[Outgoing] = []
    seen: set[tuple[int | None, int]] = set()
    for row in failed:
        if (row.round_id, row.chat_id) in seen or row.round_id is None:
            continue
        seen.add((row.round_id, row.chat_id))
        round_row = by_id[row.round_id]
        person = people.get(row.chat_id)
        department = departments.get(row.department_id) if row.department_id else None
        code = reason_code(row.error or "")
        for lead in await leads(db, round_row.cluster_id, now, tz):
            if lead.person_id == row.chat_id:
                continue
            lang = lead.language or language
            found.append(
                Outgoing(
                    key=deliveries.round_key(row.round_id, "failed", row.chat_id, lead.person_id),
                    chat_id=lead.person_id,
                    text=render(
                        lang,
                        "reminders.delivery_failed",
                        period=round_row.period,
                        name=(person.full_name if person else "") or str(row.chat_id),
                        department=department,
                        code=code,
                    ),
                    kind="failure_notice",
                    cluster_id=round_row.cluster_id,
                    round_id=row.round_id,
                )
            )
    return found


def reason_code(error: str) -> str:
    lowered = error.lower()
    if "blocked" in lowered or "forbidden" in lowered or "deactivated" in lowered:
        return "blocked"
    if "chat not found" in lowered or "chat_not_found" in lowered:
        return "chat_not_found"
    return error
