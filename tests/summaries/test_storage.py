"""Loading a summary from the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.domain.cluster_file import load_cluster_file
from bot.domain.periods import parse_period
from bot.services.summaries import history_for, inputs_for, summary_for
from storage import clusters, migrate, rounds, submissions
from storage.database import Database
from storage.models import Person
from tests.conftest import CLUSTER, EXAMPLE

OTHER = "cum-khac"
T0 = datetime(2024, 1, 10, 3, 0, tzinfo=UTC)


@pytest.fixture
async def db(database_url: str):  # noqa: ANN201
    await asyncio.to_thread(migrate.upgrade, database_url)
    database = Database(database_url)
    spec = load_cluster_file(EXAMPLE)
    async with database.session() as s:
        await clusters.apply_cluster_spec(s, spec)
        await clusters.apply_cluster_spec(
            s,
            dataclasses.replace(spec, id=OTHER, name="Cụm khác", offices=None),
        )
        s.add(Person(id=501, full_name="Nguyễn Văn An"))
        s.add(Person(id=502, full_name="Trần Thị Bình"))
    yield database
    await database.dispose()


async def _ids(db: Database, cluster: str) -> tuple[dict[str, int], dict[str, int]]:
    async with db.session() as s:
        departments = {d.slug: d.id for d in await clusters.list_departments(s, cluster)}
        indicators = {i.slug: i.id for i in await clusters.list_indicators(s, cluster)}
    return departments, indicators  # type: ignore[return-value]  # the lists hold stored rows: ids set


async def _round(
    db: Database, cluster: str, period: str, rows: dict[str, tuple], state: str = "closed"
) -> int:
    """rows: department slug -> (staff, inspected, classes, db %, text[, late[, revisions]])."""
    departments, indicators = await _ids(db, cluster)
    order = [
        "tinh-gian-bien-che",
        "kiem-tra-ky-luat",
        "lop-dao-tao",
        "csdl-can-bo",
        "ket-qua-noi-bat",
    ]
    p = parse_period(period)
    async with db.session() as s:
        row = await rounds.open_round(
            s, cluster, period, p.start, p.end + timedelta(days=15), None, opened_at=T0
        )
        assert row.id is not None
        for slug, spec in rows.items():
            values, late = spec[:5], spec[5] if len(spec) > 5 else False
            extra = spec[6] if len(spec) > 6 else []
            versions = [values, *extra]
            for n, version in enumerate(versions):
                await submissions.save_revision(
                    s, row.id, departments[slug],
                    {indicators[k]: v for k, v in zip(order, version, strict=True)},
                    by=501 + n % 2, late=late if n == 0 else True, expected_revision=n,
                    at=T0 + timedelta(hours=n),
                )  # fmt: skip
        if state == "closed":
            await rounds.close_round(s, row, T0)
        return row.id


FULL = {
    "bac-kan": ("180", "25", "50", "100", "Tốt"),
    "bac-giang": ("205", "30", "55", "90", None),
    "thai-nguyen": ("170", "22", "48", "95", None),
    "hoa-binh": ("160", "28", "52", "80", None),
    "yen-bai": ("150", "20", "45", "85", None),
    "phu-tho": ("168", "26", "46", "75", None),
    "tuyen-quang": ("170", "24", "50", None, None),
}


def _line(summary, slug):  # noqa: ANN001, ANN202
    return next(line for line in summary.indicators if line.indicator.slug == slug)


async def test_round_summary_with_revisions_missing_and_late(db: Database) -> None:
    rows: dict[str, Any] = {k: v for k, v in FULL.items() if k != "yen-bai"}
    # Thái Nguyên submitted late, then corrected twice: the latest revision counts.
    rows["thai-nguyen"] = (*FULL["thai-nguyen"], True, [
        ("1", "1", "1", "1", None), ("170", "22", "48", "95", "Sửa lần 2"),
    ])  # fmt: skip
    rows["bac-kan"] = (*FULL["bac-kan"], False, [("180", "25", "50", "99", "Tốt")])
    await _round(db, CLUSTER, "2023-Q4", rows)
    await _round(db, OTHER, "2023-Q4", {"bac-kan": ("99999", "1", "1", "1", None)})
    async with db.session() as s:
        summary = await summary_for(s, CLUSTER, "2023-Q4", now=T0)
    assert summary is not None
    assert _line(summary, "tinh-gian-bien-che").figure.value == 1053
    assert _line(summary, "tinh-gian-bien-che").figure.coverage == "6/7"
    assert [d.slug for d in summary.missing] == ["yen-bai"]
    assert [st.department.slug for st in summary.late] == ["thai-nguyen"]
    # Bắc Kạn's second revision was flagged late, but lateness is judged on the first one
    bac_kan = next(st for st in summary.submitted if st.department.slug == "bac-kan")
    assert not bac_kan.late and bac_kan.revision == 2 and bac_kan.submitted_at == T0
    assert _line(summary, "csdl-can-bo").rows[0][1] == "99"
    assert summary.narratives[1].answers[0][1] == "Sửa lần 2"
    assert summary.state == "closed" and summary.deadline == date(2024, 1, 15)


async def test_previous_round_of_the_same_kind_and_a_year_earlier(db: Database) -> None:
    await _round(db, CLUSTER, "2022-Q4", {k: (str(int(v[0]) * 2), *v[1:]) for k, v in FULL.items()})
    await _round(db, CLUSTER, "2023-Q3", FULL)
    await _round(db, CLUSTER, "2023-11", FULL)  # a month: not the previous quarter
    await _round(db, CLUSTER, "2023-Q4", FULL, state="open")
    async with db.session() as s:
        summary = await summary_for(s, CLUSTER, "Quý IV/2023", now=T0)
        default = await summary_for(s, CLUSTER, None, now=T0)
    assert summary is not None and default is not None and default.period == "2023-Q4"
    staff = _line(summary, "tinh-gian-bien-che")
    assert staff.figure.value == 1203
    assert staff.previous is not None and staff.previous.period == "2023-Q3"
    assert staff.previous.absolute == 0
    assert staff.year_ago is not None and staff.year_ago.period == "2022-Q4"
    assert staff.year_ago.absolute == -1203 and staff.year_ago.percent == -50


async def test_year_compiled_from_quarters(db: Database) -> None:
    for q in (1, 2, 3):
        await _round(db, CLUSTER, f"2023-Q{q}", FULL)
    await _round(db, CLUSTER, "2022", {"bac-kan": ("1000", "1", "1", "50", None)})
    async with db.session() as s:
        inputs = await inputs_for(s, CLUSTER, "2023")
        summary = await summary_for(s, CLUSTER, "Năm 2023", now=T0)
    assert inputs is not None and inputs.round is None
    assert summary is not None and summary.compiled
    assert summary.compiled_from == ("2023-Q1", "2023-Q2", "2023-Q3")
    assert summary.missing_periods == ("2023-Q4",)
    staff = _line(summary, "tinh-gian-bien-che")
    assert staff.figure.value == 3 * 1203
    average = _line(summary, "csdl-can-bo")
    assert average.figure.coverage == "6/7"  # Tuyên Quang never reported it
    # Three quarters are not a whole year: 2022's yearly round is not the same periods.
    assert staff.previous is None
    assert summary.comparison is not None and not summary.comparison.comparable
    assert summary.comparison.missing == ("2022-Q1", "2022-Q2", "2022-Q3")


async def test_a_compiled_year_is_compared_with_the_same_periods_a_year_earlier(
    db: Database,
) -> None:
    half = {slug: ("100",) + values[1:] for slug, values in FULL.items()}
    for code in ("2022-Q2", "2022-Q3", "2022-Q4", "2023-Q3", "2023-Q4"):
        await _round(db, CLUSTER, code, FULL if code.startswith("2023") else half)
    async with db.session() as s:
        summary = await summary_for(s, CLUSTER, "2023", now=T0)
    assert summary is not None and summary.comparison is not None
    assert summary.comparison.comparable
    assert summary.comparison.parts == ("2023-Q3", "2023-Q4")
    assert summary.comparison.other_parts == ("2022-Q3", "2022-Q4")  # not 2022-Q2
    staff = _line(summary, "tinh-gian-bien-che")
    assert staff.previous is not None and staff.previous.previous == 2 * 7 * 100
    assert staff.figure.value == 2 * 1203


async def test_nothing_to_summarise(db: Database) -> None:
    async with db.session() as s:
        assert await summary_for(s, CLUSTER, None) is None
        assert await summary_for(s, CLUSTER, "2023-Q4") is None
        assert await summary_for(s, CLUSTER, "2023") is None
        assert await summary_for(s, "no-such-cluster", "2023") is None


async def test_revision_history_with_names(db: Database) -> None:
    rows = {"bac-kan": (*FULL["bac-kan"], False, [("181", "25", "50", "100", "Tốt hơn")])}
    await _round(db, CLUSTER, "2023-Q4", rows)
    async with db.session() as s:
        history = await history_for(s, CLUSTER, ["2023-Q4"])
    assert [
        (e.revision, e.by, e.indicator and e.indicator.slug, e.old, e.new) for e in history
    ] == [
        (1, "Nguyễn Văn An", None, None, None),
        (2, "Trần Thị Bình", "tinh-gian-bien-che", "180", "181"),
        (2, "Trần Thị Bình", "ket-qua-noi-bat", "Tốt", "Tốt hơn"),
    ]
    assert history[1].at == T0 + timedelta(hours=1) and history[1].period == "2023-Q4"
