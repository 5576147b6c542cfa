"""The benches' world: clusters made from the example cluster file (its five indicators) with
as many departments as asked, one officer per department who has pressed Start, each cluster
with its group and an open yearly round; written straight through storage (seconds for 1.000
clusters, where ``clusterbot init`` per cluster takes minutes)."""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

from bot.domain.cluster_file import parse_cluster_data
from bot.domain.periods import parse_period
from bot.emulator import BotApiEmulator
from storage import clusters, rounds
from storage.database import Database
from storage.models import Membership, Person

from .processes import ROOT

EXAMPLE = ROOT / "examples" / "cum-noi-vu-trung-du-mien-nui-phia-bac.toml"
PERIOD = "2025"
OFFICER_BASE = 500_000
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def cluster_id(n: int) -> str:
    return f"bench-{n:04d}"


def group_id(n: int) -> int:
    return -1_002_000_000_000 - n


@dataclass(frozen=True)
class Layout:
    """``clusters`` with officers, ``officers_per_cluster`` each (one per department), among
    ``departments`` departments a cluster (more than officers: no cluster finishes, so no
    summary is drawn), and ``idle_clusters`` more without anybody, only in the database."""

    clusters: int
    officers_per_cluster: int
    departments: int
    idle_clusters: int = 0

    @property
    def officers(self) -> list[int]:
        return [
            OFFICER_BASE + c * 100 + d
            for c in range(self.clusters)
            for d in range(self.officers_per_cluster)
        ]

    @property
    def groups(self) -> list[int]:
        return [group_id(c) for c in range(self.clusters)]


def cluster_data(n: int, departments: int) -> dict[str, Any]:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["cluster"] |= {"id": cluster_id(n), "name": f"Cụm thi đua số {n}"}
    data["departments"] = [
        {"id": f"d{d:02d}", "name": f"Sở Nội vụ tỉnh số {n}-{d}", "name_en": f"Province {n}-{d}"}
        for d in range(departments)
    ]
    data["offices"] = {"term": date.today().year, "head": "d00", "deputy": "d01"}
    # The example's pact and scoring table name its own seven departments; the load is about
    # reporting, so these clusters have neither.
    data.pop("pact", None)
    data.pop("scoring", None)
    return data


async def seed(url: str, layout: Layout) -> None:
    """The clusters, people and rounds in an empty database at the head revision."""
    db = Database(url)
    period = parse_period(PERIOD)
    deadline = date.today() + timedelta(days=30)
    try:
        for n in range(layout.clusters + layout.idle_clusters):
            async with db.session() as session:
                spec = parse_cluster_data(cluster_data(n, layout.departments))
                await clusters.apply_cluster_spec(session, spec)
                if n >= layout.clusters:
                    continue
                cluster = await clusters.get_cluster(session, cluster_id(n))
                assert cluster is not None
                await clusters.link_group(session, cluster, group_id(n))
                departments = await clusters.list_departments(session, cluster_id(n))
                for d, department in enumerate(departments[: layout.officers_per_cluster]):
                    person = OFFICER_BASE + n * 100 + d
                    session.add(Person(id=person, full_name=f"Cán bộ {n}-{d}"))
                    session.add(
                        Membership(
                            person_id=person,
                            cluster_id=cluster_id(n),
                            department_id=department.id,
                            role="officer",
                        )
                    )
                await rounds.open_round(
                    session, cluster_id(n), period.code, period.start, deadline, None,
                    datetime.now(UTC),
                )  # fmt: skip
    finally:
        await db.dispose()


def populate(emu: BotApiEmulator, layout: Layout) -> None:
    """Telegram's side: the officers (who have pressed Start) and the groups with the bot."""
    for person in layout.officers:
        emu.user(person, f"Cán bộ {person}")
    emu._started_users.update(layout.officers)  # noqa: SLF001 - they pressed Start once
    for group in layout.groups:
        emu.group(group, f"Nhóm {group}")
        emu.set_member_status(group, emu.bot_id, "member")


class PostgresDatabase:
    """A database of its own on the local server (user postgres), dropped at the end."""

    def __init__(self, admin_dsn: str = PG_ADMIN_DSN) -> None:
        self.admin_dsn = admin_dsn
        self.name = f"clusterbot_bench_{uuid.uuid4().hex[:10]}"
        base = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        self.url = f"{base}/{self.name}"

    async def _admin(self, statement: str) -> None:
        connection = await asyncpg.connect(self.admin_dsn)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    async def create(self) -> str:
        await self._admin(f'CREATE DATABASE "{self.name}"')
        return self.url

    async def drop(self) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
