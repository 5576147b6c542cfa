"""Clusters, their departments, indicators and offices."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ChatNotice, Cluster, Department, Indicator, Office, Round

if TYPE_CHECKING:  # only a type here: reading clusters does not load the file's validators
    from bot.domain.cluster_file import ClusterSpec


@dataclass
class ApplyReport:
    """What `clusterbot init` changed; empty when the file was already loaded."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)


def _sync(row: object, values: Mapping[str, object]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


async def apply_cluster_spec(session: AsyncSession, spec: ClusterSpec) -> ApplyReport:
    """Create or update a cluster from its file, idempotently and without touching submissions."""
    report = ApplyReport()
    cluster = await session.get(Cluster, spec.id)
    if cluster is None:
        cluster = Cluster(id=spec.id, name=spec.name, name_en=spec.name_en)
        session.add(cluster)
        report.created.append(f"cluster {spec.id}")
    elif _sync(cluster, {"name": spec.name, "name_en": spec.name_en}):
        report.updated.append(f"cluster {spec.id}")
    rules = None if spec.elections is None else json.dumps(spec.elections, sort_keys=True)
    if cluster.election_rules != rules:
        cluster.election_rules = rules
        if f"cluster {spec.id}" not in report.created:
            report.updated.append(f"election rules {spec.id}")
    await session.flush()

    departments = {d.slug: d for d in await list_departments(session, spec.id, include_merged=True)}
    for position, d in enumerate(spec.departments):
        department_values: dict[str, Any] = {
            "name": d.name,
            "name_en": d.name_en,
            "merged_into": d.merged_into,
            "merged_on": d.merged_on,
            "merged_from_outside": "\n".join(d.merged_from_outside) or None,
            "position": position,
        }
        department = departments.get(d.slug)
        if department is None:
            department = Department(cluster_id=spec.id, slug=d.slug, **department_values)
            session.add(department)
            departments[d.slug] = department
            report.created.append(f"department {d.slug}")
        elif _sync(department, department_values):
            report.updated.append(f"department {d.slug}")

    indicators = {i.slug: i for i in await list_indicators(session, spec.id, include_inactive=True)}
    for position, i in enumerate(spec.indicators):
        indicator_values: dict[str, Any] = {
            "position": position,
            "label": i.label,
            "label_en": i.label_en,
            "type": i.type,
            "unit": i.unit,
            "unit_en": i.unit_en,
            "required": i.required,
            "min_value": i.min_value,
            "max_value": i.max_value,
            "aggregate": i.aggregate,
            "choices": "\n".join(i.choices),
            "headline": i.headline,
            "active": True,
        }
        indicator = indicators.get(i.slug)
        if indicator is None:
            session.add(Indicator(cluster_id=spec.id, slug=i.slug, **indicator_values))
            report.created.append(f"indicator {i.slug}")
        elif _sync(indicator, indicator_values):
            report.updated.append(f"indicator {i.slug}")
    kept = {i.slug for i in spec.indicators}
    for slug, indicator in indicators.items():
        if slug not in kept and indicator.active:
            indicator.active = False
            report.deactivated.append(f"indicator {slug}")
    await session.flush()

    if spec.offices is not None:
        for role, office_slug in (("head", spec.offices.head), ("deputy", spec.offices.deputy)):
            existing = (
                await session.exec(
                    select(Office).where(
                        Office.cluster_id == spec.id,
                        Office.term == spec.offices.term,
                        Office.role == role,
                    )
                )
            ).first()
            if office_slug is None:
                if existing is not None:
                    await session.delete(existing)
                    report.updated.append(f"office {role} {spec.offices.term}")
                continue
            department_id = departments[office_slug].id
            assert department_id is not None
            if existing is None:
                session.add(
                    Office(
                        cluster_id=spec.id,
                        term=spec.offices.term,
                        role=role,
                        department_id=department_id,
                    )
                )
                report.created.append(f"office {role} {spec.offices.term}")
            elif existing.department_id != department_id:
                existing.department_id = department_id
                report.updated.append(f"office {role} {spec.offices.term}")
    await session.flush()
    # Imported here: it loads the schedule file's validators (pydantic, the holiday calendar),
    # which reading a cluster (clusterbot invite, round) does not need.
    from storage import schedules

    if await schedules.save_schedule(session, spec.id, spec.schedule):
        if f"cluster {spec.id}" not in report.created:
            report.updated.append(f"schedule {spec.id}")
    from storage import pacts

    if await pacts.record_emulation_tables(session, spec.id, spec.emulation):
        if f"cluster {spec.id}" not in report.created:
            report.updated.append(f"pact/scoring {spec.id}")
    return report


def election_rules_table(cluster: Cluster) -> dict[str, object]:
    """The cluster file's [elections] table as validated at `init` ({} = the defaults)."""
    return json.loads(cluster.election_rules) if cluster.election_rules else {}


async def list_clusters(session: AsyncSession) -> list[Cluster]:
    return list((await session.exec(select(Cluster))).all())


async def get_departments(
    session: AsyncSession, ids: Iterable[int | None]
) -> dict[int, Department]:
    """id -> department, for these ids (of any cluster)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    query = select(Department).where(col(Department.id).in_(wanted))
    return {d.id: d for d in (await session.exec(query)).all() if d.id is not None}


async def get_cluster(session: AsyncSession, cluster_id: str) -> Cluster | None:
    return await session.get(Cluster, cluster_id)


async def find_cluster_for_group(session: AsyncSession, chat_id: int) -> Cluster | None:
    return (await session.exec(select(Cluster).where(Cluster.group_chat_id == chat_id))).first()


async def link_group(session: AsyncSession, cluster: Cluster, chat_id: int) -> None:
    """Make this group the cluster's group; a group serves one cluster only."""
    other = await find_cluster_for_group(session, chat_id)
    if other is not None and other.id != cluster.id:
        other.group_chat_id = None
        await session.flush()
    cluster.group_chat_id = chat_id
    session.add(cluster)
    await session.flush()


async def list_departments(
    session: AsyncSession, cluster_id: str, include_merged: bool = False
) -> list[Department]:
    query = select(Department).where(Department.cluster_id == cluster_id)
    if not include_merged:
        query = query.where(col(Department.merged_into).is_(None))
    return list((await session.exec(query.order_by(col(Department.position)))).all())


async def find_department_by_slug(
    session: AsyncSession, cluster_id: str, slug: str
) -> Department | None:
    query = select(Department).where(Department.cluster_id == cluster_id, Department.slug == slug)
    return (await session.exec(query)).first()


async def list_indicators(
    session: AsyncSession, cluster_id: str, include_inactive: bool = False
) -> list[Indicator]:
    query = select(Indicator).where(Indicator.cluster_id == cluster_id)
    if not include_inactive:
        query = query.where(Indicator.active == True)  # noqa: E712
    return list((await session.exec(query.order_by(col(Indicator.position)))).all())


async def get_current_offices(session: AsyncSession, cluster_id: str, year: int) -> dict[str, int]:
    """role -> department id for the term in force: the latest term not after `year`.

    Office holders keep serving until the next term's holders are declared or elected.
    """
    # Plain columns, not Office objects: every update asks, and objects cost far more to load.
    query = (
        select(Office.term, Office.role, Office.department_id)
        .where(Office.cluster_id == cluster_id, Office.term <= year)
        .order_by(col(Office.term).desc())
    )
    rows = list((await session.exec(query)).all())
    if not rows:
        return {}
    newest = rows[0][0]
    return {role: department_id for term, role, department_id in rows if term == newest}


async def find_current_term(session: AsyncSession, cluster_id: str, year: int) -> int | None:
    query = (
        select(Office.term)
        .where(Office.cluster_id == cluster_id, Office.term <= year)
        .order_by(col(Office.term).desc())
    )
    return (await session.exec(query)).first()


async def mark_chat_noticed(session: AsyncSession, chat_id: int) -> bool:
    """True the first time only: a foreign group gets one short explanation, ever."""
    if await session.get(ChatNotice, chat_id) is not None:
        return False
    session.add(ChatNotice(chat_id=chat_id))
    await session.flush()
    return True


async def move_group(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> bool:
    """The group became a supergroup (a new chat id): the cluster follows it. Its live messages
    stay behind in the old chat, so new ones are posted. False when no cluster used it."""
    from storage.models_elections import Election, ElectionRound

    cluster = await find_cluster_for_group(session, old_chat_id)
    if cluster is None:
        return False
    cluster.group_chat_id = new_chat_id
    session.add(cluster)
    await session.exec(
        update(Round)
        .where(col(Round.cluster_id) == cluster.id, col(Round.progress_chat_id) == old_chat_id)
        .values(progress_chat_id=None, progress_message_id=None)
    )
    elections = select(Election.id).where(Election.cluster_id == cluster.id)
    await session.exec(
        update(ElectionRound)
        .where(col(ElectionRound.election_id).in_(elections))
        .values(turnout_message_id=None)
    )
    await session.flush()
    return True
