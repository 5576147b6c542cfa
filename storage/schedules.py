"""Each cluster's `[schedule]`, stored as validated at `clusterbot init` (JSON of its data)."""

from __future__ import annotations

import json

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.schedule_file import DEFAULT_SCHEDULE, ScheduleSpec
from storage.models import Cluster
from storage.models_delivery import ClusterSchedule
from storage.types import utcnow


async def save_schedule(session: AsyncSession, cluster_id: str, spec: ScheduleSpec) -> bool:
    """Store the cluster's schedule; True when it changed."""
    data = json.dumps(spec.to_data(), sort_keys=True, ensure_ascii=False)
    row = await session.get(ClusterSchedule, cluster_id)
    if row is None:
        session.add(ClusterSchedule(cluster_id=cluster_id, data=data))
        await session.flush()
        return True
    if row.data == data:
        return False
    row.data = data
    row.updated_at = utcnow()
    session.add(row)
    await session.flush()
    return True


def _decode(data: str) -> ScheduleSpec:
    return ScheduleSpec.from_data(json.loads(data))


async def load_schedule(session: AsyncSession, cluster_id: str) -> ScheduleSpec:
    row = await session.get(ClusterSchedule, cluster_id)
    return _decode(row.data) if row is not None else DEFAULT_SCHEDULE


async def load_schedules(session: AsyncSession) -> dict[str, ScheduleSpec]:
    """Every cluster's schedule (the default for clusters without one)."""
    clusters = (await session.exec(select(Cluster.id))).all()
    stored = {r.cluster_id: r.data for r in (await session.exec(select(ClusterSchedule))).all()}
    cache: dict[str, ScheduleSpec] = {}
    result: dict[str, ScheduleSpec] = {}
    for cluster_id in clusters:
        data = stored.get(cluster_id)
        if data is None:
            result[cluster_id] = DEFAULT_SCHEDULE
        else:
            if data not in cache:
                cache[data] = _decode(data)
            result[cluster_id] = cache[data]
    return result
