"""Who is acting, in which cluster, in which language: from the Telegram user id and our bindings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.roles import Actor, Role, offices_of
from storage import clusters, people
from storage.models import Cluster, Department, Person


@dataclass(frozen=True)
class Context:
    user_id: int
    lang: str
    person: Person | None
    actor: Actor | None
    cluster: Cluster | None
    department: Department | None
    tz: ZoneInfo
    now: datetime

    @property
    def today(self):  # noqa: ANN201 - a date
        return self.now.astimezone(self.tz).date()


async def load_context(
    session: AsyncSession,
    user_id: int,
    group_chat_id: int | None,
    default_lang: str,
    tz: ZoneInfo,
    now: datetime,
) -> Context:
    """In a group, the group's cluster; in a private chat, the user's newest membership."""
    acting = await people.find_acting(session, user_id, group_chat_id)
    person, membership, cluster = acting.person, acting.membership, acting.cluster
    lang = (person.language if person and person.language else None) or default_lang
    actor: Actor | None = None
    department: Department | None = None
    if membership is not None and cluster is not None:
        department = acting.department
        holders = await clusters.get_current_offices(session, cluster.id, now.astimezone(tz).year)
        actor = Actor(
            person_id=user_id,
            cluster_id=cluster.id,
            role=Role(membership.role),
            department_id=membership.department_id,
            offices=offices_of(membership.department_id, holders),
            merged=department is not None and department.merged_into is not None,
        )
    return Context(user_id, lang, person, actor, cluster, department, tz, now)
