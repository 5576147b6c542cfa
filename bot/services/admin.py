"""What an administrator does from the command line, shared with the demo and the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from storage import clusters, people
from storage.clusters import ApplyReport
from storage.database import Database
from storage.people import NewInvite


class AdminError(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


async def init_cluster(db: Database, path: Path) -> ApplyReport:
    """Validate the whole file first (raises ClusterFileInvalid), then load it idempotently."""
    # Imported here: the file's validators (pydantic models, the calendar, election rules) are
    # ~0,04 s of CPU that `clusterbot invite` and `round` do not need.
    from bot.domain.cluster_file import load_cluster_file

    spec = load_cluster_file(path)
    async with db.session() as session:
        return await clusters.apply_cluster_spec(session, spec)


async def make_invite(
    db: Database,
    cluster_id: str,
    department: str | None,
    role: str,
    valid_for: timedelta,
    *,
    now: datetime,
) -> NewInvite:
    async with db.session() as session:
        cluster = await clusters.get_cluster(session, cluster_id)
        if cluster is None:
            raise AdminError("unknown_cluster", value=cluster_id)
        department_id = None
        if role == "officer":
            if department is None:
                raise AdminError("department_needed")
            row = await clusters.find_department_by_slug(session, cluster_id, department)
            if row is None or row.merged_into is not None:
                known = [d.slug for d in await clusters.list_departments(session, cluster_id)]
                raise AdminError("unknown_department", value=department, known=", ".join(known))
            department_id = row.id
        return await people.create_invite(
            session, cluster_id, role, department_id, valid_for, now=now
        )


@dataclass(frozen=True)
class DepartmentInvite:
    slug: str
    name: str
    name_en: str
    role: str
    invite: NewInvite


async def make_department_invites(
    db: Database, cluster_id: str, valid_for: timedelta, *, now: datetime
) -> list[DepartmentInvite]:
    """One officer invite for every department of the cluster (merged ones excepted), in one
    transaction: either every department gets its code or none does."""
    async with db.session() as session:
        if await clusters.get_cluster(session, cluster_id) is None:
            raise AdminError("unknown_cluster", value=cluster_id)
        made = []
        for row in await clusters.list_departments(session, cluster_id):
            invite = await people.create_invite(
                session, cluster_id, "officer", row.id, valid_for, now=now
            )
            made.append(DepartmentInvite(row.slug, row.name, row.name_en, "officer", invite))
        return made
