"""The reminders chasing the signatures of a year's pact: privately to each officer of a
department that has not signed, with the «Sign the pact» button, once per step of the pact's
plan (bot.domain.reminders.plan_pact: the cadence its [pact] declared, on the cluster's working
days, outside its quiet hours, as a round's reminders). They go through the delivery log under
one key per pact, step and officer (storage/pact_messages.remind_key), so a tick that runs
twice, a restart or a second process sends nothing twice; just before sending, the scheduler
asks again whether the department signed meanwhile (:func:`still_unsigned`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.delivery import Button, Markup, Outgoing
from bot.domain import callback_data as cb
from bot.domain.reminders import PlanItem, RoundPlan, days_left, due_now, plan_pact
from bot.domain.schedule_file import ScheduleSpec
from messages.render import render
from storage import clusters as cluster_store
from storage import deliveries, pact_messages, pacts
from storage.database import Database
from storage.models import Cluster
from storage.models_emulation import Pact

__all__ = ["due_pact_reminders", "pact_plan", "still_unsigned"]

KIND = "pact-reminder"


def pact_plan(pact: Pact, spec: ScheduleSpec, tz: ZoneInfo, now: datetime) -> RoundPlan:
    """The pact's reminder plan, from the [pact] it was opened with and the cluster's
    [schedule]. A pact opened "after now" was opened by a clock we do not share (a test's fake
    clock, a skewed host): then nothing is dropped as planned before the opening."""
    table = pacts.pact_snapshot(pact)
    calendar = spec.calendar()
    opened_day = pact.opened_at.astimezone(tz).date()
    deadline = table.sign_deadline(opened_day, calendar)
    opened_at = pact.opened_at if pact.opened_at <= now else None
    return plan_pact(
        pact.year, deadline, table.reminders, spec, tz, calendar=calendar, opened_at=opened_at
    )


def _sign_button(lang: str, pact_id: int) -> Markup:
    data = cb.PactSign(pact_id).encode()
    return ((Button(render(lang, "pact.btn_sign"), callback_data=data),),)


async def _reminders(
    db: Database,
    cluster: Cluster,
    pact: Pact,
    plan: RoundPlan,
    item: PlanItem,
    now: datetime,
    language: str,
) -> list[Outgoing]:
    assert pact.id is not None
    async with db.session() as session:
        unsigned = await pacts.list_unsigned_departments(session, pact)
        if not unsigned:
            return []
        total = len(await cluster_store.list_departments(session, cluster.id))  # the roll
        signed = await pacts.count_signed(session, pact)  # as the group's "Đã ký: n/7"
        officers = await deliveries.list_officers(session, [d.id for d in unsigned if d.id])
    by_id = {d.id: d for d in unsigned}
    found: list[Outgoing] = []
    for officer in officers:
        lang = officer.language or language
        text = render(
            lang,
            "pact.reminder",
            year=pact.year,
            deadline=plan.deadline,
            days_left=days_left(plan, now),
            department=by_id[officer.department_id],
            signed=signed,
            total=total,
        )
        found.append(
            Outgoing(
                key=pact_messages.remind_key(pact.id, item.kind, officer.person_id),
                chat_id=officer.person_id,
                text=text,
                markup=_sign_button(lang, pact.id),
                kind=f"{KIND}:{item.kind}",
                cluster_id=cluster.id,
                department_id=officer.department_id,
            )
        )
    return found


async def due_pact_reminders(
    db: Database,
    clusters: dict[str, Cluster],
    allowed: dict[str, bool],
    schedule_of: Callable[[str], ScheduleSpec],
    now: datetime,
    *,
    tz: ZoneInfo,
    language: str,
) -> tuple[list[Outgoing], list[str]]:
    """What the open pacts' plans say is due at `now`: the reminders, and "cluster/pact-YEAR/
    kind" for the tick's report."""
    async with db.session() as session:
        open_pacts = await pacts.list_open_pacts(session)
    outgoing: list[Outgoing] = []
    due: list[str] = []
    for pact in open_pacts:
        cluster = clusters.get(pact.cluster_id)
        if cluster is None or not allowed.get(pact.cluster_id, False):
            continue
        spec = schedule_of(pact.cluster_id)
        plan = pact_plan(pact, spec, spec.tz(tz), now)
        for item in due_now(plan, now):
            if item.kind == "close":  # the chase is over (the pact itself stays open)
                continue
            due.append(f"{pact.cluster_id}/{plan.period}/{item.kind}")
            outgoing.extend(await _reminders(db, cluster, pact, plan, item, now, language))
    return outgoing, due


async def still_unsigned(db: Database, item: Outgoing) -> bool:
    """Just before sending a pact reminder: has the department still not signed?"""
    pact_id = pact_messages.pact_of_remind_key(item.key)
    if pact_id is None or item.department_id is None:
        return True
    async with db.session() as session:
        return not await pacts.has_answered(session, pact_id, item.department_id)
