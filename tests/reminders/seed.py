"""A small cluster straight in the database, for the scheduler and benchmark."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.domain.cluster_file import parse_cluster_data
from bot.domain.schedule_file import ScheduleSpec
from storage import clusters, rounds, schedules
from storage.database import Database
from storage.models import Membership, Person


@dataclass
class Seeded:
    cluster_id: str
    group: int | None
    departments: dict[str, int] = field(default_factory=dict)  # slug -> id
    officers: dict[str, list[int]] = field(default_factory=dict)  # slug -> person ids


async def seed_cluster(
    db: Database,
    cluster_id: str = "c1",
    slugs: tuple[str, ...] = ("a", "b", "c"),
    *,
    group: int | None = -100,
    officers_per_department: int = 1,
    first_person: int = 11,
    head: str | None = "a",
    deputy: str | None = "b",
    term: int = 2025,
    schedule: ScheduleSpec | None = None,
    languages: dict[int, str] | None = None,
) -> Seeded:
    data: dict = {
        "cluster": {
            "id": cluster_id,
            "name": f"Cụm {cluster_id}",
            "name_en": f"Cluster {cluster_id}",
        },
        "departments": [
            {"id": s, "name": f"Sở {s.upper()}", "name_en": f"Dept {s.upper()}"} for s in slugs
        ],
        "indicators": [
            {"id": "x", "label": "Chỉ tiêu", "label_en": "Indicator", "type": "integer"}
        ],
    }
    if head:
        data["offices"] = {"term": term, "head": head} | ({"deputy": deputy} if deputy else {})
    spec = parse_cluster_data(data)
    seeded = Seeded(cluster_id, group)
    person = first_person
    async with db.session() as session:
        await clusters.apply_cluster_spec(session, spec)
        cluster = await clusters.get_cluster(session, cluster_id)
        assert cluster is not None
        if group is not None:
            await clusters.link_group(session, cluster, group)
        for department in await clusters.list_departments(session, cluster_id):
            assert department.id is not None
            seeded.departments[department.slug] = department.id
            ids = []
            for _ in range(officers_per_department):
                session.add(
                    Person(
                        id=person,
                        full_name=f"Cán bộ {person}",
                        language=(languages or {}).get(person),
                    )
                )
                session.add(
                    Membership(
                        person_id=person,
                        cluster_id=cluster_id,
                        department_id=department.id,
                        role="officer",
                    )
                )
                ids.append(person)
                person += 1
            seeded.officers[department.slug] = ids
        if schedule is not None:
            await schedules.save_schedule(session, cluster_id, schedule)
        await session.flush()
    return seeded


async def open_round(
    db: Database, cluster_id: str, period: str, start: date, deadline: date, opened_at: datetime
) -> int:
    async with db.session() as session:
        row = await rounds.open_round(
            session, cluster_id, period, start, deadline, None, opened_at=opened_at
        )
        assert row.id is not None
        return row.id
