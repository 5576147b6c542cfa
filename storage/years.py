"""The emulation years a cluster started, and the configuration each started with.

What a year is in this data model is written down in storage/models_years.py. Starting one
writes a single `cluster_year` row; nothing of the years before is read for writing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.periods import parse_period
from storage.clusters import election_rules_table, list_departments, list_indicators
from storage.models import Cluster, Round
from storage.models_delivery import ClusterSchedule
from storage.models_years import ClusterYear

__all__ = ["YearExists", "YearStarted", "list_years", "start_year"]


class YearExists(Exception):
    """The cluster already started this year."""


@dataclass(frozen=True)
class YearStarted:
    """What `clusterbot year start` did, for its report."""

    year: int
    indicators: int
    departments: int
    election_rules_from_file: bool  # False: the default election rules
    sections: tuple[str, ...]  # the emulation's own sections copied too (pact, scoring)
    earlier_rounds: int  # rounds of the years before, left as they were


async def emulation_sections(session: AsyncSession, cluster: Cluster) -> dict[str, Any]:
    """The year's pact and scoring table, when the cluster has them: the cluster file's
    ``[pact]`` and ``[scoring]`` as stored at `init` (storage/pacts.py), under their section
    names; {} when the file has neither."""
    # Imported here: it loads the pact and scoring validators, which the rest does not need.
    from storage import pacts

    tables = await pacts.get_emulation_tables(session, cluster.id)
    return {name: tables[name] for name in ("pact", "scoring") if name in tables}


async def start_year(
    session: AsyncSession, cluster: Cluster, year: int, by: int | None, now: datetime
) -> YearStarted:
    """Record that ``year`` started with the cluster's configuration as it is now: indicators,
    schedule, election rules, the roll (members after any merger), and the emulation's sections.
    Raises YearExists when the year was started already (the row is unique per cluster and
    year, so two commands racing cannot both start it)."""
    existing = await session.exec(
        select(ClusterYear).where(ClusterYear.cluster_id == cluster.id, ClusterYear.year == year)
    )
    if existing.first() is not None:
        raise YearExists(year)
    indicators = await list_indicators(session, cluster.id)
    departments = await list_departments(session, cluster.id)
    schedule = await session.get(ClusterSchedule, cluster.id)
    rules = election_rules_table(cluster)
    sections = await emulation_sections(session, cluster)
    config = {
        "year": year,
        "departments": [d.slug for d in departments],
        "indicators": [i.model_dump(exclude={"id", "cluster_id", "active"}) for i in indicators],
        "schedule": json.loads(schedule.data) if schedule is not None else None,
        "elections": rules,
        **sections,
    }
    row = ClusterYear(
        cluster_id=cluster.id,
        year=year,
        config=json.dumps(config, ensure_ascii=False, sort_keys=True),
        started_at=now,
        started_by=by,
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        raise YearExists(year) from None
    rounds = await session.exec(select(Round.period).where(col(Round.cluster_id) == cluster.id))
    earlier = sum(1 for period in rounds.all() if parse_period(period).year < year)
    return YearStarted(
        year=year,
        indicators=len(indicators),
        departments=len(departments),
        election_rules_from_file=bool(rules),
        sections=tuple(sections),
        earlier_rounds=earlier,
    )


async def list_years(session: AsyncSession, cluster_id: str) -> list[ClusterYear]:
    query = select(ClusterYear).where(ClusterYear.cluster_id == cluster_id)
    return list((await session.exec(query.order_by(col(ClusterYear.year)))).all())
