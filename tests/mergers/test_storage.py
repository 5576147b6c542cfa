"""Mergers and emulation years in storage, on both engines: the 2025 file loaded over the 2023
one keeps every predecessor and its submissions, the mergers read back, a year starts once."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlmodel import func, select

from bot.domain.cluster_file import load_cluster_file
from storage import clusters, rounds, submissions, years
from storage.database import Database
from storage.models import Submission
from storage.summaries import mergers_of
from tests.conftest import CLUSTER, EXAMPLE
from tests.mergers.world import EXAMPLE_2025, SUCCESSORS

NOW = datetime(2025, 10, 2, 1, 0, tzinfo=UTC)


async def _reported_2024(db: Database) -> int:
    """The 2023 file loaded and a yearly round 2024 reported by all seven; its round id."""
    async with db.session() as s:
        await clusters.apply_cluster_spec(s, load_cluster_file(EXAMPLE))
        indicators = [i.id for i in await clusters.list_indicators(s, CLUSTER) if i.id]
        row = await rounds.open_round(
            s, CLUSTER, "2024", date(2024, 1, 1), date(2025, 1, 15), None, opened_at=NOW
        )
        assert row.id is not None
        for n, department in enumerate(await clusters.list_departments(s, CLUSTER)):
            assert department.id is not None
            values: dict[int, str | None] = {i: str(n + 1) for i in indicators}
            await submissions.save_revision(
                s, row.id, department.id, values, by=1, late=False, expected_revision=0, at=NOW
            )
        return row.id


async def test_the_2025_file_over_the_2023_one_keeps_the_predecessors_and_their_figures(
    db: Database,
) -> None:
    round_id = await _reported_2024(db)
    spec = load_cluster_file(EXAMPLE_2025)
    async with db.session() as s:
        report = await clusters.apply_cluster_spec(s, spec)
    assert "department bac-ninh" in report.created and "department lao-cai" in report.created
    assert "department bac-kan" in report.updated and "department thai-nguyen" in report.updated
    async with db.session() as s:
        assert not (await clusters.apply_cluster_spec(s, spec)).changed  # idempotent
        members = await clusters.list_departments(s, CLUSTER)
        every = await clusters.list_departments(s, CLUSTER, include_merged=True)
        kept = await s.exec(
            select(func.count()).select_from(Submission).where(Submission.round_id == round_id)
        )
        assert kept.one() == 7  # the seven's 2024 reports, predecessors' included
    assert tuple(d.slug for d in members) == SUCCESSORS
    assert len(every) == 9
    by_slug = {m.successor.slug: m for m in mergers_of(every)}
    assert set(by_slug) == set(SUCCESSORS)
    assert all(m.on == date(2025, 7, 1) for m in by_slug.values())
    assert [p.slug for p in by_slug["thai-nguyen"].predecessors] == ["bac-kan"]
    assert by_slug["thai-nguyen"].complete
    assert [p.slug for p in by_slug["phu-tho"].predecessors] == ["hoa-binh"]
    assert by_slug["phu-tho"].outside == ("Sở Nội vụ tỉnh Vĩnh Phúc",)
    assert by_slug["tuyen-quang"].predecessors == ()
    assert by_slug["tuyen-quang"].outside == ("Sở Nội vụ tỉnh Hà Giang",)


async def test_a_year_starts_once_with_its_configuration_and_leaves_the_past_alone(
    db: Database,
) -> None:
    round_id = await _reported_2024(db)
    async with db.session() as s:
        await clusters.apply_cluster_spec(s, load_cluster_file(EXAMPLE_2025))
    async with db.session() as s:
        cluster = await clusters.get_cluster(s, CLUSTER)
        assert cluster is not None
        started = await years.start_year(s, cluster, 2025, None, NOW)
    assert (started.year, started.indicators, started.departments) == (2025, 5, 5)
    assert started.election_rules_from_file and started.earlier_rounds == 1
    assert started.sections == ("pact", "scoring")  # the 2025 file's, copied into the year
    async with db.session() as s:
        cluster = await clusters.get_cluster(s, CLUSTER)
        assert cluster is not None
        with pytest.raises(years.YearExists):
            await years.start_year(s, cluster, 2025, None, NOW)
    async with db.session() as s:
        (row,) = await years.list_years(s, CLUSTER)
        config = json.loads(row.config)
        past = await rounds.get_round(s, round_id)
        kept = await s.exec(
            select(func.count()).select_from(Submission).where(Submission.round_id == round_id)
        )
        assert kept.one() == 7
    assert config["departments"] == list(SUCCESSORS)
    assert [i["slug"] for i in config["indicators"]][0] == "tinh-gian-bien-che"
    assert config["schedule"]["grace_days"] == 3
    assert config["elections"]["quorum"] == "2/3"
    assert config["pact"]["title"].startswith("Giao ước thi đua năm 2025")
    assert config["scoring"]["scale"] == 100
    assert past is not None and past.period == "2024" and past.state == "open"
