"""Starting a cluster's emulation year (`clusterbot year start`); what a year is in the data
model is written down in storage/models_years.py."""

from __future__ import annotations

from datetime import datetime

from bot.services.admin import AdminError
from storage import clusters, years
from storage.database import Database
from storage.years import YearExists, YearStarted

__all__ = ["FIRST_YEAR", "LAST_YEAR", "YearExists", "YearStarted", "start_year"]

FIRST_YEAR, LAST_YEAR = 2000, 2100  # as the cluster file's years (bot/domain/cluster_file.py)


async def start_year(db: Database, cluster_id: str, year: int, *, now: datetime) -> YearStarted:
    """Raises AdminError (no such cluster, a year out of range) or YearExists; in one
    transaction, so a refused start writes nothing."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise AdminError("bad_year", value=str(year))
    async with db.session() as session:
        cluster = await clusters.get_cluster(session, cluster_id)
        if cluster is None:
            raise AdminError("unknown_cluster", value=cluster_id)
        return await years.start_year(session, cluster, year, None, now)
